"""Proposals applied to the inputs and the assessment re-run: what they close, that no
declared flow loses a connection it had, and that no finding fails that passed. A proposal that
cuts a flow, makes a finding fail or leaves its own finding open is withdrawn, with the reason."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import numpy as np

from reporter.arrays import ragged
from reporter.checks import CheckContext
from reporter.checks.flows import parse_ports
from reporter.checks.traffic import traffic_of
from reporter.config import Config
from reporter.fix.propose import Proposal, drop_shadowed
from reporter.fix.yamlout import proposal_yaml
from reporter.inputs import LoadedInputs
from reporter.inventory.manifests import load_inventory
from reporter.inventory.model import Inventory, NetworkPolicy
from reporter.inventory.sources import Source
from reporter.model import Assessment, CheckResult, Status
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.engine import Reachability
from reporter.paths import endpoint_indices
from reporter.pipeline import Assessed, Assessor

H = TypeVar("H", bound=Hashable)
"""A harm proposals may cause: a declared flow cut, a finding made to fail."""
T = TypeVar("T")


def applied(inventory: Inventory, policies: Sequence[NetworkPolicy]) -> Inventory:
    """The inventory with ``policies`` applied as ``kubectl apply`` would: a policy with the
    same namespace and name replaces the input's, any other is added."""
    keys = {p.key for p in policies}
    kept = tuple(p for p in inventory.policies if p.key not in keys)
    return replace(inventory, policies=kept + tuple(policies))


def cut_flows(before: CheckContext, after: CheckContext) -> list[str]:
    """Connections a declared flow had (its ports only) that ``after`` no longer allows."""
    cuts = []
    ports = before.reach.ports
    for i, flow in enumerate(before.flows.flows):
        declared = parse_ports(flow.ports)
        for s, d, mask in before.traffic.pairs(before.flows.sources[i],
                                               before.flows.destinations[i]):
            need = ports.connection_set(mask).intersection(declared)
            if need.is_empty:
                continue
            lost = ConnectionSet.empty()
            # the same flow's ends over the other map (its address ranges may be cut finer)
            sources, destinations = after.flows.sources[i], after.flows.destinations[i]
            for a in (a for a in endpoint_indices(after, before.name(s)) if sources[a]):
                for b in (b for b in endpoint_indices(after, before.name(d))
                          if destinations[b]):
                    allowed = after.reach.allowed(after.reach.endpoints[a],
                                                  after.reach.endpoints[b])
                    lost = lost.union(need.difference(allowed))
            if not lost.is_empty:
                cuts.append(f"flow {flow.name}: {before.name(s)} -> {before.name(d)} {lost}")
    return cuts


def cut_connections(before: CheckContext, after: Reachability) -> list[str]:
    """Connections between workloads that ``before`` allows on some port and ``after`` on none,
    as ``src -> dst`` (sorted): the workloads are those of ``before``'s inputs, found by name
    in ``after`` (only policies differ)."""
    workloads = before.n_workloads
    at_after = {e.key: i for i, e in enumerate(after.endpoints)}
    after_index = np.array([at_after.get(before.name(i), -1) for i in range(workloads)],
                           dtype=np.intp)
    old, new = before.traffic, traffic_of(after)
    new_column = new.places()[0]
    is_workload = np.zeros(before.compiled.n_endpoints, dtype=bool)
    is_workload[:workloads] = True
    cut: list[str] = []
    for batch in old.batches(sources=is_workload, destinations=is_workload):
        per_column = np.bincount(batch.member_column)
        first = np.cumsum(per_column) - per_column
        entry, within = ragged(per_column[batch.source_column])
        sources = batch.sources[entry].astype(np.intp)
        destinations = batch.members[first[batch.source_column[entry]] + within]
        kept = (sources != destinations) & (destinations < workloads)
        sources, destinations = sources[kept], destinations[kept]
        now_source, now_destination = after_index[sources], after_index[destinations]
        column = np.where((now_source >= 0) & (now_destination >= 0),
                          new_column[now_destination], -1)
        lost = column < 0
        reached = np.flatnonzero(~lost)
        lost[reached] = new.mask_ids_of(now_source[reached], column[reached]) < 0
        cut += [f"{before.name(s)} -> {before.name(d)}"
                for s, d in zip(sources[lost].tolist(), destinations[lost].tolist(), strict=True)]
    return sorted(cut)


