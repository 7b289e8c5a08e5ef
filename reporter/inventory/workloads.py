"""Pods and their controllers -> :class:`Workload`, one per set of identical pods.

A kubectl dump holds the Deployment, its ReplicaSets and every replica Pod; NetworkPolicies
see them all as one set of pods, so they collapse into one workload named after the
top-most controller that owns them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reporter.inventory.fields import ObjectReader
from reporter.inventory.model import ContainerPort, LabelSelector, Origin, Workload
from reporter.inventory.names import port_name_errors
from reporter.inventory.policies import parse_selector
from reporter.inventory.workload_fields import (
    CONTAINER,
    CONTAINER_PORT,
    CONTROLLER_SPEC,
    OBJECT,
    OBJECT_META,
    POD_SPEC,
    POD_TEMPLATE,
    SELECTED_BY_TEMPLATE,
    check_selector,
)
from reporter.inventory.yamlload import LineDict

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

WORKLOAD_GROUPS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("",),
    "ReplicationController": ("",),
    "Deployment": ("apps", "extensions"),
    "ReplicaSet": ("apps", "extensions"),
    "DaemonSet": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "Job": ("batch",),
    "CronJob": ("batch",),
}
"""The kinds that run pods, and the API groups they are understood in."""

TEMPLATE_PATH: Mapping[str, tuple[str, ...]] = {
    "Pod": (),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Where a kind holds its pods' metadata and spec; every other controller at
CONTROLLER_TEMPLATE."""
CONTROLLER_TEMPLATE = ("spec", "template")
_MAX_OWNER_DEPTH = 5  # Pod -> ReplicaSet -> Deployment is the longest chain in practice
_HASH_LABEL = "pod-template-hash"


@dataclass(frozen=True, slots=True)
class WorkloadObject:
    """What one Pod or controller manifest says about the pods it runs."""

    kind: str
    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    host_network: bool
    pod_ips: tuple[IPAddress, ...]
    owner: tuple[str, str] | None
    """The controlling ownerReference, as (kind, name)."""
    origin: Origin


def read_workload(
    reader: ObjectReader, body: LineDict, kind: str, namespace: str, name: str
) -> WorkloadObject:
    template, prefix = _pod_template(reader, body, kind)
    metadata_field, spec_field = _join(prefix, "metadata"), _join(prefix, "spec")
    missing = LineDict.empty(template.line)
    metadata = reader.mapping(template, "metadata", metadata_field) or missing
    spec = reader.mapping(template, "spec", spec_field) or missing
    labels = reader.labels(metadata, "labels", f"{metadata_field}.labels")
    _known_fields(reader, body, kind, template, prefix, metadata, spec)
    controller_spec = reader.mapping(body, "spec", "spec")
    if kind in SELECTED_BY_TEMPLATE and controller_spec is not None:
        selector = _controller_selector(reader, controller_spec, kind)
        check_selector(reader, controller_spec, kind, selector, labels)
    return WorkloadObject(
        kind=kind,
        name=name,
        namespace=namespace,
        labels=labels,
        ports=_container_ports(reader, spec, spec_field),
        host_network=reader.boolean(spec, "hostNetwork", f"{spec_field}.hostNetwork"),
        pod_ips=_pod_ips(reader, body) if kind == "Pod" else (),
        owner=_controller_owner(reader, body),
        origin=Origin(reader.file, body.line),
    )


