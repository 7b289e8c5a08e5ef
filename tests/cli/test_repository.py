"""A repository root, as users point the tool at it (tests/data/repository), through the CLI.

The fixture holds a Helm chart, a kustomize overlay and its patch, CI workflows, package files,
docker-compose, an OpenAPI spec, saved output (a JSON list), a base copy of a Deployment and a
differing Service, a generateName Job and an alert text with ``{{``; deploy/ holds the manifests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reporter.cli import cli, main

ROOT = Path(__file__).resolve().parents[2]
REPO = ROOT / "tests" / "data" / "repository"
SKIPPED_FILES = {
    "api/openapi.yaml": "not a Kubernetes object (no apiVersion and kind): an OpenAPI spec",
    "charts/shop/Chart.yaml": "(no apiVersion and kind): Helm chart metadata",
    "charts/shop/values.yaml": "(no apiVersion and kind): Helm values",
    "charts/shop/templates/deployment.yaml": "unrendered Helm chart template; render it first: "
                                             "helm template",
    "charts/shop/templates/networkpolicy.yaml": "unrendered Helm chart template",
    "templated/web-template.yaml": "unrendered template",
    "overlays/prod/kustomization.yaml": "kustomize overlay not rendered",
    "overlays/prod/replicas.yaml": "kustomize patch of",
    "ci/release.yml": "a CI workflow",
    "docker-compose.yml": "a docker-compose file",
    "package.json": "a package manager or build file",
    "package-lock.json": "a package manager or build file",
    "expected/connlist_output.json": "not a Kubernetes object: a list",
}
MIGRATE = re.compile(r"shop/migrate-[0-9a-f]{5}\[Job\]")


def run(*args: str | Path, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def copy_of_repository(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(REPO, target)
    return target


def test_the_root_gives_the_map_of_its_manifests_alone_with_one_warning_line_and_the_overlay(
        ) -> None:
    code, out, err = run("connectivity", REPO)
    assert code == 0, err
    assert out == run("connectivity", REPO / "deploy")[1]
    assert "shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432\n" in out
    assert MIGRATE.search(out)
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: skipped 13 files or documents that are not manifests (8 not Kubernetes "
        "objects, 3 unrendered templates, 2 kustomize files and patches); 2 objects of kinds the "
        "map does not use (PrometheusRule 1, Service 1); 1 identical copy of objects already "
        "read; -v lists each with its reason",
        # The overlay changes an object the map reads as written: said without -v.
        f"warning: {REPO}/overlays/prod/kustomization.yaml: kustomize overlay not rendered: the "
        "objects of 1 file it lists (../../base/web.yaml) are read as written, without its "
        f"namespace shop, patches; render it first: kubectl kustomize {REPO}/overlays/prod | "
        "reporter check -"]
    assert "helm template RELEASE CHART_DIR | reporter connectivity -" in err
    assert "kubectl kustomize DIR | reporter connectivity -" in err


def test_verbose_lists_each_skipped_file_with_its_reason() -> None:
    code, _, err = run("connectivity", REPO, "-v")
    assert code == 0
    lines = err.splitlines()
    for path, words in SKIPPED_FILES.items():
        (line,) = [line for line in lines if line.startswith(f"  skipped {REPO}/{path}: ")]
        assert words in line
    overlay = next(line for line in lines if "overlays/prod/kustomization.yaml" in line)
    assert f"kubectl kustomize {REPO}/overlays/prod | reporter check -" in overlay
    assert ".github" not in err  # hidden folders hold tooling and are never read
    assert "deploy/web.yaml:1: Deployment shop/web: identical copy" in err
    assert f"of the object at {REPO}/base/web.yaml:3" in err


def test_check_and_report_list_skipped_files_in_the_completeness_statement(
        tmp_path: Path) -> None:
    code, out, err = run("check", REPO, "-o", "json")
    assert code in (0, 1), err
    completeness = json.loads(out)["completeness"]
    files = {s["name"]: s["reason"] for s in completeness["skipped"] if s["kind"] == "File"}
    assert {str(REPO / p) for p in SKIPPED_FILES} == set(files)
    assert [Path(i["path"]).relative_to(REPO).as_posix() for i in completeness["inputs"]] == [
        "base/web.yaml", "deploy/alerts.yaml", "deploy/db.yaml", "deploy/migrate-job.yaml",
        "deploy/namespaces.yaml", "deploy/policies.yaml", "deploy/web.yaml"]
    code, out, _ = run("check", REPO)
    assert "skipped 13 files or documents that are not manifests" in out
    assert ("not examined: 3 unrendered templates and 2 kustomize files and patches (what they "
            "deploy is not in the map); render Helm charts, kustomize overlays and envsubst "
            "templates") in out
    assert "package-lock.json" not in out
    assert f"File {REPO}/package-lock.json" in run("check", REPO, "--verbose")[1]
    code, _, err = run("report", REPO, "--out", tmp_path / "pack")
    assert code in (0, 1), err
    pack = json.loads((tmp_path / "pack" / "pack.json").read_text())
    assert {s["name"] for s in pack["completeness"]["skipped"] if s["kind"] == "File"} == set(
        files)
    # One printed row per cause, whatever file it names; each item's own reason in pack.json.
    html = (tmp_path / "pack" / "report.html").read_text()
    assert "kubectl kustomize DIR | reporter check -" in html
    # The limitations say what was not rendered; a copy of a Deployment is not a kind unused.
    assert ("<li>Not rendered, so not examined: 3 unrendered templates and 2 kustomize files "
            "and patches. The objects they would create") in html
    assert "<li>Kinds present but not modelled: Service (1). They do not select" in html
    assert ("<li>Custom resources read but not modelled, none holding a pod template: "
            "PrometheusRule (1). What their operators run is not known") in html
    assert "overlays/prod | reporter check -" not in html
    assert (f"shop/web ({REPO}/deploy/web.yaml:1, a copy of {REPO}/base/web.yaml:3)"
            in html)
    assert f"kubectl kustomize {REPO}/overlays/prod | reporter check -" in files[
        str(REPO / "overlays/prod/replicas.yaml")]


GITOPS_DEPLOYERS = (
    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
    "metadata: {name: podinfo, namespace: shop}\n"
    "spec:\n  chart: {spec: {chart: podinfo}}\n"
    "  values: {sidecar: {containers: [{name: s, image: s}]}}\n",
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
    "metadata: {name: apps, namespace: flux-system}\nspec: {path: ./apps}\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
    "metadata: {name: guestbook, namespace: argocd}\n"
    "spec: {source: {repoURL: https://example.com/apps.git, path: guestbook}}\n",
    "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata: {name: traefik, "
    "namespace: kube-system}\nspec: {chart: traefik}\n",
)
"""Flux, Argo CD and k3s objects that deploy manifests kept elsewhere (the HelmRelease's values
hold a pod spec: its chart runs the pods, not the object)."""


def test_gitops_deployers_are_named_as_not_examined_everywhere(tmp_path: Path) -> None:
    """A repository of plain manifests and GitOps objects: what the objects deploy is not in
    the map, so the conclusions cover the plain manifests only, and every output says so."""
    from reporter.inventory.classify import DEPLOYER_REASON
    from reporter.model import Assessment
    from reporter.render.limitations import limitations

    repo = copy_of_repository(tmp_path)
    (repo / "deploy" / "gitops.yaml").write_text("---\n".join(GITOPS_DEPLOYERS))
    code, out, err = run("check", repo, "-o", "json")
    assert code in (0, 1), err
    data = json.loads(out)
    assert {s["kind"]: s["reason"] for s in data["completeness"]["skipped"]
            if s["reason"] == DEPLOYER_REASON}.keys() == {
        "HelmRelease", "Kustomization", "Application", "HelmChart"}
    assert data["completeness"]["not_modelled"] == []
    found = "\n".join(limitations(Assessment.model_validate(data), tracked=False))
    assert ("Not rendered, so not examined: 3 unrendered templates and 2 kustomize files and "
            "patches and 4 GitOps deployments (Application 1, HelmChart 1, HelmRelease 1, "
            "Kustomization 1). The objects they would create") in found
    assert "Kinds present but not modelled: Service (1). They do not" in found
    assert "HelmRelease" not in found.split("Kinds present")[1]
    not_examined = ("not examined: 3 unrendered templates and 2 kustomize files and patches and "
                    "4 GitOps deployments (Application 1, HelmChart 1, HelmRelease 1, "
                    "Kustomization 1) (what they deploy is not in the map)")
    code, out, _ = run("check", repo)
    assert f"  {not_examined}; render Helm charts" in out
    # Every requirement judged on the map carries it, as a caveat, in every output.
    judged = [r for f in data["frameworks"] for r in f["requirements"] if r["check_status"]]
    assert judged and all(not_examined in r["caveats"] for r in judged)
    assert f"      caveat: {not_examined}" in out
    sarif = json.loads(run("check", repo, "-o", "sarif")[1])
    assert {"level": "warning", "message": {"text": not_examined}} in sarif["runs"][0][
        "invocations"][0]["toolExecutionNotifications"]


def test_strict_makes_every_non_manifest_an_error() -> None:
    code, out, err = run("connectivity", REPO, "--strict")
    assert (code, out) == (2, "")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == len(SKIPPED_FILES)
    assert all("--strict" in line for line in errors)
    assert "Traceback" not in err


def test_exclude_leaves_paths_out() -> None:
    code, out, err = run("connectivity", REPO, "--exclude", "charts", "--exclude", "overlays/*",
                         "--exclude", "templated", "--exclude", "*.json",
                         "--exclude", "api", "--exclude", "ci", "--exclude", "docker-compose.yml")
    assert code == 0
    assert out == run("connectivity", REPO / "deploy")[1]
    assert "files or documents" not in err  # nothing left that is not a manifest
    code, out, _ = run("connectivity", REPO, "--exclude", "deploy/db.yaml")
    assert (code, "shop/db" in out) == (0, False)
    code, _, err = run("connectivity", REPO / "deploy", "--exclude", "*.yaml")
    assert code == 2 and "that --exclude leaves in" in err


def test_a_differing_copy_of_a_modelled_object_is_an_error_naming_both(tmp_path: Path) -> None:
    repo = copy_of_repository(tmp_path)
    base = (repo / "base" / "web.yaml").read_text()
    (repo / "base" / "web.yaml").write_text(base.replace("containerPort: 8080",
                                                         "containerPort: 9090"))
    code, out, err = run("connectivity", repo)
    assert (code, out) == (2, "")
    (problem,) = [line for line in err.splitlines() if "duplicate object" in line]
    assert problem.startswith(f"error: {repo}/deploy/web.yaml:1: Deployment shop/web")
    assert f"also defined at {repo}/base/web.yaml:3, differently" in problem


def test_generate_name_gives_a_stable_name() -> None:
    first = MIGRATE.findall(run("connectivity", REPO / "deploy")[1])
    again = MIGRATE.findall(run("connectivity", REPO / "deploy" / "migrate-job.yaml",
                                REPO / "deploy")[1])
    assert first and set(first) == set(again)


def test_yaml_errors_never_hide_the_other_files_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: Pod\nmetadata: {name: x\n")
    (tmp_path / "b.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: Shop}\nspec: {}\n")
    code, _, err = run("connectivity", tmp_path)
    assert code == 2
    assert f"{tmp_path}/a.yaml:3: invalid YAML" in err
    assert f"{tmp_path}/b.yaml:3: Pod Shop/web, metadata.namespace: invalid 'Shop'" in err


@pytest.mark.parametrize(("text", "line", "words"), [
    ('{"apiVersion": "v1",\n "kind": "Namespace",\n "metadata": {"name": NaN}}\n', 3,
     "NaN is not a JSON number"),
    # Python 3.13 names the trailing comma's line; earlier versions the brace after it.
    ('{"apiVersion": "v1",\n "kind": "Namespace",\n "metadata": {"name": "a"},\n}\n',
     3 if sys.version_info >= (3, 13) else 4, "invalid JSON"),
])
def test_json_files_are_read_as_strict_json(tmp_path: Path, text: str, line: int,
                                            words: str) -> None:
    (tmp_path / "empty.json").write_text("\n")  # no objects, as in an empty YAML file
    (tmp_path / "ns.json").write_text(text)
    code, _, err = run("connectivity", tmp_path)
    assert code == 2
    assert f"error: {tmp_path}/ns.json:{line}: " in err and words in err
    assert err.count("error: ") == 1


def test_a_json_file_that_does_not_open_as_json_is_read_as_yaml_as_kubectl_does(
    tmp_path: Path,
) -> None:
    """ingress-nginx's error pages hold placeholders such as ``4xx json``: not a manifest,
    skipped; YAML in a .json file is read as kubectl reads it."""
    (tmp_path / "4xx.json").write_text("4xx json\n")
    (tmp_path / "ns.json").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a}\nspec: {}\n")
    code, out, err = run("connectivity", tmp_path, "-v")
    assert code == 0, err
    assert f"{tmp_path}/4xx.json: not a Kubernetes object" in err
    assert "a/web[Pod]" in out


def test_file_names_that_are_not_utf8_never_crash_any_output(tmp_path: Path) -> None:
    repo = copy_of_repository(tmp_path)
    odd = os.fsdecode(str(repo / "deploy").encode() + b"/caf\xe9.yaml")
    shutil.move(repo / "deploy" / "namespaces.yaml", odd)
    shown = f"{repo}/deploy/caf\\xe9.yaml"
    code, out, err = run("connectivity", repo, "-v")
    assert code == 0 and "shop/web[Deployment]" in out
    for fmt in ("json", "sarif", "junit", "oscal", "text"):
        code, out, err = run("check", repo, "-o", fmt)
        assert code in (0, 1), err
    inputs = json.loads(run("check", repo, "-o", "json")[1])["completeness"]["inputs"]
    assert shown in [i["path"] for i in inputs]
    code, _, err = run("report", repo, "--out", tmp_path / "pack")
    assert code in (0, 1), err
    pack = json.loads((tmp_path / "pack" / "pack.json").read_text())
    assert shown in [i["path"] for i in pack["completeness"]["inputs"]]


def test_nothing_to_assess_is_never_a_pass(tmp_path: Path) -> None:
    shutil.copy(REPO / "deploy" / "policies.yaml", tmp_path / "policies.yaml")
    for target in (tmp_path, Path(os.devnull)):
        code, out, err = run("check", target, "-o", "json")
        assert code == 2
        requirements = [r for f in json.loads(out)["frameworks"] for r in f["requirements"]
                        if r["checks"]]
        assert requirements and {r["automated"] for r in requirements} == {"NOT_ASSESSED"}
        assert "PASS" not in {r["status"] for r in requirements}
        reasons = {r["reason"] for r in requirements}
        # Frameworks whose zone is not declared say so; every other one has nothing to judge:
        # policies that run no pods, or (the empty input) not one Kubernetes object.
        assert ("no workloads in the input: nothing read runs pods that can be judged"
                if target == tmp_path else "no workloads in the input: it holds no Kubernetes "
                "object (nothing read is a manifest; --verbose lists what was skipped and why)"
                ) in reasons
        assert all(r.startswith(("no workloads", "no cardholder", "no zone holding"))
                   for r in reasons)
        assert "error: not assessed:" in err and "hint: add the workload manifests" in err
    code, out, _ = run("check", tmp_path)
    assert code == 2 and "PASS:" not in out
    assert "NOT_ASSESSED" in out


def test_files_of_comments_only_are_counted_as_read_and_said_to_be_empty(tmp_path: Path
                                                                        ) -> None:
    shutil.copy(REPO / "deploy" / "policies.yaml", tmp_path / "policies.yaml")
    (tmp_path / "extras.yaml").write_text("# override in your fork\n# services: {}\n")
    (tmp_path / "blank.yml").write_text("\n")
    code, out, _ = run("check", tmp_path)
    assert code == 2
    read = [line.strip() for line in out.splitlines() if line.startswith("  read ")]
    assert read == ["read 3 files (2 with no YAML document): NetworkPolicy 4"], read


@pytest.mark.parametrize("command", ["check", "report"])
def test_a_chart_alone_is_nothing_to_assess_and_the_hint_says_to_render_it(
        tmp_path: Path, command: str) -> None:
    out = ["--out", str(tmp_path / "pack")] if command == "report" else []
    code, _, err = run(command, REPO / "charts" / "shop", *out)
    assert code == 2 and "error: not assessed:" in err
    assert (f"hint: render Helm charts, kustomize overlays and envsubst templates, then pipe "
            f"them in: helm template RELEASE CHART_DIR | reporter {command} -") in err


def test_policy_kinds_that_are_not_modelled_are_a_caveat_everywhere(tmp_path: Path) -> None:
    repo = copy_of_repository(tmp_path)
    (repo / "deploy" / "cilium.yaml").write_text(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
        "metadata: {name: l7, namespace: shop}\nspec: {endpointSelector: {}}\n---\n"
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
        "metadata: {name: cluster-guard}\nspec: {priority: 10, subject: {namespaces: {}}}\n")
    code, _, err = run("connectivity", repo)
    assert code == 0
    assert ("warning: 2 objects the map does not model are present (AdminNetworkPolicy "
            "cluster-guard, CiliumNetworkPolicy shop/l7): they allow or deny traffic, so the map "
            "may be wrong in every namespace, shop") in err
    assert "does not affect" not in err
    code, out, _ = run("check", repo, "-o", "json")
    data = json.loads(out)
    assert [(m["kind"], m["namespaces"]) for m in data["completeness"]["not_modelled"]] == [
        ("AdminNetworkPolicy", ["*"]), ("CiliumNetworkPolicy", ["shop"])]
    automated = [r for f in data["frameworks"] for r in f["requirements"] if r["check_status"]]
    assert automated and all(
        any("CiliumNetworkPolicy shop/l7" in c for c in r["caveats"]) for r in automated)
    assert "caveat: CiliumNetworkPolicy shop/l7" in run("check", repo)[1]
    sarif = json.loads(run("check", repo, "-o", "sarif")[1])
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes if n["level"] == "warning"] == [
        "AdminNetworkPolicy cluster-guard is present, not modelled (it allows or denies "
        "traffic): the map may be wrong in every namespace",
        "CiliumNetworkPolicy l7 is present, not modelled (it allows or denies traffic): the map "
        "may be wrong in shop",
        "not examined: 3 unrendered templates and 2 kustomize files and patches (what they "
        "deploy is not in the map)"]
    assert "CAVEAT: CiliumNetworkPolicy shop/l7" in run("check", repo, "-o", "junit")[1]
    assert "Caveat: CiliumNetworkPolicy shop/l7" in run("check", repo, "-o", "oscal")[1]
    code, _, err = run("report", repo, "--out", tmp_path / "pack")
    assert code in (0, 1), err
    html = (tmp_path / "pack" / "report.html").read_text()
    assert "Present, not modelled" in html and "every namespace (cluster-wide)" in html
    assert "Caveat:</strong> CiliumNetworkPolicy shop/l7" in html


UNMODELLED_KINDS = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  selector: {matchLabels: {app: web}}\n  strategy: {canary: {}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: web}]}\n",
    "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: vm, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: vm}}, spec: {domain: {devices: {}}}}}\n",
    "apiVersion: k8s.ovn.org/v1\nkind: ClusterUserDefinedNetwork\nmetadata: {name: tenant}\n"
    "spec: {namespaceSelector: {}}\n",
    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n"
    "spec: {size: 3}\n",
    "apiVersion: extensions.agents.x-k8s.io/v1alpha1\nkind: SandboxTemplate\n"
    "metadata: {name: worker, namespace: shop}\n"
    "spec: {podTemplate: {metadata: {labels: {app: worker}}, spec: {containers: [\n"
    "  {name: worker, image: worker}]}}}\n",
    "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: spare, namespace: shop}\n"
    "template: {spec: {containers: [{name: c, image: busybox}]}}\n",
    "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
    "metadata: {name: k8s, namespace: shop}\nspec: {replicas: 2}\n",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: edge, namespace: shop}\nspec: {gatewayClassName: istio, listeners: [\n"
    "  {name: http, port: 80, protocol: HTTP}]}\n",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: web, namespace: shop}\nspec: {parentRefs: [{name: edge}], rules: [\n"
    "  {backendRefs: [{name: web, port: 80}]}]}\n",
)
"""A Rollout, a VM, a SandboxTemplate (a pod spec under spec.podTemplate), a Prometheus (its
operator's) and a Gateway (its implementation's proxies) run pods; an OVN network isolates; a
custom Widget's operator may run pods, unknown; a PodTemplate and an HTTPRoute run none."""


