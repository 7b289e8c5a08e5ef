"""Manifests (files, directories, kubectl dumps, Git objects) -> :class:`Inventory`.

Every object read is either modelled (Namespace, workloads, networking.k8s.io/v1
NetworkPolicy) or recorded as skipped with the reason; nothing is dropped silently.
Problems in all sources are collected and raised together.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from reporter.errors import InputError, Problem, ValidationError
from reporter.inventory.fields import ObjectReader, describe
from reporter.inventory.model import (
    InputFile,
    Inventory,
    Namespace,
    NetworkPolicy,
    Origin,
    SkippedObject,
    Workload,
)
from reporter.inventory.names import dns_label_errors
from reporter.inventory.policies import parse_network_policy
from reporter.inventory.sources import Source, collect_sources
from reporter.inventory.workloads import (
    WORKLOAD_GROUPS,
    WorkloadObject,
    merge_workloads,
    read_workload,
)
from reporter.inventory.yamlload import YAML_HINT, LineDict, load_documents

NAME_LABEL = "kubernetes.io/metadata.name"
"""Set on every namespace by the API server; policies select namespaces by it."""
DEFAULT_NAMESPACE = "default"
NETWORK_POLICY_API = "networking.k8s.io/v1"
_FINISHED_PHASES = ("Succeeded", "Failed")
_NEVER_READ = ("Secret", "ConfigMap")


def load_paths(paths: Sequence[str], stdin: TextIO | None = None) -> Inventory:
    """The inventory of the files, directories and ``-`` (standard input) named."""
    return load_inventory(collect_sources(paths, stdin))


def load_inventory(sources: Sequence[Source]) -> Inventory:
    """Parse and validate every source; YAML errors, then object problems, are raised at once."""
    parsed: list[tuple[Source, list[Any]]] = []
    syntax: list[Problem] = []
    for source in sources:
        try:
            parsed.append((source, load_documents(source.text, source.path)))
        except InputError as error:
            syntax += error.problems
    if syntax:
        raise InputError(syntax, hint=YAML_HINT)
    builder = _InventoryBuilder()
    for source, documents in parsed:
        builder.add_source(source, documents)
    return builder.finish()


class _InventoryBuilder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.kinds: Counter[str] = Counter()
        self.seen: dict[tuple[str, str, str | None, str], Origin] = {}
        self.inputs: list[InputFile] = []
        self.namespaces: list[Namespace] = []
        self.policies: list[NetworkPolicy] = []
        self.workloads: list[WorkloadObject] = []
        self.skipped: list[SkippedObject] = []

    def add_source(self, source: Source, documents: list[Any]) -> None:
        digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        self.inputs.append(InputFile(source.path, digest, len(documents)))
        for number, document in enumerate(documents, start=1):
            for body, api_version, kind in self._objects(source.path, f"document {number}",
                                                         document):
                self.kinds[kind] += 1
                self._add_object(ObjectReader(source.path, kind, self.problems), body,
                                 api_version, kind)

    def _objects(
        self, file: str, where: str, document: Any, defaults: tuple[str, str] | None = None
    ) -> Iterator[tuple[LineDict, str, str]]:
        """(body, apiVersion, kind) of each object, with kubectl ``List`` items expanded."""
        if not isinstance(document, LineDict):
            self.problems.append(Problem(
                f"{where} is {describe(document)}, not a Kubernetes object "
                "(a mapping with apiVersion, kind and metadata)", file=file,
            ))
            return
        type_fields = self._type_fields(file, document, defaults)
        if type_fields is None:
            return
        api_version, kind = type_fields
        if kind == "List" or (kind.endswith("List") and "items" in document):
            # Items of typed lists (PodList, as the API returns them) omit apiVersion and kind.
            item_defaults = None if kind == "List" else (api_version, kind[: -len("List")])
            reader = ObjectReader(file, kind, self.problems)
            for index, item in enumerate(reader.sequence(document, "items", "items")):
                yield from self._objects(file, f"{where} item {index}", item, item_defaults)
            return
        yield document, api_version, kind

    def _type_fields(
        self, file: str, document: LineDict, defaults: tuple[str, str] | None
    ) -> tuple[str, str] | None:
        """(apiVersion, kind), or None when one is missing (reported)."""
        found = []
        for index, key in enumerate(("apiVersion", "kind")):
            value = document.get(key, defaults[index] if defaults else None)
            if not isinstance(value, str) or not value:
                self.problems.append(Problem(
                    f"required: every Kubernetes object has a string {key}; is this file a "
                    "manifest?", file, document.line, field=key,
                ))
                return None
            found.append(value)
        return found[0], found[1]

    def _add_object(
        self, reader: ObjectReader, body: LineDict, api_version: str, kind: str
    ) -> None:
        group = api_version.rpartition("/")[0]
        metadata = reader.mapping(body, "metadata", "metadata")
        if metadata is None:
            if body.get("metadata") is not None:
                return  # mistyped, and reported: nothing more can be said about the object
            metadata = LineDict.empty(body.line)
        name = reader.string(metadata, "name", "metadata.name") or ""
        written_namespace = reader.string(metadata, "namespace", "metadata.namespace")
        namespace = _namespace_of(kind, written_namespace)
        shown = name or "(unnamed)"
        reader.obj = f"{kind} {namespace}/{shown}" if namespace else f"{kind} {shown}"
        origin = Origin(reader.file, body.line)
        # A duplicate is still validated, so that one run reports all its problems too.
        unique = not name or self._is_unique((group, kind, namespace, name), reader, body, origin)
        reason = self._skip_reason(body, group, api_version, kind)
        if reason:
            if unique:
                self.skipped.append(SkippedObject(kind, name, written_namespace, reason, origin))
        elif not name:
            if metadata.get("name") in (None, ""):  # else reported as mistyped
                reader.report(body, "metadata.name", "required: the object's name")
        else:
            self._read_modelled(reader, body, metadata, kind, namespace, keep=unique)

    def _read_modelled(
        self, reader: ObjectReader, body: LineDict, metadata: LineDict, kind: str,
        namespace: str | None, keep: bool,
    ) -> None:
        """Validate a Namespace, NetworkPolicy or workload; keep it unless it is a duplicate."""
        name = metadata["name"]
        if namespace is None:
            origin = Origin(reader.file, body.line)
            namespace_object = self._read_namespace(reader, metadata, name, origin)
            self.namespaces += [namespace_object] if keep else []
            return
        for error in dns_label_errors(namespace):
            reader.report(metadata, "metadata.namespace", f"invalid {namespace!r}: {error}")
        if kind == "NetworkPolicy":
            policy = parse_network_policy(reader, body, namespace, name)
            self.policies += [policy] if keep else []
        else:
            workload = read_workload(reader, body, kind, namespace, name)
            self.workloads += [workload] if keep else []

    def _is_unique(
        self, key: tuple[str, str, str | None, str], reader: ObjectReader, body: LineDict,
        origin: Origin,
    ) -> bool:
        first = self.seen.setdefault(key, origin)
        if first is not origin:
            reader.report(
                body, "metadata.name",
                f"duplicate object: also defined at {first}; each object may be given once "
                "(remove one, or do not pass both manifests and a dump of them)",
            )
        return first is origin

    @staticmethod
    def _skip_reason(body: LineDict, group: str, api_version: str, kind: str) -> str | None:
        if kind in _NEVER_READ:
            return f"{kind} contents are never read or stored"
        if kind == "Namespace" and group == "":
            return None
        if kind == "NetworkPolicy":
            if api_version == NETWORK_POLICY_API:
                return None
            return (
                f"apiVersion {api_version} is not {NETWORK_POLICY_API} (e.g. a Calico or "
                "Cilium policy): its rules are not evaluated"
            )
        if kind not in WORKLOAD_GROUPS:
            return "does not select or run pods, so it does not affect NetworkPolicy reachability"
        if group not in WORKLOAD_GROUPS[kind]:
            return f"apiVersion {api_version} of {kind} is not a Kubernetes workload API"
        status = body.get("status")
        phase = status.get("phase") if kind == "Pod" and isinstance(status, dict) else None
        if phase in _FINISHED_PHASES:
            return f"Pod phase {phase}: its containers have stopped, so it has no traffic"
        return None

    @staticmethod
    def _read_namespace(
        reader: ObjectReader, metadata: LineDict, name: str, origin: Origin
    ) -> Namespace:
        for error in dns_label_errors(name):
            reader.report(metadata, "metadata.name", f"invalid namespace name {name!r}: {error}")
        labels = reader.labels(metadata, "labels", "metadata.labels")
        labels[NAME_LABEL] = name  # the API server sets it, overwriting any other value
        return Namespace(name, labels, origin)

    def finish(self) -> Inventory:
        if self.problems:
            raise ValidationError(
                self._sorted_problems(),
                hint="fix these so that the API server would accept the manifests; "
                "each message says what is expected",
            )
        workloads = sorted(merge_workloads(self.workloads), key=_workload_order)
        return Inventory(
            namespaces=tuple(self._all_namespaces(workloads)),
            workloads=tuple(w for w in workloads if not w.host_network),
            policies=tuple(sorted(self.policies, key=lambda p: (p.namespace, p.name))),
            host_network=tuple(w for w in workloads if w.host_network),
            skipped=tuple(sorted(self.skipped, key=_skipped_order)),
            inputs=tuple(self.inputs),
            kinds_read=dict(sorted(self.kinds.items())),
        )

    def _sorted_problems(self) -> list[Problem]:
        file_order = {f.path: index for index, f in enumerate(self.inputs)}
        return sorted(self.problems, key=lambda p: (file_order.get(p.file or ""), p.line or 0))

    def _all_namespaces(self, workloads: list[Workload]) -> list[Namespace]:
        """Declared namespaces, plus one for each namespace objects are in but not declared."""
        declared = {n.name for n in self.namespaces}
        used = {w.namespace for w in workloads} | {p.namespace for p in self.policies}
        synthesised = [Namespace(n, {NAME_LABEL: n}, None) for n in used - declared]
        return sorted(self.namespaces + synthesised, key=lambda n: n.name)


def _namespace_of(kind: str, written: str | None) -> str | None:
    """Namespaces are in none; modelled kinds default to ``default``; other kinds (cluster-scoped
    ones included) are where they say."""
    if kind == "Namespace":
        return None
    if kind == "NetworkPolicy" or kind in WORKLOAD_GROUPS:
        return written or DEFAULT_NAMESPACE
    return written


def _workload_order(workload: Workload) -> tuple[str, str, str]:
    return workload.namespace, workload.name, workload.kind


def _skipped_order(skipped: SkippedObject) -> tuple[str, str, str, str, int]:
    origin = skipped.origin
    return skipped.namespace or "", skipped.name, skipped.kind, origin.file, origin.line
