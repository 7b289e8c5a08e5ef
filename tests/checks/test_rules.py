"""An allow-all rule's finding counts its blast radius in plain English."""

from __future__ import annotations

from pathlib import Path

from .harness import run_file

CASES = Path(__file__).parent / "cases" / "hygiene.allow-all-rules"


def test_blast_radius_counts_one_as_one() -> None:
    result = run_file("hygiene.allow-all-rules", CASES / "every-pod-on-443-FAIL.yaml")
    (finding,) = result.findings
    assert finding.message.endswith(
        "blast radius: 2 workloads in 2 namespaces, for 1 selected workload"), finding.message
