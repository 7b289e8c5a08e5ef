"""What in a repository is not a manifest: templates, kustomize files and patches, other formats.

Repositories hold Helm charts, kustomize overlays, CI workflows and data files next to their
manifests. Each is recognised here, so that it is listed as skipped with the reason (and, for
templates and overlays, how to render them) instead of failing the run.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reporter.errors import Problem
from reporter.inventory.workloads import CONTROLLER_TEMPLATE, TEMPLATE_PATH
from reporter.wording import counted, listed

HELM_HINT = "render it first: helm template RELEASE CHART_DIR | reporter check -"
KUSTOMIZE_HINT = "render it first: kubectl kustomize {dir} | reporter check -"
TEMPLATE_MARK = "{{"
VARIABLE_MARK = "${"
"""Shell-style variables (``${NAMESPACE:-default}``), which envsubst and similar tools fill in."""
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_BUILTIN = "builtin"
"""The apiVersion of kustomize's built-in plugins' configurations (a LabelTransformer's)."""
_CHART_FILE = "Chart.yaml"
_PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
_PLUGIN_KEYS = ("transformers", "generators", "validators")
"""A kustomization's lists of plugin configurations (files, or inline documents)."""
_CHANGES = (("namePrefix", "name prefix"), ("nameSuffix", "name suffix"),
            ("commonLabels", "labels"), ("labels", "labels"),
            *((key, "patches") for key in _PATCH_KEYS), ("replacements", "replacements"),
            ("transformers", "transformers"), ("components", "components"),
            ("helmCharts", "Helm charts"))
"""What a kustomization changes in the objects it lists, besides their namespace."""
READ_AS_WRITTEN = "are read as written, without its"
"""In the reason of a kustomization that changes objects the map read (for the warning)."""
FILES_NAMED = 3
"""Files an overlay's reason names before it counts the rest."""

NOT_MODELLED_KINDS: Mapping[str, tuple[str, ...]] = {
    "policy.networking.k8s.io": ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
                                 "ClusterNetworkPolicy"),
    "cilium.io": ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"),
    "crd.projectcalico.org": ("NetworkPolicy", "GlobalNetworkPolicy",
                              "StagedNetworkPolicy", "StagedGlobalNetworkPolicy"),
    "projectcalico.org": ("NetworkPolicy", "GlobalNetworkPolicy",
                          "StagedNetworkPolicy", "StagedGlobalNetworkPolicy"),
    "crd.antrea.io": ("NetworkPolicy", "ClusterNetworkPolicy"),
    "security.istio.io": ("AuthorizationPolicy",),
    "policy.linkerd.io": ("Server", "ServerAuthorization", "AuthorizationPolicy"),
    "k8s.cni.cncf.io": ("MultiNetworkPolicy",),
    "k8s.ovn.org": ("UserDefinedNetwork", "ClusterUserDefinedNetwork"),
}
"""Kinds that allow or deny traffic but whose rules the engine does not evaluate (an OVN user
defined network isolates the namespaces it holds)."""
NOT_MODELLED_REASON = "present, not modelled: the map may be wrong where it applies"
POD_RUNNING_KINDS: Mapping[str, tuple[str, ...]] = {
    "kubevirt.io": ("VirtualMachine", "VirtualMachineInstance",
                    "VirtualMachineInstanceReplicaSet", "VirtualMachinePool"),
    "monitoring.coreos.com": ("Prometheus", "PrometheusAgent", "Alertmanager", "ThanosRuler"),
    "kafka.strimzi.io": ("Kafka", "KafkaNodePool", "KafkaConnect", "KafkaMirrorMaker2",
                         "KafkaBridge"),
    "postgresql.cnpg.io": ("Cluster", "Pooler"),
    "acid.zalan.do": ("postgresql",),
    "gateway.networking.k8s.io": ("Gateway",),
}
"""Kinds that run pods without a container pod template: a KubeVirt VM runs in a pod, and
operators (prometheus-operator, Strimzi, CloudNativePG, Zalando's) turn these into pods whose
labels the map cannot know. So do in-cluster implementations of the Gateway API (Istio,
Envoy Gateway, Cilium, NGINX Gateway Fabric) for a Gateway: its proxy pods, which take the
gateway's traffic and connect to its routes' backends (a cloud load balancer runs none; which
one serves it is not known here). Its routes run nothing."""
NO_PODS_REASON = "does not select or run pods, so it does not affect NetworkPolicy reachability"
NOT_A_WORKLOAD_API = "is not a Kubernetes workload API"
"""Why a workload kind under another group is skipped (after its apiVersion and kind)."""
STOPPED_REASON = "its containers have stopped, so it has no traffic"
"""Why a Pod that has finished is skipped (after its phase)."""
UNDOTTED_GROUPS = ("", "apps", "batch", "autoscaling", "policy", "extensions")
"""Kubernetes's own API groups without a dot; any other group without one is served by no API
server (a CustomResourceDefinition's group must hold a dot)."""
KUBECONFIG = "a kubeconfig (cluster addresses and credentials): never read or stored"
MESH_GROUPS = ("networking.istio.io", "security.istio.io", "telemetry.istio.io",
               "extensions.istio.io", "policy.linkerd.io", "linkerd.io")
