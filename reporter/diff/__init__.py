"""What changed between two sides (Git refs, directories, packs): policy text, reachability,
control status and authorship. ``compute_delta`` is pure; ``sides`` reads what users name."""

from reporter.diff.compute import compute_delta
from reporter.diff.model import (
    Authorship,
    CommitSummary,
    ConnectionChange,
    Delta,
    ExceptionChange,
    FindingChange,
    PolicyChange,
    PolicyCommits,
    PolicyText,
    ReachabilityDelta,
    RequirementChange,
    Side,
    SideInfo,
    StatusDelta,
    ZoneChanges,
)
from reporter.diff.spec import normalised_spec, spec_yaml

__all__ = [
    "Authorship",
    "CommitSummary",
    "ConnectionChange",
    "Delta",
    "ExceptionChange",
    "FindingChange",
    "PolicyChange",
    "PolicyCommits",
    "PolicyText",
    "ReachabilityDelta",
    "RequirementChange",
    "Side",
    "SideInfo",
    "StatusDelta",
    "ZoneChanges",
    "compute_delta",
    "normalised_spec",
    "spec_yaml",
]
