"""An allow-all rule's finding counts its blast radius in plain English; shadowed rules are
those a rule-by-rule reading finds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from netpol.strategies import inventories

from reporter.checks.context import CheckContext
from reporter.checks.rules import PAIRS_AT_ONCE, _shadowing, effective_rules
from reporter.config import Config
from reporter.inventory.model import Inventory
from reporter.netpol.compiled import CompiledRule
from reporter.netpol.engine import analyse
from reporter.netpol.selectors import BoolVector

from .harness import run_file
from .test_views import SETTINGS

CASES = Path(__file__).parent / "cases" / "hygiene.allow-all-rules"


def test_blast_radius_counts_one_as_one() -> None:
    result = run_file("hygiene.allow-all-rules", CASES / "every-pod-on-443-FAIL.yaml")
    (finding,) = result.findings
    assert finding.message.endswith(
        "blast radius: 2 workloads in 2 namespaces, for 1 selected workload"), finding.message


def _reference_shadowing(ctx: CheckContext, namespace_policies: list[int]
                         ) -> list[tuple[CompiledRule, CompiledRule]]:
    """The plain reading, rule pair by rule pair: each rule whose policy selects some pod is
    shadowed by the first other rule (by policy, direction, index) of its direction whose
    policy selects at least its pods and which admits at least its peers and ports; of two
    identical rules the later is the shadowed one."""
    c, masks = ctx.compiled, ctx.reach.ports.protocol_masks
    entries = sorted(((c.policies[i].key, rule.direction, rule.index), c.selected[i],
                      c.rule(c.policies[i], rule))
                     for i in namespace_policies for rule in effective_rules(c.policies[i]))

    def covers(wide: tuple[object, BoolVector, CompiledRule],
               narrow: tuple[object, BoolVector, CompiledRule]) -> bool:
        (_, wide_pods, w), (_, narrow_pods, n) = wide, narrow
        return (w.rule.direction == n.rule.direction
                and not (narrow_pods & ~wide_pods).any()
                and not (c.peer_vectors[n.peers] & ~c.peer_vectors[w.peers]).any()
                and not n.numeric & ~w.numeric
                and all(name in w.named or not masks[name[1]] & ~w.numeric for name in n.named))

    found = []
    for narrow in entries:
        if not narrow[1].any():
            continue
        wide = next((wide for wide in entries if wide is not narrow and covers(wide, narrow)
                     and not (covers(narrow, wide) and wide[0] > narrow[0])), None)
        if wide is not None:
            found.append((narrow[2], wide[2]))
    return found


@settings(SETTINGS, max_examples=120)
@given(inventories(), st.integers(0, 3), st.sampled_from((1, 7, PAIRS_AT_ONCE)))
def test_shadowed_rules_are_those_of_the_rule_by_rule_reading(inventory: Inventory,
                                                              copies: int, at_once: int) -> None:
    """Comparing the distinct selections, peer sets and ports, then the rule pairs whose peer
    sets cover (a few at a time, or all at once), names the same (shadowed, shadowing) pairs
    as comparing every pair of rules, identical rules included (copies of a policy under
    other names)."""
    duplicated = tuple(replace(p, name=f"{p.name}-copy{n}") for p in inventory.policies[:copies]
                       for n in range(2))
    inventory = replace(inventory, policies=inventory.policies + duplicated)
    ctx = CheckContext(analyse(inventory), Config())
    for namespace in {p.namespace for p in ctx.compiled.policies}:
        indices = [i for i, p in enumerate(ctx.compiled.policies) if p.namespace == namespace]
        with patch("reporter.checks.rules.PAIRS_AT_ONCE", at_once):
            assert list(_shadowing(ctx, indices)) == _reference_shadowing(ctx, indices)