def _known_fields(reader: ObjectReader, body: LineDict, kind: str, template: LineDict,
                  prefix: str, metadata: LineDict, spec: LineDict) -> None:
    """Unknown fields where a typo would change what policies see: the object, its metadata,
    the controller spec, the pod template, the pod spec (containers and ports in
    :func:`_container_ports`)."""
    reader.known_fields(body, "", OBJECT)
    object_metadata = reader.mapping(body, "metadata", "metadata")
    if object_metadata is not None:
        reader.known_fields(object_metadata, "metadata", OBJECT_META)
    if kind != "Pod":
        controller = reader.mapping(body, "spec", "spec")
        if controller is not None:
            reader.known_fields(controller, "spec", CONTROLLER_SPEC[kind])
        job_template = reader.mapping(controller, "jobTemplate", "spec.jobTemplate") if (
            kind == "CronJob" and controller is not None) else None
        if job_template is not None:
            reader.known_fields(job_template, "spec.jobTemplate", POD_TEMPLATE)
            job_spec = reader.mapping(job_template, "spec", "spec.jobTemplate.spec")
            if job_spec is not None:
                reader.known_fields(job_spec, "spec.jobTemplate.spec", CONTROLLER_SPEC["Job"])
        reader.known_fields(template, prefix, POD_TEMPLATE)
        reader.known_fields(metadata, _join(prefix, "metadata"), OBJECT_META)
    reader.known_fields(spec, _join(prefix, "spec"), POD_SPEC)


def _controller_selector(reader: ObjectReader, spec: LineDict, kind: str
                         ) -> LabelSelector | None:
    if kind == "ReplicationController":  # a plain label map, defaulted from the template
        if spec.get("selector") is None:
            return None
        labels = reader.labels(spec, "selector", "spec.selector")
        return LabelSelector(tuple(sorted(labels.items())))
    return parse_selector(reader, spec, "selector", "spec.selector")


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


def _pod_template(reader: ObjectReader, body: LineDict, kind: str) -> tuple[LineDict, str]:
    """The mapping holding the pods' metadata and spec (empty if missing), and its field path."""
    node = body
    field = ""
    for key in TEMPLATE_PATH.get(kind, CONTROLLER_TEMPLATE):
        parent, field = node, _join(field, key)
        child = reader.mapping(parent, key, field)
        if child is None:
            if parent.get(key) is None:
                reader.report(parent, field, f"required: a {kind} needs a pod template")
            return LineDict.empty(parent.line), field
        node = child
    return node, field


def _container_ports(
    reader: ObjectReader, spec: LineDict, field: str
) -> tuple[ContainerPort, ...]:
    """Ports of the containers and of sidecars (init containers that keep running)."""
    ports = []
    for key in ("containers", "initContainers"):
        for index, value in enumerate(reader.sequence(spec, key, f"{field}.{key}")):
            where = f"{field}.{key}[{index}]"
            container = reader.as_mapping(value, spec, where)
            if container is not None:
                reader.known_fields(container, where, CONTAINER)
            if container is None or (
                key == "initContainers" and container.get("restartPolicy") != "Always"
            ):
                continue
            entries = reader.sequence(container, "ports", f"{where}.ports")
            ports += [
                port
                for number, entry in enumerate(entries)
                if (port := _container_port(reader, entry, container, f"{where}.ports[{number}]"))
            ]
    return tuple(ports)


def _container_port(
    reader: ObjectReader, value: object, container: LineDict, field: str
) -> ContainerPort | None:
    entry = reader.as_mapping(value, container, field)
    if entry is None:
        return None
    reader.known_fields(entry, field, CONTAINER_PORT)
    number = reader.integer(entry, "containerPort", f"{field}.containerPort")
    name = reader.string(entry, "name", f"{field}.name")
    protocol = reader.protocol(entry, f"{field}.protocol")
    if number is None or not 1 <= number <= 65535:
        if number is not None or entry.get("containerPort") is None:  # else reported as mistyped
            shown = "required" if number is None else f"invalid port {number}"
            reader.report(entry, f"{field}.containerPort", f"{shown}: a port number 1-65535")
        return None
    for error in port_name_errors(name) if name else ():
        reader.report(entry, f"{field}.name", f"invalid port name {name!r}: {error}")
    return ContainerPort(number, protocol, name or None)


