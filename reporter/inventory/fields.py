"""Typed reads of one object's fields; every mistake becomes a located :class:`Problem`."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable
from typing import Any

from reporter.errors import Problem
from reporter.inventory.model import PROTOCOLS, Protocol
from reporter.inventory.names import label_key_errors, label_value_errors
from reporter.inventory.yamlload import LineDict


def describe(value: Any) -> str:
    """How a YAML value reads to a person: 'a string', 'a list'…"""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    return "empty" if value is None else type(value).__name__


class ObjectReader:
    """Reads the fields of one object (``obj``) from ``file``, appending to ``problems``."""

    def __init__(self, file: str, obj: str, problems: list[Problem]) -> None:
        self.file = file
        self.obj = obj
        self.problems = problems

    def report(self, near: LineDict | int, field: str, message: str) -> None:
        """Record a problem at ``near`` (the nearest mapping, or a line)."""
        line = near if isinstance(near, int) else near.line
        self.problems.append(Problem(message, self.file, line, self.obj, field))

    def as_mapping(self, value: Any, near: LineDict, field: str) -> LineDict | None:
        """``value`` as a mapping; None when absent or (reported) of another type."""
        if value is None or isinstance(value, LineDict):
            return value
        self.report(near, field, f"must be a mapping, not {describe(value)}")
        return None

    def item(self, value: Any, near: LineDict, field: str) -> LineDict | None:
        """A list entry that must be a mapping; a null entry is an empty one, as in the API."""
        if value is None:
            return LineDict.empty(near.line)
        return self.as_mapping(value, near, field)

    def mapping(self, parent: LineDict, key: str, field: str) -> LineDict | None:
        return self.as_mapping(parent.get(key), parent, field)

    def sequence(self, parent: LineDict, key: str, field: str) -> list[Any]:
        """The list at ``key``; empty when absent or null."""
        value = parent.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.report(parent, field, f"must be a list, not {describe(value)}")
        return []

    def string(self, parent: LineDict, key: str, field: str) -> str | None:
        value = parent.get(key)
        if value is None or isinstance(value, str):
            return value
        self.report(parent, field, f"must be a string, not {describe(value)}: quote it")
        return None

    def integer(self, parent: LineDict, key: str, field: str) -> int | None:
        value = parent.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.report(parent, field, f"must be an integer, not {describe(value)}")
        return None

    def boolean(self, parent: LineDict, key: str, field: str) -> bool:
        """A flag; absent, null or (reported) mistyped reads as false."""
        value = parent.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        self.report(parent, field, f"must be true or false, not {describe(value)}")
        return False

    def protocol(self, parent: LineDict, field: str) -> Protocol:
        """``protocol``: TCP when absent, as the API defaults it; else TCP, UDP or SCTP."""
        protocol = self.string(parent, "protocol", field)
        if protocol is None:
            return "TCP"
        for known in PROTOCOLS:
            if protocol == known:
                return known
        self.report(
            parent, field,
            f"unsupported protocol {protocol!r}: must be TCP, UDP or SCTP (upper case)",
        )
        return "TCP"

    def known_fields(self, mapping: LineDict, field: str, allowed: Iterable[str]) -> None:
        """Report fields the API does not know; kubectl rejects them, and a misspelt selector
        field would silently change what a policy selects."""
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.7) or [
                    a for a in allowed if a.lower() == str(key).lower()]
                guess = f"did you mean {close[0]!r}? " if close else ""
                expected = (f"expected one of: {', '.join(allowed)}" if len(allowed) <= 12
                            else "the API reference lists this object's fields")
                self.report(mapping, f"{field}.{key}" if field else str(key),
                            f"unknown field; {guess}{expected}")

    def labels(self, parent: LineDict, key: str, field: str) -> dict[str, str]:
        """A label map, validated like the API server; invalid entries are reported and left out."""
        mapping = self.mapping(parent, key, field)
        if mapping is None:
            return {}
        labels = {}
        for name, value in mapping.items():
            where = f"{field}.{name}"
            if not isinstance(name, str):
                self.report(mapping, field, f"label key {name!r} must be a string: quote it")
                continue
            errors = [f"key {e}" for e in label_key_errors(name)]
            if not isinstance(value, str):
                errors.append(f"value must be a string, not {describe(value)}: quote it")
            else:
                errors += [f"value {value!r} {e}" for e in label_value_errors(value)]
            if errors:
                self.report(mapping, where, f"invalid label: {'; '.join(errors)}")
            else:
                labels[name] = value
        return labels
