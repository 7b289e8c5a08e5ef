"""Objects cut down to what the analysis reads plus what identifies them: an allowlist.

Used for everything that leaves the process (cluster snapshots, manifests embedded in evidence
packs): env, command lines, annotations (``last-applied-configuration`` among them),
managedFields and Secret/ConfigMap data can carry credentials and are never kept. A field the
API adds later is dropped too. Kinds the inventory does not model keep their identity only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                            "ReplicationController", "Job", "CronJob"})

_METADATA = ("name", "namespace", "uid", "creationTimestamp", "labels", "ownerReferences")
_OWNER_REFERENCE = ("apiVersion", "kind", "name", "uid", "controller")
_POD_SPEC = ("hostNetwork", "containers", "initContainers")
_CONTAINER = ("name", "image", "restartPolicy", "ports")
_CONTAINER_PORT = ("name", "containerPort", "protocol", "hostPort", "hostIP")
_POD_STATUS = ("phase", "podIP", "podIPs")
_TEMPLATE_PATH: Mapping[str, tuple[str, ...]] = {"CronJob": ("spec", "jobTemplate", "spec",
                                                             "template")}
_CONTROLLER_TEMPLATE = ("spec", "template")


def sanitise(kind: str, api_version: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``obj`` the inventory reads, plus identity; every other field is dropped.

    Fields are kept by name (an allowlist), so a field the API adds later is dropped too.
    Values of the wrong type are kept as they are, for the manifest parser to report.
    """
    kept: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    kept["metadata"] = _metadata(obj.get("metadata"))
    if kind == "NetworkPolicy":
        kept["spec"] = obj.get("spec")
    elif kind == "Pod":
        kept["spec"] = _pod_spec(obj.get("spec"))
        kept["status"] = _pick(obj.get("status"), _POD_STATUS)
    elif kind in WORKLOAD_KINDS:
        kept |= _template_at(obj, _TEMPLATE_PATH.get(kind, _CONTROLLER_TEMPLATE))
    return {key: value for key, value in kept.items() if value is not None}


def _pick(value: Any, keys: Sequence[str]) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: value[key] for key in keys if key in value}


def _pick_each(value: Any, pick: Callable[[Any], Any]) -> Any:
    return [pick(entry) for entry in value] if isinstance(value, list) else value


def _metadata(value: Any) -> Any:
    metadata = _pick(value, _METADATA)
    if isinstance(metadata, dict) and "ownerReferences" in metadata:
        metadata["ownerReferences"] = _pick_each(
            metadata["ownerReferences"], lambda o: _pick(o, _OWNER_REFERENCE))
    return metadata


def _pod_spec(value: Any) -> Any:
    spec = _pick(value, _POD_SPEC)
    if isinstance(spec, dict):
        for key in ("containers", "initContainers"):
            if key in spec:
                spec[key] = _pick_each(spec[key], _container)
    return spec


def _container(value: Any) -> Any:
    container = _pick(value, _CONTAINER)
    if isinstance(container, dict) and "ports" in container:
        container["ports"] = _pick_each(container["ports"], lambda p: _pick(p, _CONTAINER_PORT))
    return container


def _template_at(value: Any, path: Sequence[str]) -> Any:
    """``value`` cut down to the pod template at ``path`` (e.g. spec.template)."""
    if not path:
        template = _pick(value, ("metadata", "spec"))
        if isinstance(template, dict):
            if "metadata" in template:
                template["metadata"] = _pick(template["metadata"], ("labels",))
            if "spec" in template:
                template["spec"] = _pod_spec(template["spec"])
        return template
    if not isinstance(value, dict):
        return value
    key = path[0]
    return {key: _template_at(value[key], path[1:])} if key in value else {}
