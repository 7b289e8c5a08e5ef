"""What a file that is not a manifest is taken for, and when template marks make a file a
template: the reasons a repository's other files are reported with."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.errors import ValidationError
from reporter.inventory.classify import not_an_object
from reporter.inventory.manifests import load_inventory
from reporter.inventory.sources import Source


@pytest.mark.parametrize(("name", "document", "looks_like"), [
    ("ci.yml", {"on": {"push": None}, "jobs": {"test": {}}}, "a CI workflow"),
    ("ci.yml", {True: {"push": None}, "jobs": {"test": {}}}, "a CI workflow"),  # YAML 1.1 `on`
    ("tasks.yml", {"jobs": {"nightly": {}}}, None),  # jobs alone: not a workflow
    ("switch.yml", {"on": True, "mode": "x"}, None),
    ("cloudbuild.yaml", {"steps": [{"name": "x"}]}, "a CI pipeline"),
    (".gitlab-ci.yml", {"stages": ["test"]}, "a CI pipeline"),
    ("Jenkinsfile.yaml", {"pipeline": {}}, "a CI pipeline"),
    ("docker-compose.yml", {"services": {"web": {}}}, "a docker-compose file"),
    ("stack.yml", {"version": "3", "services": {"web": {}}}, "a docker-compose file"),
    ("mesh.yml", {"services": {"web": {}}}, None),  # services alone: some other config
])
def test_a_document_that_is_no_object_is_named_by_what_it_looks_like(
        name: str, document: dict[object, object], looks_like: str | None) -> None:
    expected = "not a Kubernetes object (no apiVersion and kind)"
    assert not_an_object(f"repo/{name}", document) == (
        f"{expected}: {looks_like}" if looks_like else expected)


def test_template_marks_outside_modelled_objects_leave_the_file_a_manifest() -> None:
    """An alerting rule's ``{{ $labels }}`` beside a NetworkPolicy (numbers, booleans and all)
    does not make the file a template: the policy is read."""
    text = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: alerts, namespace: db}
spec:
  groups:
  - name: db
    rules:
    - alert: Down
      annotations: {summary: "{{ $labels.instance }} is down"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: db}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 5432, endPort: 5433}]}]
"""
    inventory = load_inventory([Source("db.yaml", text)])
    assert [p.key for p in inventory.policies] == ["db/db"]
    assert inventory.skipped_files == ()
    templated = text.replace("name: db, namespace: db}\nspec:\n  podSelector",
                             "name: '{{ .Values.name }}', namespace: db}\nspec:\n  podSelector")
    skipped = load_inventory([Source("db.yaml", templated)]).skipped_files
    assert [(f.path, f.reason.split(";")[0]) for f in skipped] == [
        ("db.yaml", "unrendered template ({{ … }})")]


POLICY = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
          "metadata: {name: deny, namespace: a}\nspec: {podSelector: {}}\n")


def test_a_resource_in_a_folder_below_its_kustomization_belongs_to_it() -> None:
    """The nearest kustomization at or above a file: two variants of one policy, each two
    folders below its own kustomization, are told apart as variants."""
    kustomization = "resources: [policies/net/policy.yaml]\n"
    with pytest.raises(ValidationError) as caught:
        load_inventory([
            Source("base/plain/kustomization.yaml", kustomization),
            Source("base/plain/policies/net/policy.yaml", POLICY),
            Source("base/strict/kustomization.yaml", kustomization),
            Source("base/strict/policies/net/policy.yaml",
                   POLICY.replace("{podSelector: {}}", "{}"))])
    (problem,) = caught.value.problems
    assert "both are resources of kustomizations (base/plain, base/strict)" in problem.message


def test_files_under_a_charts_templates_are_templates_with_or_without_marks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Among the inputs, or beside them on disk (the templates folder given alone)."""
    given = load_inventory([Source("chart/Chart.yaml", "apiVersion: v2\nname: x\n"),
                            Source("chart/templates/policy.yaml", POLICY)])
    assert given.policies == ()
    assert [(f.path, f.reason.split(";")[0]) for f in given.skipped_files] == [
        ("chart/Chart.yaml", "not a Kubernetes object (no apiVersion and kind): Helm chart "
                             "metadata"),
        ("chart/templates/policy.yaml", "unrendered Helm chart template")]
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: x\n")
    monkeypatch.chdir(tmp_path)
    alone = load_inventory([Source("chart/templates/policy.yaml", POLICY)])
    assert alone.policies == () and len(alone.skipped_files) == 1
    assert load_inventory([Source("other/templates/policy.yaml", POLICY)]).policies != ()


def test_a_kustomization_names_patch_files_among_inline_patches() -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"
    inventory = load_inventory([
        Source("overlay/kustomization.yaml", """\
resources: [policy.yaml]
patches:
- path: replicas.yaml
- patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
  target: {kind: Deployment}
"""),
        Source("overlay/policy.yaml", POLICY),
        Source("overlay/replicas.yaml", patch)])
    reasons = {f.path: f.reason.split(";")[0] for f in inventory.skipped_files}
    assert reasons["overlay/replicas.yaml"] == (
        "kustomize patch of overlay/kustomization.yaml, not a complete object")


def test_kustomizations_listing_each_other_are_read_without_looping() -> None:
    """kustomize refuses such a cycle; the reporter still reads the policy each lists and says
    what the overlays would change."""
    inventory = load_inventory([
        Source("a/kustomization.yaml", "namespace: prod\nresources: [policy.yaml, ../b]\n"),
        Source("a/policy.yaml", POLICY),
        Source("b/kustomization.yaml", "namespace: prod\nresources: [../a]\n")])
    assert [p.key for p in inventory.policies] == ["a/deny"]
    reasons = {f.path: f.reason for f in inventory.skipped_files}
    assert reasons["a/kustomization.yaml"].startswith(
        "kustomize overlay not rendered: the objects of 1 file it lists (policy.yaml)")
    assert reasons["b/kustomization.yaml"].startswith(
        "kustomize overlay not rendered: the objects of 1 file it lists (../a/policy.yaml)")
