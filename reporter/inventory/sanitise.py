"""Objects cut down to what the analysis reads plus what identifies them: an allowlist.

Used for everything that leaves the process (cluster snapshots, manifests embedded in evidence
packs): env, command lines, annotations (``last-applied-configuration`` among them),
managedFields and Secret/ConfigMap data can carry credentials and are never kept. A field the
API adds later is dropped too. Kinds the inventory does not model keep their identity only.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from reporter.collection import paused
from reporter.inventory.workloads import CONTROLLER_TEMPLATE, TEMPLATE_PATH
from reporter.inventory.yamlload import documents_with_nodes

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                            "ReplicationController", "Job", "CronJob"})

_METADATA = ("name", "namespace", "uid", "creationTimestamp", "labels", "ownerReferences")
_OWNER_REFERENCE = ("apiVersion", "kind", "name", "uid", "controller")
_POD_SPEC = ("hostNetwork", "containers", "initContainers")
_CONTAINER = ("name", "image", "restartPolicy", "ports")
_CONTAINER_PORT = ("name", "containerPort", "protocol", "hostPort", "hostIP")
_POD_STATUS = ("phase", "podIP", "podIPs")


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
        kept |= _template_at(obj, TEMPLATE_PATH.get(kind, CONTROLLER_TEMPLATE))
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


# -- the attached copy of an input: redacted in place ---------------------------------------------

REDACTED = '"[redacted]"'
_COMMENT_REDACTED = "# [redacted]"
_IDENTITY_ONLY = frozenset({"Secret", "ConfigMap"})
"""Kinds whose every value but their name is redacted (their data is what they are for)."""
_MERGE_KEY = "<<"
_OWN_CONFIG = "ReporterConfig"
_WORKLOAD_SHOWN = ("replicas", "selector", "serviceName")

Path = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Redacted:
    """An input manifest with every value the allowlist would drop replaced on its own line."""

    text: str
    lines: tuple[int, ...]
    """1-based numbers of the lines where something was replaced."""


def _kept_view(document: Any) -> Any:
    """What :func:`sanitise` keeps of one YAML document, in the document's own shape."""
    if not isinstance(document, dict):
        return None
    kind, api_version = str(document.get("kind", "")), str(document.get("apiVersion", ""))
    if kind == _OWN_CONFIG:  # the reporter's own configuration: zones, flows, exceptions
        return document
    if kind in _IDENTITY_ONLY:
        return {"apiVersion": api_version, "kind": kind, "type": document.get("type"),
                "metadata": _pick(document.get("metadata"), ("name", "namespace"))}
    if isinstance(document.get("items"), list):  # kubectl's List (and FooList)
        item_kind = kind.removesuffix("List")
        items = [_kept_view(i if kind == "List" or not isinstance(i, dict)
                            else {"apiVersion": api_version, "kind": item_kind} | i)
                 for i in document["items"]]
        return {"apiVersion": api_version, "kind": kind, "items": items}
    kept = sanitise(kind, api_version, document)
    if kind in WORKLOAD_KINDS and isinstance(kept.get("spec"), dict):
        # Harmless and what a reader checks the template against: shown, not redacted.
        kept["spec"] |= _pick(document["spec"], _WORKLOAD_SHOWN)
    return kept


def kept_whole(document: Any) -> bool:
    """Whether the pack's copy keeps a document as it is: nothing in it to redact."""
    return bool(_kept_view(document) == document)


def _resolves(kept: Any, path: Path) -> bool:
    node = kept
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(node, dict):
            match = [k for k in node if k == step or str(k) == step]
            if not match:
                return False
            node = node[match[0]]
        else:
            return False
    return True


@dataclass
class _Frame:
    """A collection being walked: its path, and for a mapping whether a key comes next."""

    path: Path
    mapping: bool
    kept: bool
    first_line: int
    """Where its dropped lines start: the line of its key when it is a mapping's value."""
    index: int = 0
    key: Any = None
    key_line: int = 0
    expecting_key: bool = True
    is_key: bool = False
    """A complex (collection) key: consuming it does not consume a value of the parent."""


@dataclass
class _Edits:
    replacements: list[tuple[int, int, str]] = field(default_factory=list)
    """(start index, end index, text) in the input."""
    dropped_lines: set[int] = field(default_factory=set)
    """0-based lines inside a dropped value: comments there are redacted too."""

    def drop_lines(self, text: str, first: int, end: Any) -> None:
        """The lines of a dropped value, from ``first`` to the last it occupies (it ends at
        the mark ``end``)."""
        self.dropped_lines.update(range(first, _last_line(text, first, end) + 1))