def open_findings(results: Iterable[CheckResult]) -> set[tuple[str, str]]:
    """(check ID, target) of the failing findings, and (check ID, workload) for each workload
    a failing cause affects: a cause that reaches one more workload is a new failure."""
    return {(f.check_id, subject) for r in results for f in r.findings
            if f.status is Status.FAIL for subject in (f.target, *f.affected)}


SHADOWED = "hygiene.shadowed-rules"
"""Rules a proposal leaves shadowed are removed after settling (:func:`remediate`), so a new
finding of this check is not harm."""


def new_failures(results: Iterable[CheckResult], was_open: set[tuple[str, str]]
                 ) -> list[tuple[str, str]]:
    """Findings failing in ``results`` that did not before (shadowed rules aside). A grouped
    finding counts by its workloads: a proposal that changes the policies selecting a
    workload still failing renames its cause without making anything fail."""
    failing = {(f.check_id, subject) for r in results for f in r.findings
               if f.status is Status.FAIL for subject in (f.affected or [f.target])}
    return sorted(f for f in failing - was_open if f[0] != SHADOWED)


@dataclass(frozen=True, slots=True)
class Recheck:
    accepted: tuple[Proposal, ...]
    withdrawn: tuple[tuple[Proposal, str], ...]
    """Each withdrawn proposal and why."""
    before: Assessment
    after: Assessment
    flows_checked: int
    cut: tuple[str, ...]
    """Connections between workloads the accepted proposals leave no port open
    (:func:`cut_connections`)."""


