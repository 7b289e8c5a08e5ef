"""`reporter paths` end to end on the samples, and its searches against a brute-force BFS."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from reporter.checks import CheckContext
from reporter.cli import cli
from reporter.config import Config, load_config
from reporter.inventory.manifests import load_paths
from reporter.netpol.engine import analyse
from reporter.paths import PathFinder, Selection, datastores, endpoint_indices, select

ROOT = Path(__file__).resolve().parents[2]
LEAKY = str(ROOT / "samples" / "leaky")
LEAKY_CONFIG = str(ROOT / "samples" / "leaky" / "reporter.yaml")
SAMPLES = ["three-tier", "leaky", "fixed"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_leaky_lists_every_hop_to_the_ledger_with_its_rule() -> None:
    code, out, _ = run("paths", LEAKY, "--config", LEAKY_CONFIG, "-o", "json")
    assert code == 1
    data = json.loads(out)
    summary = {s["target"]: s for s in data["summary"]}
    assert summary["payments/ledger-db[StatefulSet]"]["min_hops"] == 3
    assert summary["shared-db/postgres[StatefulSet]"]["min_hops"] == 1
    ledger = next(p for p in data["paths"] if p["target"] == "payments/ledger-db[StatefulSet]")
    assert [(s["src"], s["dst"], s["ports"]) for s in ledger["steps"]] == [
        ("internet", "monitoring/prometheus[Deployment]", "All Connections"),
        ("monitoring/prometheus[Deployment]", "payments/payment-api[Deployment]", "TCP 9090"),
        ("payments/payment-api[Deployment]", "payments/ledger-db[StatefulSet]", "TCP 5432"),
    ]
    rules = [r for s in ledger["steps"] for r in s["rules"]]
    assert ("ingress of payments/payment-api[Deployment]: allowed by "
            "payments/allow-prometheus-scrape ingress[0] "
            f"({LEAKY}/policies.yaml:87)") in rules
    assert any("payments/payment-api egress[0]" in r and "policies.yaml:43" in r for r in rules)
    assert any("payments/ledger-db-ingress ingress[0]" in r and "policies.yaml:70" in r
               for r in rules)
    assert "ingress of monitoring/prometheus[Deployment]: not isolated" in rules[0]


def test_text_names_the_database_path_and_the_allowing_rule() -> None:
    code, out, _ = run("paths", LEAKY, "--config", LEAKY_CONFIG, "--to", "shared-db/postgres")
    assert code == 1
    assert "internet -> shared-db/postgres[StatefulSet]  (1 hop)" in out
    assert "allowed by shared-db/allow-all-temporary ingress[0]" in out
    assert "policies.yaml:211" in out


def test_exit_0_when_nothing_is_within_the_limit() -> None:
    code, out, _ = run("paths", LEAKY, "--config", LEAKY_CONFIG, "--to", "payments/ledger-db",
                       "--max-hops", "2")
    assert code == 0
    assert "0 of 1" in out and "not reachable within 2 hops" in out


def test_from_a_workload_to_the_internet_and_dot_output() -> None:
    code, out, _ = run("paths", LEAKY, "--from", "payments/fraud-toolbox", "--to", "internet",
                       "--max-hops", "1", "-o", "dot")
    assert code == 1
    assert '"payments/fraud-toolbox[Deployment]" -> "internet"' not in out  # a range, named
    assert '"payments/fraud-toolbox[Deployment]" -> "0.0.0.0-' in out


def test_unknown_source_is_a_user_error() -> None:
    code, _, err = run("paths", LEAKY, "--from", "nowhere/nothing")
    assert code == 2
    assert "no such workload or zone" in err


def _brute_force(ctx: CheckContext, start: np.ndarray) -> dict[int, int]:
    """Hops from the start set over the exact pair list, passing through workloads only."""
    n_w = ctx.n_workloads
    edges: dict[int, set[int]] = {}
    for connection in ctx.reach.connections():
        edges.setdefault(connection.src.index, set()).add(connection.dst.index)
    distance = dict.fromkeys(np.flatnonzero(start).tolist(), 0)
    queue = deque(distance)
    while queue:
        node = queue.popleft()
        if node >= n_w and distance[node] > 0:
            continue  # an external address is an end, not a stepping stone
        for nxt in edges.get(node, ()):
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
    return distance


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("max_hops", [1, 2, 3, 4])
def test_min_hops_and_entries_match_a_brute_force_search(sample: str, max_hops: int) -> None:
    reach = analyse(load_paths([str(ROOT / "samples" / sample)]))
    config_file = ROOT / "samples" / sample / "reporter.yaml"
    config = load_config(str(config_file)).config if config_file.exists() else Config()
    ctx = CheckContext(reach, config)
    internet = ctx.endpoints(internet=True)
    stores = datastores(ctx)
    report = PathFinder(ctx).search(Selection("internet", internet, internet=True),
                                    Selection("stores", ctx.endpoints(stores)), max_hops,
                                    limit=None)
    forward = _brute_force(ctx, internet)
    entries = [i for i, d in forward.items() if d == 1 and i < ctx.n_workloads]
    by_target = {t.target: t for t in report.targets}
    for store in np.flatnonzero(stores).tolist():
        found = by_target[ctx.name(store)]
        expected = forward.get(store)
        if expected is None or expected > max_hops:
            assert found.min_hops is None
            continue
        assert found.min_hops == expected
        start = np.zeros(ctx.compiled.n_endpoints, dtype=bool)
        reaching = []
        for entry in entries:
            start[:] = False
            start[entry] = True
            d = 0 if entry == store else _brute_force(ctx, start).get(store)
            if d is not None and d + 1 <= max_hops:
                reaching.append(entry)
        assert found.entries == len(reaching)
        for path in found.paths:  # each listed path is real and as short as claimed
            assert len(path.hops) == 1 + (0 if path.entry == found.target else
                                          _hops_from(ctx, path.entry, store))
            for hop in path.hops[1:]:
                src, dst = ctx.reach.endpoint(hop.src), ctx.reach.endpoint(hop.dst)
                assert str(ctx.reach.allowed(src, dst)) == hop.ports


def _hops_from(ctx: CheckContext, entry: str, store: int) -> int:
    start = np.zeros(ctx.compiled.n_endpoints, dtype=bool)
    start[ctx.reach.endpoint(entry).index] = True
    return _brute_force(ctx, start)[store]


def test_zone_as_source_selects_its_members() -> None:
    reach = analyse(load_paths([LEAKY]))
    ctx = CheckContext(reach, load_config(LEAKY_CONFIG).config)
    selection = select(ctx, "cde", "--from")
    assert sorted(ctx.name(i) for i in np.flatnonzero(selection.endpoints).tolist()) == [
        "payments/fraud-toolbox[Deployment]", "payments/ledger-db[StatefulSet]",
        "payments/payment-api[Deployment]"]


def test_the_config_among_the_inputs_is_used_and_named() -> None:
    fixed = str(ROOT / "samples" / "fixed")
    code, out, err = run("paths", fixed, "-o", "json")
    assert f"config: {fixed}/reporter.yaml (found among the inputs)" in err
    given = run("paths", fixed, "--config", f"{fixed}/reporter.yaml", "-o", "json")
    assert (code, out) == given[:2]
    assert "config:" not in given[2]


def test_markdown_names_the_column_by_what_was_searched() -> None:
    _, default, _ = run("paths", LEAKY, "--config", LEAKY_CONFIG, "-o", "md")
    assert "| data store | min hops | entry workloads |" in default
    assert "| `payments/ledger-db[StatefulSet]` | 3 | 5 |" in default
    _, chosen, _ = run("paths", LEAKY, "--config", LEAKY_CONFIG, "--to", "web/storefront",
                       "-o", "md")
    assert "| target | min hops | entry workloads |" in chosen


def test_exclude_and_strict_choose_what_is_read(tmp_path: Path) -> None:
    """A policy left out with --exclude no longer allows its hop; --strict refuses a template."""
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        (tmp_path / name).write_text((ROOT / "samples" / "leaky" / name).read_text())
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    (tmp_path / "chart" / "templates" / "np.yaml").write_text("kind: Pod\n{{ .Values.x }}\n")
    args = ["paths", str(tmp_path), "--to", "shared-db/postgres"]
    assert run(*args)[0] == 1
    code, out, _ = run(*args, "--exclude", "policies.yaml")
    assert code == 1 and "allow-all-temporary" not in out  # no policies: open, but not by it
    code, _, err = run(*args, "--strict")
    assert code == 2 and "chart/templates/np.yaml: unrendered Helm chart template" in err


def _context(tmp_path: Path, config: str = "") -> CheckContext:
    """Four workloads: a StatefulSet, a Deployment on PostgreSQL's port, one labelled a
    database, one plain; an ipBlock cutting 10.0.0.0/16 out of the address space."""
    (tmp_path / "estate.yaml").write_text("""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: queue, namespace: app}
