"""The parts of `reporter fix`'s proposals that keep names resolving, on a small estate built by
hand: which rewritten egress rules keep the DNS rule, and when a new default deny warns that
the DNS servers would stop answering or forwarding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from reporter.checks import CheckContext
from reporter.config import Config, FlowEnd, load_config
from reporter.fix import Rechecker
from reporter.fix.peers import dns_rule
from reporter.fix.propose import (
    PolicyText,
    Proposal,
    RuleText,
    _dns_kept,
    _dns_servers_cut,
    _here_selector,
    _upstream_dns,
    _without,
    flow_rules,
    propose,
)
from reporter.inventory.manifests import load_paths
from reporter.netpol.compiled import CompiledRule
from reporter.netpol.connset import ConnectionSet
from reporter.netpol.engine import analyse
from reporter.pipeline import Assessor, PipelineOptions

ESTATE = """\
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: d, image: d}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: d, image: d}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - {}
  - ports: [{protocol: TCP, port: 443}]
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{protocol: UDP, port: 53}]
"""


def context(tmp_path: Path, estate: str = ESTATE, config: str = "") -> CheckContext:
    (tmp_path / "estate.yaml").write_text(estate, encoding="utf-8")
    loaded = Config()
    if config:
        (tmp_path / "reporter.yaml").write_text(config, encoding="utf-8")
        loaded = load_config(str(tmp_path / "reporter.yaml")).config
    return CheckContext(analyse(load_paths([str(tmp_path / "estate.yaml")])), loaded)


def egress_rules(ctx: CheckContext) -> list[CompiledRule]:
    (policy,) = [p for p in ctx.compiled.policies if p.name == "api-egress"]
    return [ctx.compiled.rule(policy, rule) for rule in policy.egress]


def test_a_rewritten_rule_keeps_dns_only_where_it_let_dns_through_to_the_servers(
        tmp_path: Path) -> None:
    """Everything (so the DNS servers on UDP 53) keeps the DNS rule, once; TCP 443 only, or UDP
    53 to other pods than the DNS servers, does not."""
    ctx = context(tmp_path)
    everything, https, db_on_53 = egress_rules(ctx)
    rule, why = dns_rule(ctx)
    assert rule is not None and why == "DNS: every pod resolves names through " \
        "kube-system/coredns[Pod]"
    kept, notes = _dns_kept(ctx, everything, [])
    assert [(r.rule, r.why) for r in kept] == [(rule, why)] and notes == []
    assert _dns_kept(ctx, everything, kept) == ([], [])  # already there
    assert _dns_kept(ctx, https, []) == ([], [])
    assert _dns_kept(ctx, db_on_53, []) == ([], [])


def test_without_a_dns_server_in_the_inputs_a_rule_letting_dns_through_leaves_a_note(
        tmp_path: Path) -> None:
    ctx = context(tmp_path, ESTATE.split("---\n", 1)[1])
    everything, https, db_on_53 = egress_rules(ctx)
    assert _dns_kept(ctx, everything, []) == ([], [
        "no DNS server in the inputs (include the cluster DNS manifests, or set 'dns' in "
        "reporter.yaml: docs/config.md); the replaced egress rule let DNS through: add a rule "
        "to your resolvers"])
    assert _dns_kept(ctx, db_on_53, [])[1]  # with no server known, any UDP 53 counts
    assert _dns_kept(ctx, https, []) == ([], [])


FLOWS = """\
apiVersion: compliance-reporter/v1
kind: ReporterConfig
flows:
{flows}
"""
EVERY_POD_TO_DNS = ("- {name: dns, from: {namespace: '*'}, to: {namespace: kube-system}, "
                    "ports: [%s], justification: Names.}")
DNS_UPSTREAM = ("- {name: upstream, from: {namespace: kube-system}, to: {internet: true}, "
                "ports: [UDP 53, TCP 53], justification: Forwarding.}")


def test_a_default_deny_warns_when_the_dns_servers_would_stop_answering_or_forwarding(
        tmp_path: Path) -> None:
    bare = context(tmp_path)
    cut = _dns_servers_cut(bare, "kube-system")
    assert len(cut) == 1 and cut[0].startswith(
        "under this default deny the DNS servers here (kube-system/coredns[Pod]) answer only "
        "the flows kept")
    assert _upstream_dns(bare, "kube-system") == [
        "kube-system/coredns[Pod] forward queries to upstream resolvers, which no declared "
        "flow allows: declare that flow (to the resolvers' cidr or the internet, UDP 53 and TCP "
        "53) and run fix again, or name resolution stops"]
    assert _dns_servers_cut(bare, "shop") == [] and _upstream_dns(bare, "shop") == []
    declared = context(tmp_path, config=FLOWS.format(flows="\n".join(
        [EVERY_POD_TO_DNS % "UDP 53, TCP 53", DNS_UPSTREAM])))
    assert _dns_servers_cut(declared, "kube-system") == []
    assert _upstream_dns(declared, "kube-system") == []
    tcp_only = context(tmp_path, config=FLOWS.format(flows=EVERY_POD_TO_DNS % "TCP 53"))
    assert _dns_servers_cut(tcp_only, "kube-system") == cut
    inside = context(tmp_path, config=FLOWS.format(flows=(
        "- {name: probe, from: {namespace: kube-system}, to: {namespace: shop}, ports: [UDP 53], "
        "justification: Probes.}")))
    assert _upstream_dns(inside, "kube-system") == _upstream_dns(bare, "kube-system")


def _policy(name: str, rules: dict[str, list[RuleText]]) -> PolicyText:
    return PolicyText("shop", name, {}, ("Ingress",), rules, ())


def test_a_new_allow_policy_left_with_no_rule_is_dropped_and_others_are_kept() -> None:
    """Dropping shadowed rules may empty a policy: a new allow policy then allows nothing and
    goes; a policy replacing an input one, or a default deny, stays (its absence would change
    what the cluster does)."""
    rule = RuleText({"from": []}, "unchanged")
    proposal = Proposal("f.yaml", "shop", "c", (), (
        _policy("allow-web", {"ingress": [rule]}), _policy("allow-db", {"ingress": [rule, rule]}),
        _policy("default-deny", {"ingress": [rule]}), _policy("web", {"ingress": [rule]})),
        replaces=("shop/web",))
    drops = {("shop", name): {("ingress", 0): "shadowed"}
             for name in ("allow-web", "allow-db", "default-deny", "web")}
    kept = _without(proposal, drops)
    assert [(p.name, p.rules) for p in kept.policies] == [
        ("allow-db", {"ingress": [rule]}), ("default-deny", {}), ("web", {})]
    assert _without(proposal, {}).policies == proposal.policies


API_FLOWS = FLOWS.format(flows="""\
- {name: dns, from: {namespace: shop, pods: app=api}, to: {namespace: kube-system},
   ports: [UDP 53], justification: Names.}
