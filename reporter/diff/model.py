"""What ``reporter diff`` compares (two Sides) and what it finds (a Delta): plain frozen data.

A Delta serialises with ``to_dict()`` in field order, lists already sorted, so equal inputs
give equal JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reporter.model import Assessment, ZoneFlow

if TYPE_CHECKING:
    from reporter.netpol.engine import Reachability
    from reporter.render.pairmap import PairMap

SideKind = Literal["git", "manifests", "pack", "snapshot"]
Mode = Literal["diff", "drift"]
Row = tuple[str, str, str]
"""(src, dst, conn): one row of the exact connectivity map."""


def as_plain(value: Any) -> Any:
    """Dataclasses as dicts (fields in declaration order), tuples as lists: JSON-ready data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    return value


# -- inputs ----------------------------------------------------------------------------------

DRIFT_ROLES = {"old": "the desired state", "new": "the live state"}
"""What drift's sides are: a side's label alone can be a list of paths."""


@dataclass(frozen=True, slots=True)
class SideInfo:
    """One side as the output names it."""

    label: str
    """As the user gave it: a ref, files or directories, a pack."""
    kind: SideKind
    commit: str | None = None
    """The Git commit the side was read at (a pack's recorded one), when known."""


@dataclass(frozen=True, slots=True)
class PolicyText:
    """One NetworkPolicy of a side, as the policy diff compares it."""

    spec: Mapping[str, Any] | None
    """Normalised (``normalised_spec``); None when the side does not record it (an old pack)."""
    location: str
    """``file:line`` on that side."""
    file: str
    """The file alone, for authorship."""


@dataclass(frozen=True, slots=True)
class Side:
    """Everything one side of a comparison offers; absent parts are not compared."""

    info: SideInfo
    policies: Mapping[str, PolicyText]
    """By ``namespace/name``."""
    connections: Sequence[Row] | None = None
    """The exact map, sorted; None when not available (too large, or an old pack)."""
    zone_flows: Sequence[ZoneFlow] | None = None
    zones: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Workload key -> the zones it belongs to (empty without an assessment)."""
    connectivity: Reachability | PairMap | None = None
    """The map itself, for drift to compare at any size: the engine's (manifests) or the one a
    pack folder stores; None for a pack.json alone."""
    assessment: Assessment | None = None
    repository: Path | None = None
    """The work tree the side was read from, where its commits can be looked up."""
    input_paths: tuple[str, ...] = ()
    """The files and directories read, relative to ``repository``."""
    dirty_files: tuple[str, ...] = ()
    """Repository-relative input files whose content is not the commit's."""
    not_examined: str | None = None
    """What the side left unrendered (templates, overlays, GitOps deployers), as
    reporter.inventory.classify.not_examined says it; None when everything was read."""


# -- results ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A NetworkPolicy added, removed or modified, with the unified diff of its spec."""

    key: str
    change: Literal["added", "removed", "modified"]
    old_location: str | None
    new_location: str | None
    diff: str
    """Unified diff of the normalised specs as YAML (the whole spec for added and removed)."""


@dataclass(frozen=True, slots=True)
class ConnectionChange:
    """An allowed connection that appeared, disappeared or allows other ports now."""

    src: str
    dst: str
    change: Literal["added", "removed", "changed"]
    old: str | None
    """The connection set before (e.g. ``TCP 80``); None when there was none."""
    new: str | None
    opened: str | None
    """What is allowed now and was not; None when nothing."""
    closed: str | None
    """What was allowed and is not any more; None when nothing."""


@dataclass(frozen=True, slots=True)
class ZoneChanges:
    """The connection changes from one zone to another."""

    src_zone: str
    dst_zone: str
    changes: tuple[ConnectionChange, ...]


@dataclass(frozen=True, slots=True)
class ReachabilityDelta:
    level: Literal["workload", "zone"]
    """``workload`` compares the exact maps; ``zone`` the zone flows, when a map is missing."""
    internet_exposure: tuple[ConnectionChange, ...]
    """Connections from internet addresses that are new or allow more ports."""
    groups: tuple[ZoneChanges, ...]
    """Every other change, by source zone and destination zone."""

    @property
    def is_empty(self) -> bool:
        return not self.internet_exposure and not self.groups