def test_kinds_that_run_pods_or_isolate_networks_are_named_not_skipped(tmp_path: Path) -> None:
    repo = copy_of_repository(tmp_path)
    (repo / "deploy" / "more.yaml").write_text("---\n".join(UNMODELLED_KINDS))
    data = json.loads(run("check", repo, "-o", "json")[1])
    not_modelled = data["completeness"]["not_modelled"]
    assert [(m["kind"], m["effect"]) for m in not_modelled] == [
        ("ClusterUserDefinedNetwork", "allows or denies traffic"),
        ("Gateway", "runs pods the map leaves out"),
        ("Prometheus", "runs pods the map leaves out"),
        ("Rollout", "runs pods the map leaves out"),
        ("SandboxTemplate", "runs pods the map leaves out"),
        ("VirtualMachine", "runs pods the map leaves out")]
    skipped = {s["kind"]: s["reason"] for s in data["completeness"]["skipped"]}
    # Never "does not run pods" for a custom resource: what its operator runs is not known.
    assert skipped["Widget"] == ("a custom resource with no pod template: pods its operator "
                                 "may create (a database or search cluster) are not in the "
                                 "map")
    assert skipped["PodTemplate"].startswith("does not select or run pods")
    assert skipped["HTTPRoute"].startswith("does not select or run pods")
    caveats = {c for f in data["frameworks"] for r in f["requirements"] for c in r["caveats"]}
    assert any(c.startswith("Rollout shop/web (") and "not modelled (it runs pods the map "
               "leaves out): the map may be wrong in shop" in c for c in caveats)
    warnings = run("connectivity", repo)[2]
    assert ("warning: 6 objects the map does not model are present (ClusterUserDefinedNetwork "
            "tenant, Gateway shop/edge, Prometheus shop/k8s, …): they allow or deny "
            "traffic or run pods the map leaves out, so the map may be wrong in every namespace, "
            "shop") in warnings