class Rechecker:
    """Re-runs one assessment with proposals applied (same config, catalog and clock)."""

    def __init__(self, assessor: Assessor, current: Assessed, config: Config,
                 directory: str) -> None:
        self._assessor, self._current, self._config = assessor, current, config
        self._directory = directory
        self._before = CheckContext(current.reach, config)
        self._policies: dict[int, tuple[Proposal, tuple[NetworkPolicy, ...]]] = {}
        """Each proposal's policies by its identity (the proposal kept, so that the identity
        is not reused): settling re-runs the assessment with most proposals many times, and
        writing and reading back their YAML took most of each run."""

    def policies(self, proposal: Proposal) -> tuple[NetworkPolicy, ...]:
        """The proposal's YAML read back by the inventory loader, as its file will be named."""
        found = self._policies.get(id(proposal))
        if found is None:
            source = Source(f"{self._directory}/{proposal.file}", proposal_yaml(proposal))
            found = self._policies[id(proposal)] = (proposal,
                                                    load_inventory([source]).policies)
        return found[1]

    def _inventory(self, proposals: Sequence[Proposal]) -> Inventory:
        policies = [policy for p in proposals for policy in self.policies(p)]
        return applied(self._current.inputs.inventory, policies)

    def run(self, proposals: Sequence[Proposal]) -> tuple[Assessed, list[str]]:
        """The whole assessment with ``proposals`` applied, and the flows they cut."""
        inputs: LoadedInputs = self._current.inputs
        after = self._assessor.assess(replace(inputs, inventory=self._inventory(proposals)),
                                      self._current.assessment.command)
        return after, self._cuts(after.reach)

    def _cuts(self, reach: Reachability) -> list[str]:
        return cut_flows(self._before, CheckContext(reach, self._config))

    def cuts(self, proposals: Sequence[Proposal]) -> set[str]:
        """The flows ``proposals`` cut, from the map alone (no check runs)."""
        return set(self._cuts(self._assessor.analyse(self._inventory(proposals))))

    def results(self, proposals: Sequence[Proposal], checks: Collection[str]
                ) -> list[CheckResult]:
        """Only these checks' results with ``proposals`` applied: what tells proposals apart
        in settling, where the whole assessment re-ran once per proposal."""
        return self._assessor.check_results(self._inventory(proposals), checks)

    def settle(self, proposals: Sequence[Proposal]) -> Recheck:
        """Withdraw proposals until the rest cut no flow, make no finding fail that passed, and
        close what they claim."""
        accepted = list(proposals)
        withdrawn: list[tuple[Proposal, str]] = []
        was_open = open_findings(self._current.assessment.checks)
        while True:
            after, cuts = self.run(accepted)
            broken = new_failures(after.assessment.checks, was_open)
            if cuts:
                culprits = self._culprits(accepted, self.cuts, cuts,
                                          lambda cut: f"would cut a declared flow: {cut}")
            elif broken:
                # Every check: leaving a proposal out may make others fail (it kept them
                # passing), which counts against withdrawing it.
                culprits = self._culprits(
                    accepted, partial(self._failing_anew, was_open), broken,
                    lambda failure: f"would make {failure[0]} {failure[1]} fail")
            else:
                culprits = self._left_open(accepted, open_findings(after.assessment.checks))
            if not culprits:
                return Recheck(tuple(accepted), tuple(withdrawn), self._current.assessment,
                               after.assessment, len(self._before.flows.flows),
                               tuple(cut_connections(self._before, after.reach)))
            for culprit in culprits:
                accepted.remove(culprit[0])
            withdrawn += culprits

    def _failing_anew(self, was_open: set[tuple[str, str]], proposals: Sequence[Proposal]
                      ) -> set[tuple[str, str]]:
        checks = [r.check_id for r in self._current.assessment.checks]
        return set(new_failures(self.results(proposals, checks), was_open))

    @staticmethod
    def _each_left_out(accepted: list[Proposal], view: Callable[[list[Proposal]], T]
                       ) -> list[T]:
        """``view`` of the proposals without each one in turn."""
        return [view([p for p in accepted if p is not left_out]) for left_out in accepted]

    def _left_open(self, accepted: list[Proposal], still: set[tuple[str, str]]
                   ) -> list[tuple[Proposal, str]]:
        """For proposals whose findings stay open: another proposal that keeps one open (a
        default deny of the DNS servers' namespace keeps DNS rules from working), the first
        found, alone; else every such proposal, as leaving its finding open. Each proposal is
        left out once for all of them (once per claim and proposal, a round took minutes)."""
        claimed = [(i, claim) for i, proposal in enumerate(accepted)
                   for claim in proposal.closes if claim in still]
        if not claimed:
            return []
        checks = {check for _, (check, _) in claimed}
        without = self._each_left_out(accepted,
                                      lambda kept: open_findings(self.results(kept, checks)))
        for i, (check, target) in claimed:
            keeper = next((j for j, found in enumerate(without)
                           if j != i and (check, target) not in found), None)
            if keeper is not None:
                return [(accepted[keeper], f"keeps {check} {target} open")]
        own: dict[int, str] = {}
        for i, (check, target) in claimed:
            own.setdefault(i, f"leaves open {check} {target}")
        return [(accepted[i], why) for i, why in sorted(own.items())]

    def _culprits(self, accepted: list[Proposal], harms_of: Callable[[list[Proposal]], set[H]],
                  harms: Sequence[H], reason: Callable[[H], str]) -> list[tuple[Proposal, str]]:
        """The proposals to withdraw for ``harms`` (those of all of ``accepted``), each with a
        harm it causes, found by leaving each proposal out once (``harms_of`` the others).
        Where each harm goes away without exactly one proposal, those proposals are withdrawn
        together (one round, not one per proposal); else the one without which the fewest
        harms remain (the first of equals; the last one when none helps alone)."""
        remaining = self._each_left_out(accepted, harms_of)
        removers = {harm: [i for i, left in enumerate(remaining) if harm not in left]
                    for harm in harms}
        if all(len(found) == 1 for found in removers.values()):
            own: dict[int, H] = {}
            for harm in harms:  # each proposal named with the first harm it alone causes
                own.setdefault(removers[harm][0], harm)
            return [(accepted[i], reason(harm)) for i, harm in sorted(own.items())]
        counts = [len(left) for left in remaining]
        best = min(range(len(accepted)), key=counts.__getitem__)
        if counts[best] >= len(harms):
            best = len(accepted) - 1
        caused = next((harm for harm in harms if harm not in remaining[best]), harms[0])
        return [(accepted[best], reason(caused))]


def remediate(rechecker: Rechecker, ctx: CheckContext, proposals: Sequence[Proposal],
              rounds: int = 3) -> Recheck:
    """Settle the proposals, then remove the rules they leave shadowed (allowing nothing more
    than another) and settle again."""
    recheck = rechecker.settle(proposals)
    for _ in range(rounds):
        shadowed = [(f.target, f.message) for r in recheck.after.checks
                    if r.check_id == SHADOWED
                    for f in r.findings if f.status is Status.FAIL]
        if not shadowed:
            break
        again = rechecker.settle(drop_shadowed(ctx, list(recheck.accepted), shadowed))
        recheck = replace(again, withdrawn=recheck.withdrawn + again.withdrawn)
    return recheck