"""API groups of service-mesh configuration: routing, mTLS and layer 7 rules for the mesh's
proxies, which run in the pods the map has (their policy kinds are in NOT_MODELLED_KINDS)."""
MESH_REASON = ("service-mesh configuration (routing, mTLS, layer 7 rules): runs no pods; what "
               "the mesh's proxies enforce is not examined")
CUSTOM_RESOURCE_REASON = ("a custom resource with no pod template: pods its operator may create "
                          "(a database or search cluster) are not in the map")
"""Why an object of a kind the map does not use is skipped: a Kubernetes API kind is known
not to select or run pods; what a custom resource's operator runs is not known."""
DEPLOYER_KINDS: Mapping[str, tuple[str, ...]] = {
    "helm.toolkit.fluxcd.io": ("HelmRelease",),
    "kustomize.toolkit.fluxcd.io": ("Kustomization",),
    "argoproj.io": ("Application", "ApplicationSet"),
    "helm.cattle.io": ("HelmChart",),
}
"""GitOps kinds (Flux, Argo CD, k3s/RKE2) that deploy manifests kept elsewhere: a chart, a Git
path, an OCI artifact."""
DEPLOYER_REASON = ("deploys manifests that were not read (a Helm chart, a Git or OCI source): "
                   "what it deploys is not in the map; render them (helm template, kubectl "
                   "kustomize) and give the output to the reporter")
FILE_KINDS = ("File", "Document")
"""Skipped-item kinds of files and documents that are not manifests."""
RENDER_CATEGORIES = (
    ("unrendered", "unrendered template", "unrendered templates"),
    ("kustomize", "kustomize file or patch", "kustomize files and patches"),
)
"""Skipped files that deploy something once rendered: (reason prefix, singular, plural)."""
ALLOWS_OR_DENIES = "allows or denies traffic"
RUNS_PODS = "runs pods the map leaves out"
"""What an object the map does not model does, so that the map may be wrong where it is."""


def changes_traffic(group: str, kind: str) -> bool:
    """Whether an object of a kind the engine does not model can still allow or deny traffic:
    the known policy CRDs, and any other kind named like a network policy."""
    return kind in NOT_MODELLED_KINDS.get(group, ()) or kind.endswith("NetworkPolicy")


def deploys_manifests(group: str, kind: str) -> bool:
    return kind in DEPLOYER_KINDS.get(group, ())


def unused_kind_reason(group: str, kind: str) -> str:
    """Why an object of a kind the map does not use is skipped, by its API group: the core
    groups and ``*.k8s.io`` are Kubernetes's own APIs, a service mesh's configure its proxies,
    any other is a custom resource (a GitOps deployer's manifests are elsewhere)."""
    if deploys_manifests(group, kind):
        return DEPLOYER_REASON
    if group in MESH_GROUPS:
        return MESH_REASON
    built_in = group in UNDOTTED_GROUPS or group.endswith(".k8s.io")
    return NO_PODS_REASON if built_in else CUSTOM_RESOURCE_REASON


