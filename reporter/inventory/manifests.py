"""Manifests (files, directories, kubectl dumps, Git objects) -> :class:`Inventory`.

Every object read is either modelled (Namespace, workloads, networking.k8s.io/v1
NetworkPolicy) or recorded as skipped with the reason; nothing is dropped silently.
Problems in all sources are collected and raised together.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, TextIO

from reporter.collection import paused
from reporter.errors import InputError, Problem, ValidationError
from reporter.inventory.classify import (
    ALLOWS_OR_DENIES,
    KUSTOMIZATION_FILES,
    RUNS_PODS,
    TEMPLATE_MARK,
    VARIABLE_MARK,
    RepositoryLayout,
    Skip,
    changes_traffic,
    not_an_object,
    runs_pods,
    strict_json_problem,
    unrendered_template,
    unrendered_variables,
    unused_kind_reason,
)
from reporter.inventory.fields import ObjectReader, describe
from reporter.inventory.model import (
    Copy,
    InputFile,
    Inventory,
    Namespace,
    NetworkPolicy,
    NotModelledPolicy,
    Origin,
    SkippedFile,
    SkippedObject,
    Workload,
)
from reporter.inventory.names import dns_label_errors, dns_subdomain_errors
from reporter.inventory.policies import parse_network_policy
from reporter.inventory.sanitise import kept_whole
from reporter.inventory.sources import Source, collect_sources
from reporter.inventory.workloads import (
    WORKLOAD_GROUPS,
    WorkloadObject,
    merge_workloads,
    read_workload,
)
from reporter.inventory.yamlload import (
    YAML_CAUSES,
    YAML_HINT,
    Document,
    LineDict,
    load_documents,
    load_noting_duplicates,
)

NAME_LABEL = "kubernetes.io/metadata.name"
"""Set on every namespace by the API server; policies select namespaces by it."""
DEFAULT_NAMESPACE = "default"
NETWORK_POLICY_API = "networking.k8s.io/v1"
_FINISHED_PHASES = ("Succeeded", "Failed")
_NEVER_READ = ("Secret", "ConfigMap")
MODELLED_KINDS = frozenset({"Namespace", "NetworkPolicy", *WORKLOAD_GROUPS})
CLUSTER_WIDE_KINDS = frozenset({
    "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
    "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy",
    "ClusterUserDefinedNetwork",
})
_ANYWHERE = Origin("", 0)
"""Stands for the origin when copies are compared: where an object is written is no difference."""
RENDER_OVERLAY = "render the overlay you deploy (kubectl kustomize DIR | reporter check -)"
_ACCEPTED = "so that the API server would accept the manifests"
_EACH_MESSAGE = "each message says what is expected"
VALIDATION_HINT = f"fix these {_ACCEPTED}; {_EACH_MESSAGE}"
_WHERE_YAML_IS_INVALID = f"where the YAML is invalid, the usual causes are {YAML_CAUSES}"
_FIX_THE_REST = f"fix the rest {_ACCEPTED}"
SEPARATE_COPIES_HINT = ("the inputs define the same objects differently in several places "
                        "(variants, environments or separate examples, never applied "
                        "together): point the reporter at the manifests of one cluster, or leave "
                        "the others out with --exclude")


def load_paths(paths: Sequence[str], stdin: TextIO | None = None, *,
               exclude: Sequence[str] = (), strict: bool = False) -> Inventory:
    """The inventory of the files, directories and ``-`` (standard input) named; ``exclude``
    globs leave paths out, ``strict`` makes every non-manifest file an error."""
    return load_inventory(collect_sources(paths, stdin, exclude=exclude), strict=strict)


def load_inventory(sources: Sequence[Source], *, strict: bool = False) -> Inventory:
    """Parse and validate every source; every problem of every file is raised at once."""
    with paused():
        builder = _InventoryBuilder(sources, strict)
        for source in sources:
            builder.add_source(source)
        return builder.finish()


class _InventoryBuilder:
    def __init__(self, sources: Sequence[Source], strict: bool) -> None:
        self.strict = strict
        self.order = {s.path: index for index, s in enumerate(sources)}
        self.problems: list[Problem] = []
        self.yaml_problems = False
        self.kinds: Counter[str] = Counter()
        self.seen: dict[tuple[str, str, str | None, str], tuple[Origin, object]] = {}
        self.skipped_seen: set[tuple[str, str, str | None, str]] = set()
        self.inputs: list[InputFile] = []
        self.namespaces: list[Namespace] = []
        self.policies: list[NetworkPolicy] = []
        self.workloads: list[WorkloadObject] = []
        self.skipped: list[SkippedObject] = []
        self.skipped_files: list[SkippedFile] = []
        self.copies: list[Copy] = []
        self.not_modelled: list[NotModelledPolicy] = []
        self.whole: set[str] = set()
        self.layout = RepositoryLayout(s.path for s in sources)
        self.kustomize_variants = 0
        """Duplicate objects that are resources of two kustomizations (variants)."""
        self.differing_copies = 0
        """Duplicate objects defined differently, variants or not."""
        for source in sources:
            if posixpath.basename(source.path) in KUSTOMIZATION_FILES:
                with contextlib.suppress(InputError):  # reported when the file itself is read
                    self.layout.add_kustomization(source.path,
                                                  load_documents(source.text, source.path))

    def add_source(self, source: Source) -> None:
        if source.skipped is not None:
            self._skip(source.path, Skip(source.skipped))
            return
        if source.problem is not None:
            self.problems.append(Problem(source.problem, source.path))
            return
        documents = self._documents(source)
        if documents is None:
            return
        kept = []
        for number, document in enumerate(documents, start=1):
            reason = self._not_an_object(source.path, document)
            if reason is None:
                kept.append((number, document))
            elif len(documents) > 1:
                self._skip(source.path, Skip(reason, getattr(document, "line", None)))
        if documents and not kept:  # an empty file is still an (empty) manifest file
            self._skip(source.path, Skip(self._not_an_object(source.path, documents[0]) or ""))
            return
        digest = hashlib.sha256(source.text.encode("utf-8", "surrogateescape")).hexdigest()
        self.inputs.append(InputFile(source.path, digest, len(documents)))
        for number, document in kept:
            for body, api_version, kind in self._objects(source.path, f"document {number}",
                                                         document):
                self.kinds[kind] += 1
                self._add_object(ObjectReader(source.path, kind, self.problems), body,
                                 api_version, kind)

    def _documents(self, source: Source) -> list[Any] | None:
        """The documents of a manifest file; None when it is skipped or cannot be read."""
        skip = self.layout.file_skip(source.path, source.text)
        if skip is not None:
            self._skip(source.path, skip)
            return None
        if source.path.lower().endswith(".json"):
            problem = strict_json_problem(source.text, source.path)
            if problem is not None:
                self.problems.append(problem)
                self.yaml_problems = True
                return None
        templated = TEMPLATE_MARK in source.text
        try:
            loaded = load_noting_duplicates(source.text, source.path)
        except InputError as error:
            if templated:
                self._skip(source.path, unrendered_template(None, MODELLED_KINDS) or Skip(""))
                return None
            self.problems += error.problems
            self.yaml_problems = True
            return None
        repeated = [d for d in loaded if d.duplicates and (self.strict or _read_for_the_map(d))]
        if repeated:
            self.problems += [p for d in repeated for p in d.duplicate_problems(source.path)]
            self.yaml_problems = True
            return None
        documents = [d.value for d in loaded]
        skip = unrendered_template(documents, MODELLED_KINDS) if templated else None
        if skip is None and VARIABLE_MARK in source.text:
            skip = unrendered_variables(documents, MODELLED_KINDS)
        if skip is not None:
            self._skip(source.path, skip)
            return None
        # Read before anything uses the documents; a repeated key leaves it to the copy's
        # own reading (which value wins is the YAML library's).
        if not any(d.duplicates for d in loaded) and all(map(kept_whole, documents)):
            self.whole.add(source.path)
        return documents

    def _skip(self, path: str, skip: Skip) -> None:
        if self.strict:
            self.problems.append(Problem(
                f"{skip.reason} (--strict: every file and document must be a Kubernetes "
                "manifest; leave it out with --exclude, or drop --strict)", path, skip.line))
        else:
            self.skipped_files.append(SkippedFile(path, skip.reason, skip.line))

    @staticmethod
    def _not_an_object(path: str, document: Any) -> str | None:
        """Why a top-level document is not a Kubernetes object; None when it may be one (one
        naming a modelled kind must be complete, and is validated as such)."""
        if not isinstance(document, dict):
            return not_an_object(path, document)
        kind = document.get("kind")
        if isinstance(kind, str) and (kind in MODELLED_KINDS or kind.endswith("List")):
            return None
        if kind is not None and document.get("apiVersion") is not None:
            return None  # an object, perhaps with a mistyped kind (reported)
        return not_an_object(path, document)

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
        name = reader.string(metadata, "name", "metadata.name") or _generated_name(
            reader, metadata, body)
        written_namespace = reader.string(metadata, "namespace", "metadata.namespace")
        namespace = _namespace_of(kind, written_namespace)
        shown = name or "(unnamed)"
        reader.obj = f"{kind} {namespace}/{shown}" if namespace else f"{kind} {shown}"
        origin = Origin(reader.file, body.line)
        if (group, kind, api_version) != ("networking.k8s.io", "NetworkPolicy",
                                          NETWORK_POLICY_API) and changes_traffic(group, kind):
            scope = None if kind in CLUSTER_WIDE_KINDS else (written_namespace or
                                                              DEFAULT_NAMESPACE)
            self.not_modelled.append(NotModelledPolicy(kind, api_version, shown, scope, origin,
                                                       ALLOWS_OR_DENIES))
            return
        if kind not in MODELLED_KINDS and runs_pods(group, kind, body):
            self.not_modelled.append(NotModelledPolicy(
                kind, api_version, shown, written_namespace or DEFAULT_NAMESPACE, origin,
                RUNS_PODS))
            return
        reason = self._skip_reason(body, group, api_version, kind)
        key = (group, kind, namespace, name)
        if reason:
            # Kinds that are skipped anyway cannot conflict: a copy is simply not listed again.
            if key not in self.skipped_seen or not name:
                self.skipped_seen.add(key)
                self.skipped.append(SkippedObject(kind, name, written_namespace, reason, origin))
        elif not name:
            if metadata.get("name") in (None, ""):  # else reported as mistyped
                reader.report(body, "metadata.name", "required: the object's name (or "
                              "metadata.generateName)")
        else:
            self._read_modelled(reader, body, metadata, kind, namespace, key)

    def _read_modelled(
        self, reader: ObjectReader, body: LineDict, metadata: LineDict, kind: str,
        namespace: str | None, key: tuple[str, str, str | None, str],
    ) -> None:
        """Validate a Namespace, NetworkPolicy or workload; keep it unless it is a copy."""
        name = key[3]
        origin = Origin(reader.file, body.line)
        if namespace is None:
            namespace_object = self._read_namespace(reader, metadata, name, origin)
            if self._is_first(reader, body, key, origin, namespace_object.labels):
                self.namespaces.append(namespace_object)
            return
        for error in dns_label_errors(namespace):
            reader.report(metadata, "metadata.namespace", f"invalid {namespace!r}: {error}")
        if kind == "NetworkPolicy":
            policy = parse_network_policy(reader, body, namespace, name)
            if self._is_first(reader, body, key, origin, policy.spec):
                self.policies.append(policy)
        else:
            for error in dns_subdomain_errors(name):
                reader.report(metadata, "metadata.name", f"invalid name {name!r}: {error}")
            workload = read_workload(reader, body, kind, namespace, name)
            if self._is_first(reader, body, key, origin, replace(workload, origin=_ANYWHERE)):
                self.workloads.append(workload)

    def _is_first(
        self, reader: ObjectReader, body: LineDict, key: tuple[str, str, str | None, str],
        origin: Origin, modelled: object,
    ) -> bool:
        """Whether this is the first copy of the object. A later copy identical in what the map
        reads is listed (bases and their copies are common); a differing one is an error."""
        first, first_modelled = self.seen.setdefault(key, (origin, modelled))
        if first is origin:
            return True
        if first_modelled == modelled:
            self.copies.append(Copy(key[1], key[3], key[2], origin, first))
        else:
            self.differing_copies += 1
            trees = {self.layout.kustomization_of(o.file) for o in (first, origin)}
            if None in trees or len(trees) == 1:  # one kustomization applies both
                advice = ("each object may be given once (remove one, leave one out with "
                          "--exclude, or do not pass both manifests and a dump of them)")
            else:
                self.kustomize_variants += 1
                advice = ("both are resources of kustomizations "
                          f"({', '.join(sorted(t for t in trees if t))}): variants that overlays "
                          f"choose between, never applied together; {RENDER_OVERLAY} or leave "
                          "one out with --exclude")
            reader.report(
                body, "metadata.name",
                f"duplicate object: also defined at {first}, differently (labels, ports, "
                f"selectors or rules); {advice}",
            )
        return False

    @staticmethod
    def _skip_reason(body: LineDict, group: str, api_version: str, kind: str) -> str | None:
        if kind in _NEVER_READ:
            return f"{kind} contents are never read or stored"
        if (kind == "Namespace" and group == "") or kind == "NetworkPolicy":
            return None  # other NetworkPolicy APIs were set aside as not modelled
        if kind not in WORKLOAD_GROUPS:
            return unused_kind_reason(group, kind)
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
            invalid_yaml = sum(p.message.startswith(("invalid YAML", "invalid JSON"))
                               for p in self.problems)
            if self.kustomize_variants == len(self.problems):
                hint = f"a kustomize tree holds variants of the same objects: {RENDER_OVERLAY}"
            elif invalid_yaml == len(self.problems):
                hint = YAML_HINT
            elif 2 * self.differing_copies > len(self.problems):
                hint = "; ".join([
                    SEPARATE_COPIES_HINT,
                    *([_WHERE_YAML_IS_INVALID] if self.yaml_problems else []),
                    *([_FIX_THE_REST] if self.differing_copies < len(self.problems) else [])])
            elif self.yaml_problems:
                hint = f"{_WHERE_YAML_IS_INVALID}; {_FIX_THE_REST}; {_EACH_MESSAGE}"
            else:
                hint = VALIDATION_HINT
            raise ValidationError(self._sorted_problems(), hint=hint)
        workloads = sorted(merge_workloads(self.workloads), key=_workload_order)
        return Inventory(
            namespaces=tuple(self._all_namespaces(workloads)),
            workloads=tuple(w for w in workloads if not w.host_network),
            policies=tuple(sorted(self.policies, key=lambda p: (p.namespace, p.name))),
            host_network=tuple(w for w in workloads if w.host_network),
            skipped=tuple(sorted(self.skipped, key=_skipped_order)),
            inputs=tuple(self.inputs),
            kinds_read=dict(sorted(self.kinds.items())),
            skipped_files=tuple(sorted(self.skipped_files, key=self._file_order)),
            copies=tuple(self.copies),
            not_modelled=tuple(sorted(self.not_modelled, key=lambda p: (
                p.namespace or "", p.kind, p.name, p.origin.file, p.origin.line))),
            whole=frozenset(self.whole),
        )

    def _file_order(self, skipped: SkippedFile) -> tuple[int, int]:
        return self.order.get(skipped.path, 0), skipped.line or 0

    def _sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (self.order.get(p.file or "", 0),
                                                    p.line or 0))

    def _all_namespaces(self, workloads: list[Workload]) -> list[Namespace]:
        """Declared namespaces, plus one for each namespace objects are in but not declared."""
        declared = {n.name for n in self.namespaces}
        used = {w.namespace for w in workloads} | {p.namespace for p in self.policies}
        synthesised = [Namespace(n, {NAME_LABEL: n}, None) for n in used - declared]
        return sorted(self.namespaces + synthesised, key=lambda n: n.name)


def _generated_name(reader: ObjectReader, metadata: LineDict, body: LineDict) -> str:
    """``generateName`` plus a short hash of the object (Helm hooks, Argo CD): a name that
    is the same in every run, as the API server would make one at creation."""
    prefix = reader.string(metadata, "generateName", "metadata.generateName")
    if not prefix:
        return ""
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return prefix + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:5]


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


def _read_for_the_map(document: Document) -> bool:
    """Whether a document's repeated keys matter: it may be an object the map reads or one
    that changes traffic, or the repetition makes its kind ambiguous. A Secret or a values
    file with a repeated key is skipped like any other, not refused."""
    if any(key in ("'kind'", "'apiVersion'") for _, key in document.duplicates):
        return True
    value = document.value
    if not isinstance(value, dict):
        return False
    kind, api_version = value.get("kind"), value.get("apiVersion")
    if not isinstance(kind, str):
        return False
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    return kind in MODELLED_KINDS or kind.endswith("List") or changes_traffic(group, kind)
