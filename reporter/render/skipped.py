"""What was not read, in one line: repositories hold many files that are not manifests."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from reporter.inventory.classify import (
    FILE_KINDS,
    READ_AS_WRITTEN,
    RENDER_CATEGORIES,
    unrendered,
)
from reporter.inventory.model import COPY_REASON
from reporter.wording import agreeing, counted

RENDER_HINT = ("render Helm charts, kustomize overlays and envsubst templates, then pipe them "
               "in: helm template RELEASE CHART_DIR | reporter {command} -, "
               "kubectl kustomize DIR | reporter {command} -, envsubst < FILE | reporter "
               "{command} -")
_FILE_CATEGORIES = (
    *RENDER_CATEGORIES,
    ("not a Kubernetes object", "not a Kubernetes object", "not Kubernetes objects"),
)
_SHOWN_KINDS = 4
OVERLAYS_NAMED = 3
"""Kustomize overlays that change objects read as written, named each with its reason (more
are counted; --verbose lists each)."""
_PLACE_IN_REASON = (
    (re.compile(re.escape(COPY_REASON) + r" .*"), "identical copy (in everything the map "
                                                  "reads) of an object already read"),
    (re.compile(r"^kustomize patch of .*?, "), "kustomize patch, "),
    (re.compile(r"^kustomize plugin configuration of .*?, "), "kustomize plugin configuration, "),
    (re.compile(r"kubectl kustomize .*? \|"), "kubectl kustomize DIR |"),
)


def skip_summary(items: Iterable[tuple[str, str]]) -> str | None:
    """One line counting skipped files and documents by cause, skipped objects by kind and
    identical copies; None when nothing was skipped. ``items`` are (kind, reason) pairs."""
    files: Counter[tuple[str, str, str] | None] = Counter()
    kinds: Counter[str] = Counter()
    copies = 0
    for kind, reason in items:
        if kind in FILE_KINDS:
            files[next((category for category in _FILE_CATEGORIES
                        if reason.startswith(category[0])), None)] += 1
        elif reason.startswith(COPY_REASON):
            copies += 1
        else:
            kinds[kind] += 1
    parts = []
    if files:
        causes = ", ".join(counted(n, *category[1:]) if category else f"{n} other"
                           for category, n in files.most_common())
        count = sum(files.values())
        parts.append(f"{counted(count, 'file')} or documents that are not "
                     f"manifests ({causes})")
    if kinds:
        shown = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common(_SHOWN_KINDS))
        more = ", …" if len(kinds) > _SHOWN_KINDS else ""
        parts.append(f"{counted(sum(kinds.values()), 'object')} of kinds the map does not "
                     f"use ({shown}{more})")
    if copies:
        parts.append(f"{counted(copies, 'identical copy')} of objects already read".replace(
            "copys", "copies"))
    if not parts:
        return None
    return "skipped " + "; ".join(parts)


def general_reason(reason: str) -> str:
    """The reason without the file or folder it names, so that one table row stands for
    every item skipped for it (each item, with its own reason, stays in pack.json)."""
    for place, general in _PLACE_IN_REASON:
        reason = place.sub(general, reason)
    return reason


def needs_rendering(items: Iterable[tuple[str, str]]) -> bool:
    """Whether templates, kustomize overlays or GitOps deployers were skipped (the render hint
    applies)."""
    return unrendered(items) is not None


def read_as_written(items: Iterable[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The (file, reason) of kustomize overlays that change objects the map reads as written,
    from (kind, name, reason) of skipped items."""
    return [(name, reason) for kind, name, reason in items
            if kind == "File" and READ_AS_WRITTEN in reason]


def overlay_lines(items: Iterable[tuple[str, str, str]]) -> list[str]:
    """One line per such overlay, up to ``OVERLAYS_NAMED``, then one counting the rest: said
    without --verbose, since their objects are in the map, but not as deployed."""
    overlays = read_as_written(items)
    lines = [f"{name}: {reason}" for name, reason in overlays[:OVERLAYS_NAMED]]
    more = len(overlays) - OVERLAYS_NAMED
    if more > 0:
        lines.append(f"{counted(more, 'more kustomize overlay')} {agreeing('change', more)} "
                     "objects read as written; --verbose lists each")
    return lines
