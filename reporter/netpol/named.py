"""Named ports that no destination declares: the rule still isolates but allows nothing there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from reporter.inventory.model import NetworkPolicy, PortSpec, Rule
from reporter.netpol.engine import Reachability


@dataclass(frozen=True, slots=True)
class UnresolvedPort:
    policy: NetworkPolicy
    rule: Rule
    spec: PortSpec


def unresolved_named_ports(reach: Reachability) -> Iterator[UnresolvedPort]:
    c = reach.compiled
    for policy, selected in zip(c.policies, c.selected, strict=True):
        for rule in (*policy.ingress, *policy.egress):
            named = [s for s in rule.ports if isinstance(s.port, str)]
            if not named:
                continue
            if rule.direction == "ingress":
                destinations = selected
            else:
                destinations = c.peer_vectors[c.rule(policy, rule).peers][: c.n_workloads]
            targets = [c.workloads[i] for i in np.flatnonzero(destinations)]
            for spec in named:
                assert isinstance(spec.port, str)
                if not any(t.named_port(spec.port, spec.protocol) for t in targets):
                    yield UnresolvedPort(policy, rule, spec)