@pytest.mark.parametrize(("manifest", "reason"), [
    ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\n"
     "spec:\n  selector: {matchLabels: {app: agent}}\n  template:\n"
     "    metadata: {labels: {app: agent}}\n"
     "    spec: {hostNetwork: true, containers: [{name: a, image: a}]}\n",
     "no workloads the policies can govern: every workload read (1 workload) uses hostNetwork, "
     "which NetworkPolicies do not apply to"),
    (UNMODELLED_KINDS[1],
     "no workloads the map models: the pods in the input are run by 1 object "
     "(VirtualMachine shop/vm) of kinds it does not model"),
], ids=["host-network", "not-modelled"])
def test_pods_the_map_cannot_judge_are_named_as_the_reason_nothing_is_judged(
        tmp_path: Path, manifest: str, reason: str) -> None:
    shutil.copy(REPO / "deploy" / "policies.yaml", tmp_path / "policies.yaml")
    (tmp_path / "pods.yaml").write_text(manifest)
    code, out, err = run("check", tmp_path, "-o", "json")
    assert code == 2
    reasons = {r["reason"] for f in json.loads(out)["frameworks"] for r in f["requirements"]
               if r["automated"] == "NOT_ASSESSED" and r["reason"].startswith("no workloads")}
    assert reasons == {reason}
    assert "no workloads in the input" not in err