def not_served(api_version: str, kind: str) -> str | None:
    """Why a document with an apiVersion and a kind is no Kubernetes object, when its
    apiVersion tells: a kubeconfig (``v1`` ``Config``), a kustomize built-in plugin's
    configuration (``builtin``), or a group without a dot that is none of Kubernetes's own
    (custom resource groups must hold one): a tool's configuration, such as Skaffold's
    ``skaffold/v4beta11`` ``Config``."""
    group, _, version = api_version.rpartition("/")
    if (group, version, kind) == ("", "v1", "Config"):
        return f"not a Kubernetes object: {KUBECONFIG}"
    if api_version == KUSTOMIZE_BUILTIN:
        return (f"not a Kubernetes object: apiVersion {KUSTOMIZE_BUILTIN} configures one of "
                "kustomize's built-in transformers or generators, run by kustomize, not by the "
                "cluster")
    if group and "." not in group and group not in UNDOTTED_GROUPS:
        return (f"not a Kubernetes object: apiVersion {api_version} belongs to no Kubernetes "
                "API (a custom resource's group holds a dot); a tool's configuration, such as "
                "Skaffold's")
    return None


def runs_pods(group: str, kind: str, body: Mapping[str, Any]) -> bool:
    """Whether an object of a kind that is not a Kubernetes workload still runs pods: an Argo
    Rollout, an OpenKruise CloneSet, a Knative Service (a pod template with containers under
    ``spec.template``, or ``spec.jobTemplate`` as a CronJob has), a KubeVirt VM, or any kind
    whose spec holds a pod spec somewhere (an agent SandboxTemplate's ``spec.podTemplate``, an
    Elasticsearch node set's): its controller is unknown, not its pods. A core PodTemplate
    runs nothing."""
    if kind in POD_RUNNING_KINDS.get(group, ()):
        return True
    if deploys_manifests(group, kind):
        return False  # a HelmRelease's values may hold pod specs: its chart is what deploys
    if (group, kind) == ("", "PodTemplate"):
        return False
    for template in (CONTROLLER_TEMPLATE, TEMPLATE_PATH["CronJob"]):
        node: Any = body
        for key in (*template, "spec"):
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("containers"), list):
            return True
    return _holds_pod_spec(body.get("spec"), POD_SPEC_DEPTH)


POD_SPEC_DEPTH = 8
"""How deep under ``spec`` a pod spec is looked for (a CronJob's is 5 levels down)."""


def _holds_pod_spec(node: Any, depth: int) -> bool:
    """Whether ``node`` holds, ``depth`` levels down at most, a pod spec: ``containers``, a
    list of mappings with an ``image``."""
    if isinstance(node, Mapping):
        containers = node.get("containers")
        if isinstance(containers, list) and any(
                isinstance(c, Mapping) and "image" in c for c in containers):
            return True
        values: Iterable[Any] = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return False
    return depth > 0 and any(_holds_pod_spec(v, depth - 1) for v in values)


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a whole file, or one document of it, is not read as a manifest."""

    reason: str
    line: int | None = None
    """The document's line when one document of a file is meant."""


def strict_json_problem(text: str, path: str) -> Problem | None:
    """``.json`` files are JSON: what YAML would forgive (NaN, trailing commas) is an error.
    One that does not open with ``{`` or ``[`` is read as YAML, as kubectl sniffs it (a
    placeholder such as ``4xx json`` in a web server's folder holds no object)."""
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    if not text.lstrip().startswith(("{", "[")):
        return None  # empty (no objects, as an empty YAML file) or not JSON at all
    try:
        json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as error:
        return Problem(f"invalid JSON: {error.msg} (column {error.colno})", path, error.lineno)
    except ValueError as error:
        line = text.count("\n", 0, max(text.find(str(error)), 0)) + 1
        return Problem(f"invalid JSON: {error} is not a JSON number", path, line)
    return None


