"""Two Sides -> one Delta: policy text, reachability, control status and authorship."""

from __future__ import annotations

from pathlib import Path

from reporter.diff.authorship import authorship, has_commit
from reporter.diff.connections import reachability_delta, row_changes, zone_flow_changes
from reporter.diff.model import (
    DRIFT_ROLES,
    Authorship,
    Delta,
    Mode,
    PolicyChange,
    ReachabilityDelta,
    Side,
)
from reporter.diff.pairdiff import (
    PairComparison,
    UnpackablePairs,
    differing_rows,
    workload_keys,
)
from reporter.diff.policies import policy_changes
from reporter.diff.record import PACK_CONNECTIONS_LIMIT
from reporter.diff.status import status_delta
from reporter.model import IPBLOCK_FLAG
from reporter.netpol.engine import Reachability
from reporter.pack import CONNECTIVITY_JSON
from reporter.wording import counted


def compute_delta(
    old: Side, new: Side, *, mode: Mode = "diff", allowed_signers: Path | None = None
) -> Delta:
    """What differs from ``old`` to ``new``. ``drift`` compares policy text and the
    connections between workloads on both sides; a ``diff`` compares whatever both sides offer.
    Both say in ``notes`` what they could not."""
    notes: list[str] = []
    partial = False
    for side, role in ((old, "old"), (new, "new")):
        if side.not_examined:
            name = DRIFT_ROLES[role] if mode == "drift" else side.info.label
            notes.append(f"{name}: {side.not_examined}; the comparisons cover the manifests "
                         "read only")
            partial = True
    policies, uncompared = policy_changes(old.policies, new.policies)
    if uncompared:
        notes.append(f"{uncompared} policies on both sides were not compared as text: a pack "
                     "made before policy specs were recorded does not have them")
    compared = len(old.policies.keys() | new.policies.keys())
    if mode == "drift":
        reachability, workloads = _drift_reachability(old, new, notes)
        return Delta(mode=mode, old=old.info, new=new.info, policies=policies,
                     reachability=reachability, status=None, authorship=None,
                     notes=tuple(notes), compared=compared, workloads_compared=workloads,
                     partial=partial)
    status = None
    if old.assessment is not None and new.assessment is not None:
        status = status_delta(old.assessment, new.assessment)
    return Delta(
        mode=mode, old=old.info, new=new.info, policies=policies,
        reachability=_reachability(old, new, notes), status=status,
        authorship=_authorship(old, new, policies, notes, allowed_signers), notes=tuple(notes),
        compared=compared, partial=partial)


def _reachability(old: Side, new: Side, notes: list[str]) -> ReachabilityDelta | None:
    zones = {**old.zones, **new.zones}
    _ipblock_note(old, new, notes)
    if old.connections is not None and new.connections is not None:
        return reachability_delta(row_changes(old.connections, new.connections), zones,
                                  "workload")
    by_zone = old.zone_flows is not None and new.zone_flows is not None
    if old.connectivity is not None and new.connectivity is not None:
        try:
            compared = PairComparison(
                old.connectivity, new.connectivity,
                workload_keys(old.connectivity) | workload_keys(new.connectivity),
                listed=LISTED_PAIRS_LIMIT)
        except UnpackablePairs as error:
            notes.append(f"the exact maps were not compared pair by pair: {error}"
                         + (", so reachability is compared between zones" if by_zone else ""))
        else:
            if compared.listed and compared.differing + compared.loose <= LISTED_PAIRS_LIMIT:
                return reachability_delta(row_changes(*compared.rows()), zones, "workload")
            notes.append(f"the exact maps were compared pair by pair: {_differing(compared)}, "
                         f"more than the {LISTED_PAIRS_LIMIT:,} listed one by one"
                         + (", so the changes are listed between zones" if by_zone else ""))
    elif by_zone:
        notes.append(f"a side has no exact connectivity map (a pack's pack.json records it up "
                     f"to {PACK_CONNECTIONS_LIMIT:,} allowed pairs, its folder's "
                     f"{CONNECTIVITY_JSON} at any size: an older pack, or a pack.json named "
                     "without its folder): reachability is compared between zones")
    else:
        notes.append("reachability is not compared: a side has neither a connectivity map nor "
                     "zone flows")
    if old.zone_flows is None or new.zone_flows is None:
        return None
    return reachability_delta(zone_flow_changes(old.zone_flows, new.zone_flows), {}, "zone")