def _replacement(text: str, start: int, end: int, end_column: int, anchor: str | None) -> str:
    """``"[redacted]"`` keeping the span's line breaks, so every later line stays in place and
    text after the span on its last line stays in its column."""
    breaks = "".join(re.findall(r"\r\n|\r|\n", text[start:end]))
    value = (f"&{anchor} " if anchor else "") + REDACTED
    return value + breaks + (" " * end_column if breaks else "")


def _last_line(text: str, first: int, mark: Any) -> int:
    """The last line a value ending at ``mark`` occupies: a block value ends where the next
    token starts, so a mark with only spaces before it on its line ends on the line above."""
    line: int = mark.line
    before = text[text.rfind("\n", 0, mark.index) + 1:mark.index]
    return line - 1 if line > first and not before.strip() else line


def _walk(text: str, kept: list[Any], whole: list[bool]) -> _Edits:
    """The edits that drop what ``kept`` leaves out; documents ``whole`` (kept entire) are
    skipped, their events unread."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    edits = _Edits()
    stack: list[_Frame] = []
    documents = iter(zip(kept, whole, strict=True))
    view: Any = None
    skip = False
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.DocumentStartEvent):
            view, skip = next(documents, (None, False))
        elif skip:
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            if not done.kept:
                edits.drop_lines(text, done.first_line, event.end_mark)
            if not done.is_key:
                _advance(stack)
        elif isinstance(event, yaml.NodeEvent):
            _node(text, event, stack, view, edits)
    return edits


def _node(text: str, event: Any, stack: list[_Frame], view: Any, edits: _Edits) -> None:
    import yaml

    frame = stack[-1] if stack else None
    is_collection = isinstance(event, yaml.CollectionStartEvent)
    is_mapping = isinstance(event, yaml.MappingStartEvent)
    if frame is not None and frame.mapping and frame.expecting_key:
        frame.key = event.value if isinstance(event, yaml.ScalarEvent) else None
        frame.key_line = event.start_mark.line
        frame.expecting_key = False
        if is_collection:  # a complex key: nothing the allowlist names, so dropped
            stack.append(_Frame((), is_mapping, False, event.start_mark.line, is_key=True))
        return
    if frame is None:
        path: Path = ()
    else:
        path = (*frame.path, frame.key) if frame.mapping else (*frame.path, frame.index)
    merge = frame is not None and frame.mapping and frame.key == _MERGE_KEY
    keep = merge or (frame is None or frame.kept) and _resolves(view, path)
    first = frame.key_line if frame is not None and frame.mapping else event.start_mark.line
    if is_collection:
        stack.append(_Frame(path, is_mapping, keep, first))
        return
    start, end = event.start_mark.index, event.end_mark.index
    if not keep:
        edits.drop_lines(text, first, event.end_mark)
        if end > start:
            anchor = None if isinstance(event, yaml.AliasEvent) else event.anchor
            edits.replacements.append(
                (start, end, _replacement(text, start, end, event.end_mark.column, anchor)))
    _advance(stack)


def _advance(stack: list[_Frame]) -> None:
    """A value was consumed in the innermost collection."""
    if not stack:
        return
    frame = stack[-1]
    if frame.mapping:
        frame.expecting_key = True
    else:
        frame.index += 1


def _without_comment(line: str) -> str:
    """``line`` with its comment replaced, quoted text skipped (a ``#`` inside it is text)."""
    quote, i = "", 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-?"):
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i] + _COMMENT_REDACTED
        i += 1
    return line


class _Unwalkable(Exception):
    """A document whose nodes cannot place every edit: an alias (its node is the anchor's,
    its position lost), an anchored or tagged value to replace, a merge key or a key written
    ``<<`` (which the event walk takes for one)."""


