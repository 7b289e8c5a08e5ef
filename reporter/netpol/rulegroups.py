"""One direction's rules, grouped by the endpoints their policies select and by their ports.

Every rule of a policy applies to all the endpoints the policy selects, so rules whose policies
select the same endpoints and that allow the same ports act as one rule whose peers are the OR
of theirs. A namespace with thousands of policies then costs one entry per distinct (selection,
ports) for each endpoint, not one per rule, and the setup is array algebra over
(selections × selected endpoints) instead of a Python loop over each endpoint's rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reporter.netpol.compiled import Compiled, NamedPorts

Indices = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class RuleGroups:
    """Rules of the policies that isolate one direction, grouped per (selection, ports)."""

    selections: list[Indices]
    """Workloads selected by each distinct selection of those policies (some select none)."""
    group_ptr: Indices
    """The groups of selection ``k`` are ``group_ptr[k]..group_ptr[k+1]``."""
    peers: Indices
    """Per group: the OR of its rules' peers, an index into ``Compiled.peer_vectors``."""
    numeric: Indices
    """Per group: an index into ``numeric_masks``."""
    numeric_masks: list[int]
    named: Indices
    """Per group: an index into ``named_lists``, -1 without named ports."""
    named_lists: list[NamedPorts]

    def ruled(self) -> list[Indices]:
        """The selections that have groups: the others isolate without allowing anything."""
        sizes = np.diff(self.group_ptr)
        return [s for s, size in zip(self.selections, sizes.tolist(), strict=True) if size]

    def applying(self, targets: Indices, n_workloads: int) -> tuple[Indices, Indices]:
        """(target position, group) for every group applying to one of the distinct workloads
        ``targets``: those of the selections holding it."""
        position = np.full(n_workloads, -1, dtype=np.intp)
        position[targets] = np.arange(len(targets), dtype=np.intp)
        found = [position[members] for members in self.selections]
        hits = [f[f >= 0] for f in found]
        held = np.concatenate([np.zeros(0, dtype=np.intp), *hits])
        selection = np.repeat(np.arange(len(hits), dtype=np.intp), [len(h) for h in hits])
        counts = self.group_ptr[selection + 1] - self.group_ptr[selection]
        starts = np.cumsum(counts) - counts
        group = (np.arange(int(counts.sum()), dtype=np.intp)
                 + np.repeat(self.group_ptr[selection] - starts, counts))
        return np.repeat(held, counts), group


def rule_groups(c: Compiled, direction: str) -> RuleGroups:
    """The groups of ``direction`` ("ingress" or "egress"); policies that isolate it without
    rules still count, as selections without groups."""
    isolates = "isolates_ingress" if direction == "ingress" else "isolates_egress"
    selection_ids: dict[bytes, int] = {}
    selections: list[Indices] = []
    peers_of: dict[tuple[int, int, NamedPorts], set[int]] = {}
    for policy, selected in zip(c.policies, c.selected, strict=True):
        if not getattr(policy, isolates):
            continue
        content = np.packbits(selected).tobytes()
        k = selection_ids.get(content)
        if k is None:
            k = selection_ids[content] = len(selections)
            selections.append(np.flatnonzero(selected).astype(np.intp))
        for rule in c.rules_of([policy], direction):
            peers_of.setdefault((k, rule.numeric, rule.named), set()).add(rule.peers)
    keys = sorted(peers_of)
    numeric_ids: dict[int, int] = {}
    named_ids: dict[NamedPorts, int] = {}
    counts = np.bincount(np.array([k for k, _, _ in keys], dtype=np.intp),
                         minlength=len(selections))
    return RuleGroups(
        selections=selections,
        group_ptr=np.concatenate(([0], np.cumsum(counts))).astype(np.intp),
        peers=np.array([c.union_of_peers(sorted(peers_of[key])) for key in keys], dtype=np.intp),
        numeric=np.array([numeric_ids.setdefault(m, len(numeric_ids)) for _, m, _ in keys],
                         dtype=np.intp),
        numeric_masks=list(numeric_ids),
        named=np.array([named_ids.setdefault(n, len(named_ids)) if n else -1 for *_, n in keys],
                       dtype=np.intp),
        named_lists=list(named_ids),
    )