LISTED_PAIRS_LIMIT = 200_000
"""Pairs that differ between two exact maps, up to which the changes are listed workload by
workload (beyond, between zones: a list nobody reads, and ~1 KB of memory a change)."""


def _differing(compared: PairComparison) -> str:
    text = f"{compared.differing:,} allowed pairs differ"
    if compared.loose:
        text += (f" (besides {compared.loose:,} pairs with external address ranges that the "
                 "two sides cut differently, compared only once the ranges are refined)")
    return text


def _ipblock_note(old: Side, new: Side, notes: list[str]) -> None:
    if _matches_pod_ips(old) != _matches_pod_ips(new):
        notes.append("one map was made with --ipblock-matches-pod-ips and the other without: "
                     "pods an ipBlock matches by their IPs differ for that reason alone (give "
                     "both sides the same option)")


def _drift_reachability(desired: Side, live: Side, notes: list[str]
                        ) -> tuple[ReachabilityDelta | None, int | None]:
    """The connections between workloads on both sides: the same policies select other pods
    once labels drift, so equal policy text is not equal segmentation. A workload on one side
    only is expected (the source of truth rarely holds every workload of the cluster), and its
    connections are left out. Returns the delta and how many workloads it compared."""
    if desired.connectivity is None or live.connectivity is None:
        notes.append("reachability is not compared: a pack.json alone does not hold the map "
                     "(name the pack folder: its connectivity.json.gz does)")
        return None, None
    _ipblock_note(desired, live, notes)
    wanted, running = workload_keys(desired.connectivity), workload_keys(live.connectivity)
    both = wanted & running
    alone = len(wanted ^ running)
    if alone:
        notes.append(f"{counted(alone, 'workload')} on one side only: "
                     f"{'its connections are' if alone == 1 else 'their connections are'} "
                     "not compared")
    if not both:
        notes.append("reachability is not compared: no workload is on both sides")
        return None, 0
    try:
        before, after = differing_rows(desired.connectivity, live.connectivity, both)
    except UnpackablePairs as error:
        notes.append(f"reachability is not compared: {error}")
        return None, None
    return reachability_delta(row_changes(before, after), {}, "workload"), len(both)


def _matches_pod_ips(side: Side) -> bool | None:
    """Whether the side's map matched pods by IP against ipBlocks (None: not known)."""
    if isinstance(side.connectivity, Reachability):
        return side.connectivity.compiled.ipblock_matches_pod_ips
    if side.assessment is not None:
        return IPBLOCK_FLAG in side.assessment.command
    return None


def _authorship(old: Side, new: Side, policies: tuple[PolicyChange, ...], notes: list[str],
                allowed_signers: Path | None) -> Authorship | None:
    repo = new.repository or old.repository
    if repo is None or old.info.commit is None or new.info.commit is None:
        return None
    if old.info.kind == new.info.kind == "manifests":
        return None  # two sets of files of one work tree: their difference is not a history
    if not has_commit(repo, old.info.commit):
        notes.append(f"commit {old.info.commit} ({old.info.label}) is not in the repository at "
                     f"{repo}: authorship is not shown (fetch it to see who changed what)")
        return None
    dirty = set(new.dirty_files)
    uncommitted = {c.key for c in policies
                   if c.key in new.policies and new.policies[c.key].file in dirty}
    return authorship(repo, old.info.commit, new.info.commit, new.input_paths or old.input_paths,
                      {c.key for c in policies},
                      removed={c.key for c in policies if c.change == "removed"},
                      uncommitted=uncommitted,
                      allowed_signers=allowed_signers)