def test_an_internal_error_exits_3_with_one_line_and_the_details_in_a_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    @click.command("crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    cli.add_command(crash)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["crash"])
    finally:
        cli.commands.pop("crash")
    assert exited.value.code == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("internal error (a bug in reporter, not in your input): RuntimeError")
    (details,) = tmp_path.glob("reporter-bug-*.txt")
    assert str(details) in line and "RuntimeError: a bug" in details.read_text()


def test_workloads_are_validated_as_strictly_as_policies() -> None:
    typos = ROOT / "tests" / "data" / "workload-typos" / "web.yaml"
    code, out, err = run("connectivity", typos)
    assert (code, out) == (2, "")
    errors = [line.removeprefix(f"error: {typos}:") for line in err.splitlines()
              if line.startswith("error:")]
    assert errors == [
        "5: Deployment shop/web, metadata.lables: unknown field; did you mean 'labels'? "
        "the API reference lists this object's fields",
        "16: Deployment shop/web, spec.template.spec.containers[0].prots: unknown field; "
        "did you mean 'ports'? the API reference lists this object's fields",
        "23: Deployment shop/web, spec.template.spec.containers[1].ports[0].containerport: "
        "unknown field; did you mean 'containerPort'? expected one of: name, hostPort, "
        "containerPort, protocol, hostIP",
        "23: Deployment shop/web, spec.template.spec.containers[1].ports[0].containerPort: "
        "required: a port number 1-65535",
        "31: StatefulSet shop/db, spec.selector: selector app=db does not match the template "
        "labels app=database; the API server rejects this (make spec.template.metadata.labels "
        "carry the selector's labels)",
        "42: Pod shop/Debug_Pod, metadata.name: invalid name 'Debug_Pod': must consist of lower "
        "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (a DNS subdomain)",
    ]


def test_a_template_for_shell_variables_is_skipped_as_unrendered(tmp_path: Path) -> None:
    """envsubst templates name objects `${NAME}`, which no object can be called: the file is
    listed as an unrendered template, not ten errors; `${` in other values is left alone."""
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    (tmp_path / "epp.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${NAME:-epp}\n"
        "  namespace: ${NAMESPACE:-default}\nspec:\n  selector:\n    matchLabels:\n"
        "      app: ${NAME}\n  template:\n    metadata:\n      labels:\n        app: ${NAME}\n"
        "    spec:\n      containers:\n      - name: epp\n        image: epp\n"
        "        ports:\n        - containerPort: ${PORT}\n")
    (tmp_path / "deploy" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: report, namespace: shop}\nspec:\n"
        "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
        "      - {name: c, image: busybox, command: [sh, -c, 'echo ${HOME}']}\n")
    code, out, err = run("check", tmp_path, "-o", "json")
    assert code in (0, 1), err
    completeness = json.loads(out)["completeness"]
    skipped = {s["name"]: s["reason"] for s in completeness["skipped"] if s["kind"] == "File"}
    assert skipped[str(tmp_path / "epp.yaml")] == (
        "unrendered template (shell variables such as ${NAME} in object names); render it "
        "first, e.g. envsubst < FILE | reporter check -")
    assert str(tmp_path / "deploy" / "job.yaml") in [i["path"] for i in completeness["inputs"]]
    assert ("not examined: 1 unrendered template (what it deploys is not in the map)"
            in run("check", tmp_path)[1])
    # Alone, it is nothing to assess, and the hint says how to render it.
    code, _, err = run("check", tmp_path / "epp.yaml")
    assert code == 2 and err.rstrip().endswith("envsubst < FILE | reporter check -")
    code, _, err = run("report", tmp_path, "--out", tmp_path / "pack")
    assert code in (0, 1), err
    assert ("<li>Not rendered, so not examined: 1 unrendered template. The objects it would "
            "create") in (tmp_path / "pack" / "report.html").read_text()


KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
API = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
       "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
       "    spec: {containers: [{name: api, image: nginx}]}\n")
DENY = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress]}\n")


def test_objects_an_overlay_changes_are_modelled_as_written_and_said_to_be(
        tmp_path: Path) -> None:
    """An overlay setting a namespace (or labels, patches…) for files the map reads as they are
    written: the map names them where the files put them, so the overlay's changes are named
    in a warning without -v, and in its skip reason; through a base's kustomization too."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "api.yaml").write_text(API)
    (tmp_path / "base" / "deny.yaml").write_text(DENY)
    (tmp_path / "base" / "kustomization.yaml").write_text(
        KUSTOMIZATION + "resources: [api.yaml, deny.yaml]\n")
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "kustomization.yaml").write_text(
        KUSTOMIZATION + "namespace: payments\ncommonLabels: {team: pay}\n"
        "resources: [../base, https://github.com/example/remote//deploy?ref=v1]\n")
    code, out, err = run("connectivity", tmp_path)
    assert code == 0, err
    assert "default/api[Deployment]" in out  # where the files put it, said to be so below
    overlay = (f"warning: {tmp_path}/prod/kustomization.yaml: kustomize overlay not rendered: "
               "the objects of 2 files it lists (../base/api.yaml, ../base/deny.yaml) are read "
               "as written, without its namespace payments, labels; render it first: "
               f"kubectl kustomize {tmp_path}/prod | reporter check -")
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings[1:] == [overlay]  # the base changes nothing: its own reason is the usual one
    code, out, _ = run("check", tmp_path, "-o", "json")
    reasons = {s["name"]: s["reason"] for s in json.loads(out)["completeness"]["skipped"]}
    assert reasons[f"{tmp_path}/prod/kustomization.yaml"] == overlay.split(": ", 2)[2]
    assert reasons[f"{tmp_path}/base/kustomization.yaml"].startswith(
        "kustomize overlay not rendered: its patches, namespace and name changes are not "
        "applied; render it first")
    # check says it in its completeness statement, the pack among its limitations.
    _, out, _ = run("check", tmp_path)
    assert f"  {overlay.removeprefix('warning: ')}\n" in out
    code, _, err = run("report", tmp_path, "--out", tmp_path / "pack")
    assert code in (0, 1), err
    assert ("Read as written, not as deployed: 1 kustomize overlay "
            f"({tmp_path}/prod/kustomization.yaml) changes objects of files the map read"
            ) in (tmp_path / "pack" / "report.html").read_text()
    # Rendered first, the objects are where the overlay deploys them: no such warning.
    rendered = (API + "---\n" + DENY).replace("{name: api}", "{name: api, namespace: payments}")
    code, out, err = run("connectivity", "-", stdin=rendered.replace(
        "{name: deny}", "{name: deny, namespace: payments}"))
    assert code == 0 and "payments/api[Deployment]" in out and "warning" not in err


LABELS = ("apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: labels}\n"
          "labels: {env: dev}\nfieldSpecs: [{path: metadata/labels, create: true}]\n")
INJECT = ("apiVersion: example.com/v1\nkind: SidecarInjector\nmetadata: {name: inject}\n"
          "spec: {image: proxy}\n")


def test_kustomize_plugin_configurations_are_files_of_the_overlay_not_objects(
        tmp_path: Path) -> None:
    """A transformer's or generator's configuration is read by kustomize, not applied to the
    cluster: named as its overlay's (a KRM function's, whatever its group), or by kustomize's
    ``builtin`` apiVersion when no kustomization names it; the overlay's transformers and Helm
    charts are among what it changes (podinfo's overlays label every object this way)."""
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "labels.yaml").write_text(LABELS)
    (tmp_path / "dev" / "inject.yaml").write_text(INJECT)
    (tmp_path / "dev" / "kustomization.yaml").write_text(
        KUSTOMIZATION + "resources: [../api.yaml]\ntransformers: [labels.yaml]\n"
        "generators: [{path: inject.yaml}]\nhelmCharts: [{name: redis, repo: "
        "https://charts.example.com}]\n")
    (tmp_path / "spare-labels.yaml").write_text(LABELS)
    code, out, err = run("check", tmp_path, "-o", "json")
    assert code in (0, 1), err
    completeness = json.loads(out)["completeness"]
    reasons = {s["name"]: s["reason"] for s in completeness["skipped"]}
    hint = f"; render it first: kubectl kustomize {tmp_path}/dev | reporter check -"
    plugin = (f"kustomize plugin configuration of {tmp_path}/dev/kustomization.yaml, run by "
              "kustomize, not by the cluster" + hint)
    assert reasons[f"{tmp_path}/dev/labels.yaml"] == plugin
    assert reasons[f"{tmp_path}/dev/inject.yaml"] == plugin
    assert reasons[f"{tmp_path}/spare-labels.yaml"] == (
        "not a Kubernetes object: apiVersion builtin configures one of kustomize's built-in "
        "transformers or generators, run by kustomize, not by the cluster")
    assert reasons[f"{tmp_path}/dev/kustomization.yaml"] == (
        "kustomize overlay not rendered: the objects of 1 file it lists (../api.yaml) are read "
        "as written, without its transformers, Helm charts" + hint)
    assert set(completeness["kinds_read"]) == {"Deployment"}
    _, _, err = run("connectivity", tmp_path)
    assert err.splitlines()[0] == (
        "warning: skipped 4 files or documents that are not manifests (3 kustomize files and "
        "patches, 1 not a Kubernetes object); -v lists each with its reason")


