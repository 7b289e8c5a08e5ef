"""Line ranges of objects in a manifest, so Git history can be traced per object.

Only the YAML node tree is composed (no Python objects are constructed), with the safe loader.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import replace
from functools import cache

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reporter.provenance.model import ObjectLines

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: same nodes, slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


_DOCUMENT_START = re.compile(r"\n---(?=[ \t\r\n]|$)")
"""The end of the line before one that starts a YAML document: a line that starts ``---`` ends
whatever precedes it, even a block or quoted scalar, so the text can be cut there before it is
parsed. (A literal first: the search skips ahead to it.)"""


def locate_objects(text: str, kinds: Collection[str] = ("NetworkPolicy",)) -> list[ObjectLines]:
    """Every object of ``kinds`` in a YAML or JSON manifest, including ``kind: *List`` items.

    Each document is composed on its own, and only when its text says ``kind:`` one of
    ``kinds`` or a list: every earlier version of a file is located too, and composing the schemas
    of the CRDs beside a few policies, for each of argo-cd's 443 versions of its 2 MB
    install.yaml, took over a minute. (A kind spelt with escapes or given by an alias is not
    found: the history then names fewer objects, never wrong ones.) A
    document that is not valid YAML has no objects: whatever parsed the inputs reports the
    error.
    """
    return [found for found, _ in located_texts(text, Composed(tuple(kinds)))]


ObjectKey = tuple[str, str | None, str]
"""(kind, namespace as written, name)."""


class Composed:
    """Documents composed already, by their text: the versions of a file repeat most of its
    documents (a policy is the same in most of them), and each is composed once. Documents
    are kept up to ``room`` characters in all, then composed each time they are met."""

    def __init__(self, kinds: tuple[str, ...], room: int = 1 << 26) -> None:
        self.kinds = kinds
        self._room = room
        self._found: dict[str, list[tuple[ObjectLines, str]]] = {}

    def objects(self, document: str) -> list[tuple[ObjectLines, str]]:
        """The objects of the kinds in ``document``, numbered from its first line (1)."""
        found = self._found.get(document)
        if found is None:
            found = _located_at_top(document, self.kinds)
            if len(document) <= self._room:
                self._room -= len(document)
                self._found[document] = found
        return found


def located_texts(text: str, composed: Composed) -> list[tuple[ObjectLines, str]]:
    """:func:`locate_objects`, each object with its text (its lines, joined): what a change
    to the object is told by, without splitting the whole file into lines."""
    located = []
    yaml_breaks = any(c in text for c in _OTHER_BREAKS)
    line = counted = 0
    for start, stop in _documents(text, composed.kinds):
        line += (_yaml_breaks(text[counted:start]) if yaml_breaks
                 else text.count("\n", counted, start))
        counted = start
        located += [(replace(found, first_line=found.first_line + line,
                             last_line=found.last_line + line), own_text)
                    for found, own_text in composed.objects(text[start:stop])]
    return located


def object_texts(text: str, composed: Composed) -> dict[ObjectKey, str]:
    """The text of each object, by key (the first object of a key): :func:`located_texts`
    with no line counted, for the versions of a file whose lines nobody cites (a file of
    2,000 policies has 2,000 objects to number in each)."""
    found: dict[ObjectKey, str] = {}
    for start, stop in _documents(text, composed.kinds):
        for lines, own_text in composed.objects(text[start:stop]):
            found.setdefault((lines.kind, lines.namespace, lines.name), own_text)
    return found


def _documents(text: str, kinds: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Where each document that names one of ``kinds`` (or a list kind) starts and stops. The
    text is searched for the kinds once, and only the documents around what is found are cut
    out: argo-cd's install.yaml holds 7 policies in 2,000 documents."""
    stop = 0
    for found in _naming(kinds).finditer(text):
        if found.start() < stop:
            continue  # in the document just found
        start = _document_start(text, found.start())
        after = _DOCUMENT_START.search(text, found.end())
        stop = after.start() + 1 if after else len(text)
        yield start, stop


