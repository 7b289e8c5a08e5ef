"""A safe YAML loader whose mappings remember the line they start on.

Problems found later (a bad CIDR, a duplicate object) point at that line. libyaml composes the
nodes, with their positions, in C; building Python values from them is where plain
``CSafeLoader`` spends most of its time. This loader builds the common nodes (strings, decimal
integers, mappings, sequences) directly and hands every other tag to PyYAML's safe constructors,
so it costs less than the plain parse while each mapping carries its line.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reporter.errors import InputError, Problem

try:
    from yaml import CSafeLoader as _SafeLoader

    _BYTE_POSITIONS = True  # libyaml counts positions in UTF-8 bytes
except ImportError:  # PyYAML built without libyaml: same results, slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

    _BYTE_POSITIONS = False

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAGS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
_MAX_INT_DIGITS = 4300
"""Python's limit on converting decimal text to int; longer ones take the checked path."""


class LineDict(dict[Any, Any]):
    """A YAML mapping; ``line`` is the 1-based line of its first key."""

    __slots__ = ("line",)
    line: int

    @classmethod
    def empty(cls, line: int) -> LineDict:
        """An empty mapping standing for one that is absent, located at ``line``."""
        mapping = cls()
        mapping.line = line
        return mapping


class SafeLoader(_SafeLoader):
    """``CSafeLoader`` (or ``SafeLoader``) that reads a node whose tag no safe constructor
    knows as its plain value, the tag ignored, as Kubernetes's YAML reader does: mkdocs's
    ``!!python/name:…``, GitLab CI's ``!reference``, CloudFormation's ``!Ref``, and a plain
    ``=`` (a CRD's enum value, which PyYAML resolves to YAML 1.1's "value" key). PyYAML alone
    refuses the whole file; nothing is ever instantiated from a tag."""

    def construct_untagged(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self.construct_scalar(node)
        if isinstance(node, SequenceNode):
            return [self.construct_object(child) for child in node.value]
        return self.construct_mapping(node)  # type: ignore[arg-type]


def _untagged(loader: SafeLoader, node: Node) -> Any:
    return loader.construct_untagged(node)  # dispatched: LineLoader builds LineDicts


SafeLoader.add_constructor(None, _untagged)  # None: a tag no other constructor takes


class LineLoader(SafeLoader):
    """:class:`SafeLoader` producing :class:`LineDict` mappings."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] | None = None
        """When a list, repeated keys are noted here as (line, key) instead of raised."""
        self.merged = False
        """Whether merge keys rewrote a node's entries (set when they do; :func:`_read`
        clears it before each document)."""
        if not self.yaml_path_resolvers:  # the safe resolver has none
            # Path resolvers are all these hooks serve; libyaml calls them around every node,
            # and a builtin returns faster. Without them, a tag depends on the text alone.
            self.descend_resolver = {}.get  # type: ignore[method-assign, assignment]
            self.ascend_resolver = tuple  # type: ignore[method-assign, assignment]
            self.resolve = self._remembered_resolve  # type: ignore[method-assign]
            self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def _remembered_resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        """The implicit tag of a node, remembered per scalar text (keys and values repeat)."""
        if kind is not ScalarNode:
            return _MAP_TAG if kind is MappingNode else _SEQ_TAG
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = super().resolve(  # type: ignore[no-untyped-call]
                kind, value, implicit)
        return tag

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        tag, kind = node.tag, type(node)
        if kind is ScalarNode:
            value = node.value
            if tag == _STR_TAG:
                return value
            if (tag == _INT_TAG and value.isascii() and value.isdigit()
                    and (value[0] != "0" or value == "0") and len(value) <= _MAX_INT_DIGITS):
                return int(value)
        elif kind is MappingNode and tag == _MAP_TAG:
            found = self.constructed_objects.get(node)
            return self.construct_line_dict(node) if found is None else found
        elif kind is SequenceNode and tag == _SEQ_TAG:
            found = self.constructed_objects.get(node)
            if found is not None:
                return found
            items: list[Any] = []
            self.constructed_objects[node] = items  # first, so that recursive aliases resolve
            items.extend([self.construct_object(child) for child in node.value])
            return items
        return super().construct_object(node, deep)

    def construct_untagged(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return self.construct_line_dict(node)
        return super().construct_untagged(node)

    def flatten_mapping(self, node: MappingNode) -> None:
        entries, count = node.value, len(node.value)
        super().flatten_mapping(node)
        if node.value is not entries or len(node.value) != count:
            self.merged = True

    def construct_line_dict(self, node: Node) -> LineDict:
        if not isinstance(node, MappingNode):  # `!!map` forced onto a scalar or sequence
            found = "scalar" if isinstance(node, ScalarNode) else "sequence"
            raise ConstructorError(None, None, f"expected a mapping, found a {found}",
                                   node.start_mark)
        data = LineDict()
        data.line = node.start_mark.line + 1
        self.constructed_objects[node] = data  # first, so that recursive aliases resolve
        written = node.value
        if not self._fill(data, node):
            data.clear()
            self.flatten_mapping(node)  # merge keys (<<) become ordinary entries, in a new list
            self._fill(data, node)
        # Fewer keys than entries means a repeated key (merged entries may repeat, so only
        # without merges): YAML forbids it, kubectl rejects it, PyYAML would keep the last.
        if len(data) != len(node.value) and node.value is written:
            _raise_duplicate_key(self, node)
        return data

    def _fill(self, data: LineDict, node: MappingNode) -> bool:
        """Add the node's entries to ``data``; False, unfinished, at a merge key."""
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is ScalarNode:
                key = key_node.value
            elif key_node.tag in _MERGE_TAGS:
                return False
            else:
                key = self.construct_object(key_node)
                if not isinstance(key, Hashable):
                    raise ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found a key that is a list or mapping", key_node.start_mark,
                    )
            data[key] = self.construct_object(value_node)
        return True