def test_more_overlays_changing_objects_than_are_named_are_counted(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(API)
    for number in range(5):
        overlay = tmp_path / f"env{number}"
        overlay.mkdir()
        (overlay / "kustomization.yaml").write_text(
            KUSTOMIZATION + f"namePrefix: env{number}-\nresources: [../api.yaml]\n")
    _, _, err = run("connectivity", tmp_path)
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 5 and warnings[-1] == (
        "warning: 2 more kustomize overlays change objects read as written; --verbose lists "
        "each")
    assert all("without its name prefix;" in line for line in warnings[1:4])
    _, _, err = run("connectivity", tmp_path, "-v")
    assert sum("without its name prefix;" in line for line in err.splitlines()) == 5


def test_an_overlay_listing_more_files_than_are_named_counts_the_rest(tmp_path: Path) -> None:
    names = [f"api{number}.yaml" for number in range(5)]
    for name in names:
        (tmp_path / name).write_text(API.replace("{name: api}", f"{{name: {name[:-5]}}}"))
    (tmp_path / "kustomization.yaml").write_text(
        KUSTOMIZATION + f"namespace: payments\nresources: [{', '.join(names)}]\n")
    _, out, _ = run("check", tmp_path, "-o", "json")
    reasons = {s["name"]: s["reason"] for s in json.loads(out)["completeness"]["skipped"]}
    assert reasons[f"{tmp_path}/kustomization.yaml"].startswith(
        "kustomize overlay not rendered: the objects of 5 files it lists (api0.yaml, api1.yaml, "
        "api2.yaml and 2 more files) are read as written, without its namespace payments; ")