def _document_start(text: str, position: int) -> int:
    """Where the document holding ``position`` starts: after the last line break before it
    that :data:`_DOCUMENT_START` matches at, else 0."""
    end = position + 3  # "\n---" may end past the position, never start at or after it
    while (at := text.rfind("\n---", 0, end)) >= 0:
        if _DOCUMENT_START.match(text, at):
            return at + 1
        end = at + 3
    return 0


_OTHER_BREAKS = "\r\x85\u2028\u2029"
"""What YAML also counts as a line break, besides ``\n`` (``\r\n`` is one): a document's lines
are numbered as the parser numbers them, which a whole file's parse would give."""


def _yaml_breaks(text: str) -> int:
    return (sum(text.count(c) for c in f"\n{_OTHER_BREAKS}") - text.count("\r\n"))


@cache
def _naming(kinds: tuple[str, ...]) -> re.Pattern[str]:
    """``kind: X`` for one of ``kinds`` or a list kind, in block, flow or JSON style, quoted or
    not, its value on the same line or the next (``listKind: ApplicationList`` in a CRD is
    not one: ``kind`` is lower case). A literal first, as above."""
    names = "|".join(re.escape(k) for k in kinds)
    return re.compile(rf"kind[\"']?\s*:\s*[\"']?(?:{names}|\w*List)(?![\w-])")


def _located_at_top(document: str, kinds: tuple[str, ...]) -> list[tuple[ObjectLines, str]]:
    """The objects of ``kinds``, with their text, in the text from one ``---`` line to the
    next, numbered from its first line."""
    lines = document.splitlines()
    try:
        roots = [n for n in yaml.compose_all(document, Loader=_SafeLoader) if n is not None]
    except yaml.YAMLError:
        return []
    located = []
    for node, first, last in _ranges(roots, lines):
        for item, item_first, item_last in _expand_lists(node, first, last, lines):
            found = _identify(item, item_first, item_last)
            if found and found.kind in kinds:
                located.append((found, "\n".join(lines[item_first:item_last + 1])))
    return located


def _ranges(nodes: list[Node], lines: list[str]) -> Iterator[tuple[Node, int, int]]:
    """Each node with its 0-based first and last line, the last trimmed back to content."""
    for node in nodes:
        yield (
            node,
            node.start_mark.line,
            _trimmed(lines, node.start_mark.line, _last_line(node, lines)),
        )


def _last_line(node: Node, lines: list[str]) -> int:
    # A block node ends where the next token starts (the next `---`, `- ` or key), so its last
    # line is the one before, unless content precedes the end mark on that line (flow, JSON).
    end = node.end_mark
    if end.line < len(lines) and lines[end.line][: end.column].strip():
        return end.line
    return end.line - 1


def _trimmed(lines: list[str], first: int, last: int) -> int:
    """``last`` moved up past blank lines, top-level comments and document markers."""
    while last > first:
        line = lines[last]
        if line.strip() and not line.startswith(("#", "---", "...")):
            break
        last -= 1
    return last


def _expand_lists(
    node: Node, first: int, last: int, lines: list[str]
) -> Iterator[tuple[Node, int, int]]:
    items = _value(node, "items")
    if isinstance(items, SequenceNode) and _scalar(_value(node, "kind"), "").endswith("List"):
        yield from _ranges(items.value, lines)
    else:
        yield node, first, last


def _identify(node: Node, first: int, last: int) -> ObjectLines | None:
    kind = _scalar(_value(node, "kind"), "")
    metadata = _value(node, "metadata")
    name = _scalar(_value(metadata, "name"), "") if metadata else ""
    if not kind or not name:
        return None
    namespace = _scalar(_value(metadata, "namespace"), "") or None
    return ObjectLines(kind, namespace, name, first + 1, last + 1)


def _value(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _scalar(node: Node | None, default: str) -> str:
    return node.value if isinstance(node, ScalarNode) and isinstance(node.value, str) else default