spec:
  selector: {matchLabels: {app: queue}}
  template:
    metadata: {labels: {app: queue}}
    spec: {containers: [{name: q, image: q}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pg, namespace: app, labels: {app: pg}}
spec: {containers: [{name: pg, image: pg, ports: [{containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: ledger, namespace: app, labels: {tier: db}}
spec: {containers: [{name: l, image: l}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: web, image: web, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16}}]}]
""", encoding="utf-8")
    if config:
        (tmp_path / "reporter.yaml").write_text(config, encoding="utf-8")
    loaded = load_config(str(tmp_path / "reporter.yaml")).config if config else Config()
    return CheckContext(analyse(load_paths([str(tmp_path / "estate.yaml")])), loaded)


def _names(ctx: CheckContext, vector: np.ndarray) -> list[str]:
    return sorted(ctx.name(i) for i in np.flatnonzero(vector).tolist())


def test_data_stores_are_guessed_only_when_the_config_names_none(tmp_path: Path) -> None:
    """Without a data_stores key: the default selectors, StatefulSets and workloads on a
    database port; with one, only what it selects."""
    assert _names(_context(tmp_path), datastores(_context(tmp_path))) == [
        "app/ledger[Pod]", "app/pg[Pod]", "app/queue[StatefulSet]"]
    named = _context(tmp_path, "apiVersion: compliance-reporter/v1\nkind: ReporterConfig\n"
                               "data_stores: [{matchLabels: {app: web}}]\n")
    assert _names(named, datastores(named)) == ["app/web[Pod]"]


def test_a_range_of_another_map_names_every_range_it_overlaps_here(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    external = [e.key for e in ctx.reach.endpoints[ctx.n_workloads:]]
    assert "10.0.0.0-10.0.255.255[External]" in external
    indices = endpoint_indices(ctx, "9.0.0.0-10.0.0.0[External]")
    assert [ctx.name(i) for i in indices] == [
        "0.0.0.0-9.255.255.255[External]", "10.0.0.0-10.0.255.255[External]"]
    assert [ctx.name(i) for i in endpoint_indices(ctx, "10.0.255.255-10.1.0.0[External]")] == [
        "10.0.0.0-10.0.255.255[External]", "10.1.0.0-255.255.255.255[External]"]
    assert endpoint_indices(ctx, "app/web[Pod]") == [ctx.reach.endpoint("app/web[Pod]").index]


def test_paths_kept_per_target_follow_the_limit_fewest_hops_first() -> None:
    """The entries are all counted; the paths kept are the limit's first, fewest hops first;
    a destination searched as one target (not each endpoint) is named by its label."""
    ctx = CheckContext(analyse(load_paths([LEAKY])), load_config(LEAKY_CONFIG).config)
    internet = Selection("internet", ctx.endpoints(internet=True), internet=True)
    stores = Selection("stores", ctx.endpoints(datastores(ctx)))
    finder = PathFinder(ctx)
    every = finder.search(internet, stores, 4, limit=None)
    target = max(every.targets, key=lambda t: t.entries)
    assert target.entries >= 2 and len(target.paths) == target.entries
    hops = [len(p.hops) for p in target.paths]
    assert hops == sorted(hops) and hops[0] == target.min_hops
    kept = {t.target: t for t in finder.search(internet, stores, 4, limit=1).targets}
    assert kept[target.target].entries == target.entries
    assert kept[target.target].paths == target.paths[:1]
    (whole,) = finder.search(internet, stores, 4, each=False).targets
    assert whole.target == "stores" and whole.zones == ()
    assert whole.min_hops == min(t.min_hops for t in every.targets if t.min_hops is not None)


def test_the_first_hop_from_the_internet_names_the_rules_admitting_it_on_those_ports(
    tmp_path: Path
) -> None:
    """Of the entry's rules, those admitting internet ranges on the ports they reach it on: not
    a rule on the same port for other peers, nor one for the internet on a named port the
    entry does not declare. The database behind it is two hops away: within a limit of 2,
    not of 1."""
    (tmp_path / "estate.yaml").write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: w, image: w, ports: [{containerPort: 443, name: https}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: d, image: d, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-public, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 443}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-metrics, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: metrics}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
""", encoding="utf-8")
    ctx = CheckContext(analyse(load_paths([str(tmp_path / "estate.yaml")])), Config())
    finder = PathFinder(ctx)
    internet = Selection("internet", ctx.endpoints(internet=True), internet=True)
    web = select(ctx, "shop/web", "--to")
    (target,) = finder.search(internet, web, 1).targets
    (path,) = target.paths
    (hop,) = path.hops
    assert (hop.src, hop.dst, hop.ports) == ("internet", "shop/web[Pod]", "TCP 443")
    assert hop.rules == (f"ingress of shop/web[Pod]: allowed by shop/web-public ingress[0] "
                         f"({tmp_path}/estate.yaml:21)",)
    db = select(ctx, "shop/db", "--to")
    (two,) = finder.search(internet, db, 2).targets
    assert (two.min_hops, two.entries) == (2, 1)
    assert [(h.src, h.dst) for h in two.paths[0].hops] == [
        ("internet", "shop/web[Pod]"), ("shop/web[Pod]", "shop/db[Pod]")]
    (one,) = finder.search(internet, db, 1).targets
    assert (one.min_hops, one.entries, one.paths) == (None, 0, ())