def _pod_ips(reader: ObjectReader, body: LineDict) -> tuple[IPAddress, ...]:
    status = reader.mapping(body, "status", "status")
    if status is None:
        return ()
    written = [("status.podIP", status, reader.string(status, "podIP", "status.podIP"))]
    for index, value in enumerate(reader.sequence(status, "podIPs", "status.podIPs")):
        field = f"status.podIPs[{index}]"
        entry = reader.as_mapping(value, status, field)
        if entry is not None:
            written.append((f"{field}.ip", entry, reader.string(entry, "ip", f"{field}.ip")))
    addresses = set()
    for field, near, text in written:
        if not text:
            continue
        try:
            addresses.add(ipaddress.ip_address(text))
        except ValueError:
            reader.report(near, field, f"invalid IP address {text!r}")
    return _sorted_ips(addresses)


def _sorted_ips(addresses: set[IPAddress]) -> tuple[IPAddress, ...]:
    return tuple(sorted(addresses, key=lambda a: (a.version, int(a))))


def _controller_owner(reader: ObjectReader, body: LineDict) -> tuple[str, str] | None:
    metadata = reader.mapping(body, "metadata", "metadata")
    if metadata is None:
        return None
    references = reader.sequence(metadata, "ownerReferences", "metadata.ownerReferences")
    for index, value in enumerate(references):
        field = f"metadata.ownerReferences[{index}]"
        reference = reader.as_mapping(value, metadata, field)
        if reference is None or reference.get("controller") is not True:
            continue
        kind = reader.string(reference, "kind", f"{field}.kind")
        name = reader.string(reference, "name", f"{field}.name")
        if kind and name:
            return kind, name
    return None


def merge_workloads(objects: Sequence[WorkloadObject]) -> list[Workload]:
    """One workload per controller (or bare Pod), in the order first seen."""
    present = {(o.namespace, o.kind, o.name): o for o in objects}
    groups: dict[tuple[str, str, str], list[WorkloadObject]] = {}
    for obj in objects:
        groups.setdefault(_identity(obj, present), []).append(obj)
    return [_merge(key, members) for key, members in groups.items()]


def _identity(
    obj: WorkloadObject, present: Mapping[tuple[str, str, str], WorkloadObject]
) -> tuple[str, str, str]:
    """(namespace, kind, name) of the top-most known controller of ``obj``."""
    kind, name, current = obj.kind, obj.name, obj
    for _ in range(_MAX_OWNER_DEPTH):
        # A mirror pod's controller is its Node: every static pod stays its own workload.
        if current.owner is None or current.owner[0] == "Node":
            break
        kind, name = current.owner
        if (obj.namespace, kind, name) not in present and current.kind == "Pod":
            kind, name = _deployment_of(kind, name, current.labels)
        owner = present.get((obj.namespace, kind, name))
        if owner is None:
            break
        current = owner
    return obj.namespace, kind, name


def _deployment_of(kind: str, name: str, pod_labels: Mapping[str, str]) -> tuple[str, str]:
    """A Deployment names its ReplicaSets ``<deployment>-<pod-template-hash>``."""
    suffix = "-" + pod_labels.get(_HASH_LABEL, "")
    if kind == "ReplicaSet" and len(suffix) > 1 and name.endswith(suffix) and name != suffix:
        return "Deployment", name[: -len(suffix)]
    return kind, name


def _merge(key: tuple[str, str, str], members: list[WorkloadObject]) -> Workload:
    """Labels, ports and hostNetwork come from the controller's own manifest when given,
    else from the first manifest read; pod IPs are the union over all replicas."""
    namespace, kind, name = key
    primary = next(
        (m for m in members if m.kind == kind and m.name == name),
        next((m for m in members if m.kind != "Pod"), members[0]),
    )
    return Workload(
        namespace=namespace,
        name=name,
        kind=kind,
        labels=primary.labels,
        ports=primary.ports,
        host_network=primary.host_network,
        pod_ips=_sorted_ips({ip for m in members for ip in m.pod_ips}),
        origin=primary.origin,
    )