def _walk_nodes(text: str, node: Any, view: Any, edits: _Edits, aliased: bool) -> None:
    """The edits that drop what ``view`` leaves out of one document, from its composed nodes
    (None: merge keys rewrote them): the same edits as :func:`_walk` over its events, without
    parsing the text again. An alias is its anchor's node met again; ``aliased`` says whether
    the text may hold one (a ``*``): without, no set of every node is kept (70 MB for a 13 MB
    dump of pods)."""
    if node is None:
        raise _Unwalkable
    seen: set[int] | None = set() if aliased else None

    def met_again(node: Any) -> bool:
        if seen is None:
            return False
        if id(node) in seen:
            return True
        seen.add(id(node))
        return False

    def visit(node: Any, view: Any, kept: bool, first: int) -> None:
        if met_again(node):
            raise _Unwalkable
        kind = type(node)
        if kind is ScalarNode:
            if not kept:
                _drop_scalar(text, node, first, edits)
            return
        if kind is MappingNode:
            for key, value in node.value:
                if key.value == _MERGE_KEY or met_again(key):
                    raise _Unwalkable
                found, child = _child(view, key.value) if kept else (False, None)
                visit(value, child, found, key.start_mark.line)
        else:
            for index, item in enumerate(node.value):
                found, child = _child(view, index) if kept else (False, None)
                visit(item, child, found, item.start_mark.line)
        if not kept:
            edits.drop_lines(text, first, node.end_mark)

    visit(node, view, True, node.start_mark.line)


def _child(view: Any, step: Any) -> tuple[bool, Any]:
    """Whether ``view`` has ``step`` (a raw key or an index) as :func:`_resolves` finds it,
    and what is there."""
    if isinstance(step, int) and isinstance(view, list) and step < len(view):
        return True, view[step]
    if isinstance(view, dict):
        for key in view:
            if key == step or str(key) == step:
                return True, view[key]
    return False, None


def _drop_scalar(text: str, node: Any, first: int, edits: _Edits) -> None:
    edits.drop_lines(text, first, node.end_mark)
    start, end = node.start_mark.index, node.end_mark.index
    if end > start:
        if text[start] in "&!":  # an anchor (kept in the copy) or a tag that may precede one
            raise _Unwalkable
        edits.replacements.append(
            (start, end, _replacement(text, start, end, node.end_mark.column, None)))


class Redaction:
    """The edits that redact one input, found document by document from the nodes its reader
    composed (:meth:`add`, called as the inventory reads it), so that the pack's copy needs no
    second parse of the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._aliased = "*" in text
        self.whole = True
        """Whether every document added is kept as it is (nothing to redact)."""
        self._edits: _Edits | None = _Edits()
        """None once a document proved unwalkable: the copy is then redacted from events."""

    def add(self, node: Node | None, document: Any) -> None:
        """The next document of the text, with its node (None: merge keys rewrote it)."""
        view = _kept_view(document)
        if view == document:
            return
        self.whole = False
        if self._edits is not None:
            try:
                _walk_nodes(self.text, node, view, self._edits, self._aliased)
            except _Unwalkable:
                self._edits = None

    def redacted(self) -> Redacted:
        """The copy: ``text`` with the edits of every document added made."""
        edits = self._edits
        if edits is None:  # read again, event by event: an alias, an anchor or a merge key
            with paused():
                documents = [document for _, document in documents_with_nodes(self.text)]
                kept = [_kept_view(d) for d in documents]
                edits = _walk(self.text, kept,
                              [k == d for k, d in zip(kept, documents, strict=True)])
        return _applied(self.text, edits)


def redact_in_place(text: str) -> Redacted:
    """``text`` with every value the allowlist drops (env, command lines, annotations, Secret
    and ConfigMap data, ...) replaced by ``"[redacted]"`` where it stood, and the comments
    among those values too. Every other line, comment and space stays, so a ``file:line``
    cited from the input points at the same object in the copy."""
    redaction = Redaction(text)
    with paused():  # no cycles among the documents: a large one would be traversed again
        for node, document in documents_with_nodes(text):
            redaction.add(node, document)
    return redaction.redacted()


def _applied(text: str, edits: _Edits) -> Redacted:
    """``text`` with the replacements made and the comments among dropped values redacted."""
    if not edits.replacements and not edits.dropped_lines:
        return Redacted(text, ())
    pieces, done = [], 0
    for start, end, replacement in sorted(edits.replacements):
        pieces += [text[done:start], replacement]
        done = end
    lines = "".join([*pieces, text[done:]]).splitlines(keepends=True)
    breaks = [m.start() for m in re.finditer("\n", text)]
    changed = {line for start, end, _ in edits.replacements
               for line in range(bisect_left(breaks, start),
                                 bisect_left(breaks, max(start, end - 1)) + 1)}
    for number in sorted(edits.dropped_lines):
        if number < len(lines):
            body = lines[number].rstrip("\r\n")
            scrubbed = _without_comment(body)
            if scrubbed != body:
                lines[number] = scrubbed + lines[number][len(body):]
                changed.add(number)
    return Redacted("".join(lines), tuple(n + 1 for n in sorted(changed)))
