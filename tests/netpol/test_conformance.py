"""Cases of the upstream Kubernetes e2e NetworkPolicy suite, with their known truth tables.

Each ``NN-*`` case names, per probe, the ordered pod pairs that must be blocked; every other pair
of distinct pods must connect. The engine and the oracle are both held to every table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reporter.cli import cli
from reporter.inventory.manifests import load_paths
from reporter.inventory.model import Inventory, Protocol, Workload
from reporter.netpol.engine import analyse

from .oracle import oracle_allows

CONFORMANCE = Path(__file__).parent.parent / "data" / "conformance"
CASES = sorted(p for p in CONFORMANCE.iterdir() if p.is_dir() and p.name[:2].isdigit())
PODS = [f"{ns}/{pod}" for ns in "xyz" for pod in "abc"]


def _expected(case: Path) -> dict[str, Any]:
    with (case / "expected.yaml").open(encoding="utf-8") as f:
        expected: dict[str, Any] = yaml.load(
            f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    return expected


def _load(case: Path) -> tuple[Inventory, dict[str, Any], bool]:
    inv = load_paths([str(case / "manifests.yaml")])
    assert sorted(w.ref for w in inv.workloads) == PODS
    expected = _expected(case)
    return inv, expected, "ipblock-matches-pod-ips" in expected.get("needs", ())


def _blocked(probe: dict[str, Any]) -> set[tuple[str, str]]:
    pairs = {(src, dst) for src, dst in (e.split(" -> ") for e in probe["blocked"])}
    assert all(src in PODS and dst in PODS for src, dst in pairs), "a pair names no pod"
    return pairs


def test_every_case_is_found() -> None:
    assert len(CASES) == 10


def _wrong_verdicts(
    inv: Inventory,
    expected: dict[str, Any],
    allows: Callable[[Workload, Workload, Protocol, int], bool],
) -> list[str]:
    """Every probed pair whose verdict differs from the table."""
    probes = [(p["protocol"], p["port"], _blocked(p)) for p in expected["probes"]]
    return [
        f"{src.ref} -> {dst.ref} {proto}/{port}"
        for proto, port, blocked in probes
        for src in inv.workloads
        for dst in inv.workloads
        if src != dst and allows(src, dst, proto, port) == ((src.ref, dst.ref) in blocked)
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_engine_matches_the_truth_table(case: Path) -> None:
    inv, expected, option = _load(case)
    r = analyse(inv, ipblock_matches_pod_ips=option)

    def allows(src: Workload, dst: Workload, proto: Protocol, port: int) -> bool:
        return r.allowed(r.endpoint(src.key), r.endpoint(dst.key)).contains(proto, port)

    assert _wrong_verdicts(inv, expected, allows) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_oracle_matches_the_truth_table(case: Path) -> None:
    inv, expected, option = _load(case)

    def allows(src: Workload, dst: Workload, proto: Protocol, port: int) -> bool:
        return oracle_allows(inv, src, dst, proto, port, option)

    assert _wrong_verdicts(inv, expected, allows) == []


def test_seed_three_tier_connectivity_map() -> None:
    seed = CONFORMANCE / "seed-three-tier"
    result = CliRunner().invoke(
        cli, ["connectivity", str(seed / "policies.yaml"), str(seed / "workloads.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (seed / "expected-connectivity.txt").read_text(encoding="utf-8")
