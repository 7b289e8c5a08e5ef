"""The chapter "Lateral movement": the attack paths of ``paths.internet-to-datastore``, as read
from the assessment (the check's findings carry each path and its rules), with a small diagram."""

from __future__ import annotations

from dataclasses import dataclass

from reporter.model import Assessment, Status

CHECK_ID = "paths.internet-to-datastore"
SHOWN_PATHS = 8
NODE_WIDTH, NODE_HEIGHT, GAP, ROW = 170, 34, 40, 54


@dataclass(frozen=True, slots=True)
class Node:
    label: str
    x: int
    y: int
    target: bool


@dataclass(frozen=True, slots=True)
class PathView:
    target: str
    message: str
    zones: tuple[str, ...]
    nodes: tuple[Node, ...]
    hops: tuple[str, ...]
    """``hop N: SRC -> DST (PORTS): why`` lines, as the check recorded them."""


@dataclass(frozen=True, slots=True)
class LateralView:
    assessed: bool
    """Whether the check ran (it is part of the catalog's selection)."""
    status: str
    evaluated: str
    paths: tuple[PathView, ...]
    more: int
    """Failing data stores not drawn (beyond SHOWN_PATHS)."""
    passing: tuple[str, ...]
    width: int
    height: int


def _short(label: str) -> str:
    """Workload keys without the kind, cut to fit a node."""
    text = label.split("[", 1)[0]
    return text if len(text) <= 26 else text[:25] + "…"


def lateral_view(assessment: Assessment) -> LateralView:
    result = next((c for c in assessment.checks if c.check_id == CHECK_ID), None)
    if result is None:
        return LateralView(False, "", "", (), 0, (), 0, 0)
    failing = [f for f in result.findings if f.status is Status.FAIL]
    paths = []
    for row, finding in enumerate(failing[:SHOWN_PATHS]):
        labels = ["internet", *finding.endpoints]
        nodes = tuple(Node(_short(label), i * (NODE_WIDTH + GAP), row * ROW,
                           i == len(labels) - 1) for i, label in enumerate(labels))
        paths.append(PathView(finding.target, finding.message, tuple(finding.zones), nodes,
                              tuple(d for d in finding.details if d.startswith("hop "))))
    longest = max((len(p.nodes) for p in paths), default=0)
    return LateralView(
        True, result.status.value, result.evaluated, tuple(paths),
        max(0, len(failing) - SHOWN_PATHS),
        tuple(f.message for f in result.findings if f.status is Status.PASS),
        max(0, longest * (NODE_WIDTH + GAP) - GAP), len(paths) * ROW)
