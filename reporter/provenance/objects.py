"""Line ranges of objects in a manifest, so Git history can be traced per object.

Only the YAML node tree is composed (no Python objects are constructed), with the safe loader.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reporter.provenance.model import ObjectLines

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: same nodes, slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


def locate_objects(text: str, kinds: Collection[str] = ("NetworkPolicy",)) -> list[ObjectLines]:
    """Every object of ``kinds`` in a YAML or JSON manifest, including ``kind: *List`` items.

    Text that is not valid YAML has no objects: whatever parsed the inputs reports the error.
    """
    lines = text.splitlines()
    try:
        roots = [n for n in yaml.compose_all(text, Loader=_SafeLoader) if n is not None]
    except yaml.YAMLError:
        return []
    located = []
    for node, first, last in _ranges(roots, lines):
        for item, item_first, item_last in _expand_lists(node, first, last, lines):
            found = _identify(item, item_first, item_last)
            if found and found.kind in kinds:
                located.append(found)
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