def _raise_duplicate_key(loader: LineLoader, node: MappingNode) -> None:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            if loader.duplicates is None:
                raise ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark,
                )
            loader.duplicates.append((key_node.start_mark.line + 1, repr(key)))
        seen.add(key)


LineLoader.add_constructor(_MAP_TAG, LineLoader.construct_line_dict)

class _ImpossibleValue(ConstructorError):
    """A plain scalar that reads as a date or integer that cannot be built (``2024-13-01``)."""


_IMPOSSIBLE_HINT = ("quote the value if it is text; otherwise write a date that exists "
                    "(YYYY-MM-DD) or a number of at most 4300 digits")


def _checked_timestamp(loader: LineLoader, node: ScalarNode) -> Any:
    try:
        return _SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as error:  # the value is not quoted back: it could be a secret
        raise _ImpossibleValue(None, None, f"a date or time that does not exist ({error})",
                               node.start_mark) from None


def _checked_int(loader: LineLoader, node: ScalarNode) -> Any:
    try:
        return _SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise _ImpossibleValue(None, None, "an integer too long to read (over 4300 digits)",
                               node.start_mark) from None


LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)
LineLoader.add_constructor("tag:yaml.org,2002:int", _checked_int)


def load_documents(text: str, path: str) -> list[Any]:
    """Every non-empty document of ``text``; YAML errors become an :class:`InputError`."""
    try:
        return [d for d in yaml.load_all(text, Loader=LineLoader) if d is not None]
    except _ImpossibleValue as error:
        raise _input_error(error, path, _IMPOSSIBLE_HINT) from None
    except yaml.MarkedYAMLError as error:
        raise _input_error(error, path) from None
    except yaml.reader.ReaderError as error:
        raise _character_error(error, text, path) from None


@dataclass(frozen=True, slots=True)
class Document:
    """A non-empty document and the keys repeated in its mappings (the last value is kept)."""

    value: Any
    duplicates: tuple[tuple[int, str], ...]
    """(line, key) of each repetition."""

    def duplicate_problems(self, path: str) -> list[Problem]:
        return [Problem(f"invalid YAML: while constructing a mapping; found duplicate key {key}",
                        file=path, line=line) for line, key in sorted(self.duplicates)]


def load_noting_duplicates(text: str, path: str,
                           each: Callable[[Node | None, Any], None] | None = None
                           ) -> list[Document]:
    """Like :func:`load_documents`, but a repeated key is noted on its document, not raised:
    the caller decides whether the document matters (one that is skipped anyway does not).
    ``each`` is given every document (empty ones as None) with its node, as
    :func:`documents_with_nodes` gives them, while the node is at hand."""
    try:
        found = []
        for node, value, duplicates in _read(text):
            if each is not None:
                each(node, value)
            if value is not None:
                found.append(Document(value, duplicates))
        return found
    except _ImpossibleValue as error:
        raise _input_error(error, path, _IMPOSSIBLE_HINT) from None
    except yaml.MarkedYAMLError as error:
        raise _input_error(error, path) from None
    except yaml.reader.ReaderError as error:
        raise _character_error(error, text, path) from None


def documents_with_nodes(text: str) -> Iterator[tuple[Node | None, Any]]:
    """Each document of text the inventory has read already, with its composed node (where
    each value stands in the text; None when merge keys rewrote its entries), empty documents
    as None (one per document start), a repeated key's last value kept: the pack's copy is
    redacted from them document by document, with no second parse. Read as the inventory
    reads, faster than PyYAML's own constructors."""
    for node, value, _ in _read(text):
        yield node, value


def _read(text: str) -> Iterator[tuple[Node | None, Any, tuple[tuple[int, str], ...]]]:
    """Each document's node (None when merge keys rewrote it) and value (None when empty),
    and the keys repeated in it, as (line, key)."""
    loader = LineLoader(text)
    noted: list[tuple[int, str]] = []
    loader.duplicates = noted
    try:
        while loader.check_node():
            node = loader.get_node()
            loader.merged = False
            value = loader.construct_document(node)
            yield None if loader.merged else node, value, tuple(noted)
            noted.clear()
    finally:
        loader.dispose()


YAML_CAUSES = ("wrong indentation, a tab used for indentation, a missing ':', an unclosed quote "
               "or a key written twice in one mapping")
YAML_HINT = f"fix the YAML at that line: the usual causes are {YAML_CAUSES}"


def _input_error(error: yaml.MarkedYAMLError, path: str, hint: str = YAML_HINT) -> InputError:
    # Built from the parts, not str(error): the pure-Python loader's str() quotes the source
    # line, which could be a Secret value.
    mark = error.problem_mark or error.context_mark
    what = "; ".join(part for part in (error.context, error.problem) if part)
    line = mark.line + 1 if mark else None
    return InputError([Problem(f"invalid YAML: {what}", file=path, line=line)], hint=hint)


def _character_error(error: yaml.reader.ReaderError, text: str, path: str) -> InputError:
    """A character YAML does not allow (a control character, say), located by line."""
    code = error.character if isinstance(error.character, int) else ord(error.character)
    if _BYTE_POSITIONS:
        line = text.encode("utf-8").count(b"\n", 0, error.position) + 1
    else:
        line = text.count("\n", 0, error.position) + 1
    return InputError(
        [Problem(f"invalid YAML: character #x{code:04x} is not allowed ({error.reason})",
                 file=path, line=line)],
        hint="remove the character, or write it as an escape in a double-quoted string",
    )
