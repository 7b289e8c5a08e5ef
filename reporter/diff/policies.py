"""Policy text: which NetworkPolicies were added, removed or modified, by normalised spec."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Literal

from reporter.diff.model import PolicyChange, PolicyText
from reporter.diff.spec import spec_yaml


def policy_changes(
    old: Mapping[str, PolicyText], new: Mapping[str, PolicyText]
) -> tuple[tuple[PolicyChange, ...], int]:
    """The changes by policy key, and how many policies on both sides could not be compared
    because one side does not record their spec."""
    changes = []
    uncompared = 0
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None:
            if before.spec is None or after.spec is None:
                uncompared += 1
                continue
            if before.spec == after.spec:
                continue
        change: Literal["added", "removed", "modified"] = (
            "added" if before is None else "removed" if after is None else "modified")
        changes.append(PolicyChange(
            key=key, change=change,
            old_location=before.location if before else None,
            new_location=after.location if after else None,
            diff=_unified(key, before, after)))
    return tuple(changes), uncompared


def _unified(key: str, before: PolicyText | None, after: PolicyText | None) -> str:
    old_text = spec_yaml(before.spec) if before and before.spec else ""
    new_text = spec_yaml(after.spec) if after and after.spec else ""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=f"a/{key}" if before else "/dev/null",
        tofile=f"b/{key}" if after else "/dev/null", n=3)
    return "".join(lines)