- {name: db, from: {namespace: shop, pods: app=api}, to: {namespace: shop, pods: app=db},
   ports: [TCP 80, TCP 443], justification: Records.}""")


def test_a_narrowed_rule_keeps_only_the_flows_it_overlapped_on_the_ports_it_allowed(
        tmp_path: Path) -> None:
    """What replaces a rule never allows more than it did: flows whose other end is outside
    the rule's peers are left out, and a flow's ports are cut to the rule's (none left: no
    rule, never a rule without ports, which would allow every port)."""
    ctx = context(tmp_path, config=API_FLOWS)
    api = ctx.compiled.namespace_vector("shop") & np.array(
        [w.name == "api" for w in ctx.compiled.workloads])
    db = ctx.endpoints(np.array([w.name == "db" for w in ctx.compiled.workloads]))

    def ports(rules: list[RuleText]) -> list[object]:
        return [(r.why.split(":")[0], r.rule.get("ports")) for r in rules]
    assert ports(flow_rules(ctx, api, "egress")) == [
        ("declared flow dns", [{"protocol": "UDP", "port": 53}]),
        ("declared flow db", [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443}])]
    assert ports(flow_rules(ctx, api, "egress", db)) == [
        ("declared flow db", [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443}])]
    https = ConnectionSet.of({"TCP": [(443, 443)]})
    everyone = ctx.endpoints(np.ones(ctx.n_workloads, dtype=bool), external=True)
    assert ports(flow_rules(ctx, api, "egress", everyone, https)) == [
        ("declared flow db", [{"protocol": "TCP", "port": 443}])]
    assert flow_rules(ctx, api, "ingress") == []


def test_a_zone_end_selects_the_pods_of_its_own_zone(tmp_path: Path) -> None:
    ctx = context(tmp_path, config="""\
zones:
- {name: api, kind: other, names: [shop], pods: app=api}
- {name: db, kind: cde, names: [shop], pods: app=db}
""")
    ends = {z: FlowEnd(zone=z) for z in ("api", "db")}
    assert _here_selector(ctx, ends["db"], "shop") == [{"matchLabels": {"app": "db"}}]
    assert _here_selector(ctx, ends["api"], "shop") == [{"matchLabels": {"app": "api"}}]
    assert _here_selector(ctx, ends["db"], "kube-system") == []


def test_a_namespace_denied_egress_already_gets_a_dns_rule_per_workload(tmp_path: Path
                                                                        ) -> None:
    """Its default deny is there (egress): the proposal for it is an ingress deny, which brings
    no DNS rule, so each of its workloads gets one of its own."""
    (tmp_path / "estate.yaml").write_text(ESTATE.split("---\napiVersion: networking")[0] + """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: shop}
spec: {podSelector: {}, policyTypes: [Egress]}
""", encoding="utf-8")
    assessed = Assessor(PipelineOptions()).run([str(tmp_path / "estate.yaml")])
    proposals = propose(CheckContext(assessed.reach, Config()), assessed.assessment)
    denies = [p for p in proposals if p.namespace == "shop" and p.cause != "dns"]
    assert [c for p in denies for c, _ in p.closes] == ["netpol.namespace-default-deny-ingress"]
    assert sorted(p.file for p in proposals if p.cause == "dns") == [
        "shop-api-dns.yaml", "shop-db-dns.yaml"]


def test_the_proposals_withdrawn_for_a_harm_are_the_ones_that_cause_it() -> None:
    """Each harm one proposal alone causes: those proposals, together. Else the proposal
    without which the fewest harms remain, named with a harm that goes with it; when none
    helps alone, the last one."""
    p = [Proposal(f"p{i}.yaml", "ns", f"c{i}", (), ()) for i in range(3)]
    checker = Rechecker.__new__(Rechecker)  # _culprits reads nothing of the rechecker's state

    def culprits(harms: list[str], cause: Callable[[set[str]], set[str]]) -> list[object]:
        found = checker._culprits(p, lambda kept: cause({x.cause for x in kept}), harms,
                                  lambda harm: f"causes {harm}")
        return [(proposal.cause, why) for proposal, why in found]
    assert culprits(["a", "b"], lambda kept: {h for h, c in (("a", "c0"), ("b", "c1"))
                                              if c in kept}) == [
        ("c0", "causes a"), ("c1", "causes b")]
    assert culprits(["y", "x"], lambda kept: ({"x"} if {"c0", "c1"} <= kept else set())
                    | ({"y"} if "c2" in kept else set())) == [("c0", "causes x")]
    assert culprits(["z"], lambda kept: {"z"} if len(kept) >= 2 else set()) == [
        ("c2", "causes z")]