class RepositoryLayout:
    """Helm charts and kustomize overlays among the sources, found from their marker files."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = set(paths)
        self.patches: dict[str, str] = {}
        """Patch file -> the kustomization that names it."""
        self.plugins: dict[str, str] = {}
        """Plugin configuration file (a transformer's, a generator's) -> its kustomization."""
        self.kustomizations: dict[str, dict[str, Any]] = {}
        """Directory -> its kustomization."""
        self._normal = {posixpath.normpath(p) for p in self.paths}

    def add_kustomization(self, path: str, documents: list[Any]) -> None:
        directory = posixpath.dirname(path) or "."
        for document in documents:
            if not isinstance(document, dict):
                continue
            self.kustomizations.setdefault(posixpath.normpath(directory), document)
            for keys, files in ((_PATCH_KEYS, self.patches), (_PLUGIN_KEYS, self.plugins)):
                for key in keys:
                    for named in _listed_files(document.get(key)):
                        files[posixpath.normpath(posixpath.join(directory, named))] = path

    def listed_inputs(self, directory: str, seen: frozenset[str] = frozenset()) -> list[str]:
        """The input files a kustomization lists as resources, directly or through the
        kustomizations of the directories it lists (remote and missing ones left out)."""
        directory = posixpath.normpath(directory)
        document = self.kustomizations.get(directory, {})
        entries = document.get("resources")
        found: list[str] = []
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, str):
                continue
            target = posixpath.normpath(posixpath.join(directory, entry))
            if target in self._normal:
                found.append(target)
            elif target in self.kustomizations and target not in seen | {directory}:
                found += self.listed_inputs(target, seen | {directory})
        return found

    def _overlay_reason(self, directory: str) -> str:
        """Why a kustomization is skipped: what it would change in the objects the map reads
        as written, when it lists some."""
        document = self.kustomizations.get(posixpath.normpath(directory), {})
        changes = [f"namespace {document['namespace']}"] if document.get("namespace") else []
        changes += dict.fromkeys(what for key, what in _CHANGES if document.get(key))
        inputs = sorted(set(self.listed_inputs(directory)))
        if not changes or not inputs:
            return ("kustomize overlay not rendered: its patches, namespace and name changes "
                    "are not applied; ")
        names = listed([posixpath.relpath(f, directory) for f in inputs], FILES_NAMED, "file")
        return (f"kustomize overlay not rendered: the objects of {counted(len(inputs), 'file')} "
                f"it lists ({names}) {READ_AS_WRITTEN} {', '.join(changes)}; ")

    def kustomization_of(self, path: str) -> str | None:
        """The directory of the nearest kustomization at or above ``path``, if any: a
        resource of a kustomize base or overlay."""
        directory = posixpath.dirname(path)
        while True:
            if any(posixpath.join(directory, name) in self.paths
                   for name in KUSTOMIZATION_FILES):
                return directory or "."
            if not directory or directory in (".", "/"):
                return None
            directory = posixpath.dirname(directory)

    def file_skip(self, path: str, text: str) -> Skip | None:
        """The reason to skip a whole file before parsing it, if there is one."""
        name = posixpath.basename(path)
        if name in KUSTOMIZATION_FILES:
            directory = posixpath.dirname(path) or "."
            return Skip(self._overlay_reason(directory) + KUSTOMIZE_HINT.format(dir=directory))
        for files, what in ((self.patches, "patch of {}, not a complete object"),
                            (self.plugins, "plugin configuration of {}, run by kustomize, not "
                                           "by the cluster")):
            overlay = files.get(posixpath.normpath(path))
            if overlay is not None:
                return Skip(f"kustomize {what.format(overlay)}; "
                            + KUSTOMIZE_HINT.format(dir=posixpath.dirname(overlay) or "."))
        if self._in_chart_templates(path):
            return Skip(f"unrendered Helm chart template; {HELM_HINT}")
        return None

    def _in_chart_templates(self, path: str) -> bool:
        parts = path.split("/")
        for index, part in enumerate(parts[:-1]):
            if part == "templates":
                chart = "/".join([*parts[:index], _CHART_FILE])
                if chart in self.paths or os.path.isfile(chart):
                    return True
        return False


def _listed_files(value: Any) -> Iterator[str]:
    """File names in a kustomization's patch or plugin list (inline entries name none)."""
    for entry in value if isinstance(value, list) else ():
        if isinstance(entry, str) and "\n" not in entry:
            yield entry
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield entry["path"]