StatusChange = Literal["newly-failing", "newly-passing", "changed", "added", "removed"]


@dataclass(frozen=True, slots=True)
class RequirementChange:
    framework: str
    id: str
    title: str
    change: StatusChange
    """newly-failing (FAIL now), newly-passing (PASS now), changed (another status),
    added / removed (assessed on one side only)."""
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class FindingChange:
    fingerprint: str
    check_id: str
    target: str
    message: str
    change: Literal["newly-failing", "newly-passing", "changed", "widened"]
    """newly-failing (FAIL now, not before), newly-passing (FAIL before, not now: resolved,
    passing or excepted), changed (another status change), widened (failing on both sides,
    and its cause now affects workloads it did not: ``added``)."""
    old: str | None
    new: str | None
    added: tuple[str, ...] = ()
    """For a failing finding grouped by cause (newly failing or widened): the workloads it
    affects that no failing finding of the same check affected before."""


@dataclass(frozen=True, slots=True)
class ExceptionChange:
    id: str
    check: str
    target: str
    change: Literal["appeared", "expired", "removed", "changed"]
    old: str | None
    """The exception's state before (active, expired, unused); None when it did not exist."""
    new: str | None
    expires: str


@dataclass(frozen=True, slots=True)
class StatusDelta:
    requirements: tuple[RequirementChange, ...]
    findings: tuple[FindingChange, ...]
    exceptions: tuple[ExceptionChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.requirements or self.findings or self.exceptions)


@dataclass(frozen=True, slots=True)
class CommitSummary:
    sha: str
    subject: str
    author: str
    """``Name <email>``."""
    date: str
    """Author date, ISO 8601 with the recorded time zone."""
    signature: str
    """good, bad, unsigned, unknown-key or error, as Git verified it."""
    signer: str | None
    parents: tuple[str, ...]
    """Two or more for a merge: the pull request is found from them."""


@dataclass(frozen=True, slots=True)
class PolicyCommits:
    key: str
    commits: tuple[str, ...]
    """Commits in the range that changed the policy's text, newest first."""
    uncommitted: bool
    """The new side's file differs from its commit (a dirty work tree): not all is attributed."""


NOTHING_ATTRIBUTED = "No policy changed, so no commit is attributed"
"""What authorship says when no policy differs (the pack's Changes chapter says the same)."""


@dataclass(frozen=True, slots=True)
class Authorship:
    range: str
    """``old..new`` commit ids."""
    policies: tuple[PolicyCommits, ...]
    commits: tuple[CommitSummary, ...]
    """Every commit named above, newest first."""


@dataclass(frozen=True, slots=True)
class Delta:
    """Everything that differs between two sides."""

    mode: Mode
    """``diff`` (old -> new) or ``drift`` (old is the source of truth, new the live state)."""
    old: SideInfo
    new: SideInfo
    policies: tuple[PolicyChange, ...]
    reachability: ReachabilityDelta | None
    """None when a side has no connectivity to compare (``notes`` says why). Drift compares the
    connections between workloads on both sides only."""
    status: StatusDelta | None
    """None unless both sides carry an assessment."""
    authorship: Authorship | None
    notes: tuple[str, ...]
    """Limits of this comparison, e.g. a pack without policy specs."""
    compared: int
    """NetworkPolicies compared (on either side, each counted once): none compared proves
    nothing."""
    workloads_compared: int | None = None
    """Drift: the workloads on both sides, whose connections were compared (None: none were)."""
    partial: bool = False
    """A side left inputs unrendered: what they deploy is in neither comparison (``notes``)."""

    def to_dict(self) -> dict[str, Any]:
        return as_plain(self)  # type: ignore[no-any-return]

    @property
    def is_empty(self) -> bool:
        """No difference in policies, reachability or status (authorship is not a difference)."""
        return (not self.policies
                and (self.reachability is None or self.reachability.is_empty)
                and (self.status is None or self.status.is_empty))