def unrendered_template(documents: list[Any] | None, modelled: frozenset[str]) -> Skip | None:
    """A file with template actions (``{{ }}``) whose values stand in modelled objects (or that
    is not YAML at all) is a template; ``{{`` only in other objects (an alerting rule) is not."""
    if documents is not None and not any(
        isinstance(d, dict) and d.get("kind") in modelled and _has_template(d)
        for d in documents
    ):
        return None
    return Skip(f"unrendered template ({TEMPLATE_MARK} … }}}}); {HELM_HINT}")


def unrendered_variables(documents: list[Any], modelled: frozenset[str]) -> Skip | None:
    """A file whose modelled objects are named with shell variables (``${NAME}`` in
    ``metadata.name`` or ``namespace``, which no object can be called) is a template for
    envsubst or a like tool; ``${`` in other values (a container's command) is not."""
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") not in modelled:
            continue
        metadata = document.get("metadata")
        if isinstance(metadata, dict) and any(
                VARIABLE_MARK in value for value in (metadata.get("name"), metadata.get(
                    "namespace")) if isinstance(value, str)):
            return Skip(f"unrendered template (shell variables such as {VARIABLE_MARK}NAME}} in "
                        "object names); render it first, e.g. envsubst < FILE | reporter check -")
    return None


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return TEMPLATE_MARK in value
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def not_an_object(path: str, document: Any) -> str:
    """Why a document is not a Kubernetes object, naming what it looks like when we can tell."""
    name = posixpath.basename(path).lower()
    if not isinstance(document, dict):
        shape = "a list" if isinstance(document, list) else "a single value"
        return f"not a Kubernetes object: {shape} (e.g. saved output or data)"
    what = _looks_like(name, document)
    return f"not a Kubernetes object (no apiVersion and kind){': ' + what if what else ''}"


def _looks_like(name: str, document: Mapping[Any, Any]) -> str | None:
    if name == "chart.yaml":
        return "Helm chart metadata"
    if name.startswith("values") and name.endswith((".yaml", ".yml")):
        return "Helm values"
    if name in ("package.json", "package-lock.json", "composer.json", "tsconfig.json"):
        return "a package manager or build file"
    if "openapi" in document or "swagger" in document:
        return "an OpenAPI specification"
    if "jobs" in document and ("on" in document or True in document):
        return "a CI workflow"  # `on:` reads as true in YAML 1.1
    if "stages" in document or "pipeline" in document or "steps" in document:
        return "a CI pipeline"
    if "services" in document and ("version" in document or name.startswith(
            ("docker-compose", "compose"))):
        return "a docker-compose file"
    return None


def unrendered(items: Iterable[tuple[str, str]]) -> tuple[str, int] | None:
    """The templates, kustomize files and GitOps deployers skipped, counted (``3 unrendered
    templates and 2 GitOps deployments (HelmRelease 2)``), and how many in all; None when there
    were none."""
    found: Counter[tuple[str, str, str]] = Counter()
    deployers: Counter[str] = Counter()
    for kind, reason in items:
        if kind in FILE_KINDS:
            found.update(category for category in RENDER_CATEGORIES
                         if reason.startswith(category[0]))
        elif reason == DEPLOYER_REASON:
            deployers[kind] += 1
    parts = [counted(found[category], *category[1:]) for category in RENDER_CATEGORIES
             if found[category]]
    if deployers:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(deployers.items()))
        parts.append(f"{counted(deployers.total(), 'GitOps deployment')} ({kinds})")
    count = found.total() + deployers.total()
    return (" and ".join(parts), count) if parts else None


def what_it_deploys(count: int) -> str:
    """``it deploys`` for one unrendered file or deployer, ``they deploy`` for several."""
    return "it deploys" if count == 1 else "they deploy"


def not_examined(items: Iterable[tuple[str, str]]) -> str | None:
    """``not examined: 3 unrendered templates (what they deploy is not in the map)``, said
    wherever a conclusion is drawn from the map; None when everything was rendered."""
    found = unrendered(items)
    if found is None:
        return None
    text, count = found
    return f"not examined: {text} (what {what_it_deploys(count)} is not in the map)"
