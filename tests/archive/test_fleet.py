"""``reporter fleet``: archives of several clusters, each made by real ``reporter run``
processes, read together; what it says of each is checked against the archive's own files."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from reporter.archive.fleet import overdue
from reporter.archive.index import load_index, time_text

from .conftest import Q3_RUN, Q4_RUN, reporter
from .test_run import flip_one_byte, packs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
APRIL_2027 = "1807758000"  # 2027-04-15T03:00:00Z: 2027Q1 ended more than 7 days before
JANUARY_3_2027 = "1798945200"  # 2027-01-03T03:00:00Z: 2026Q4 ended 3 days before


@dataclass
class Fleet:
    payments: Path
    """samples/fixed with its config: runs for 2026Q3 and 2026Q4, no framework failing."""
    tenant: Path
    """samples/fixed for 2026Q2, then samples/three-tier as published for 2026Q3: frameworks
    fail, and findings are new since the run before."""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    folder = tmp_path_factory.mktemp("fleet")
    # Copies outside Git: each run reads one state, whatever the checkout's history.
    for sample in "fixed", "three-tier":
        shutil.copytree(SAMPLES / sample, folder / sample)
    made = Fleet(folder / "payments", folder / "tenant")
    config = ["--config", str(folder / "fixed" / "reporter.yaml")]
    for epoch in Q3_RUN, Q4_RUN:
        result = reporter("run", str(folder / "fixed"), *config, "--archive",
                          str(made.payments), epoch=epoch)  # the quarter of the run
        assert result.returncode == 0, result.stderr
    result = reporter("run", str(folder / "fixed"), "--archive", str(made.tenant),
                      "--period", "2026Q2", epoch=Q3_RUN)  # its reporter.yaml found and read
    assert result.returncode == 0, result.stderr
    result = reporter("run", str(folder / "three-tier"), "--archive", str(made.tenant),
                      "--period", "2026Q3", epoch=Q4_RUN)
    assert result.returncode == 1, result.stderr  # its controls fail
    return made


def fleet_json(*archives: Path, epoch: str) -> tuple[int, dict[str, object]]:
    result = reporter("fleet", *map(str, archives), "-o", "json", epoch=epoch)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def latest_pack_json(archive: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((packs(archive)[-1] / "pack.json").read_text())
    return loaded


def test_each_cluster_is_read_from_its_latest_pack(fleet: Fleet) -> None:
    code, found = fleet_json(fleet.payments, fleet.tenant, epoch=APRIL_2027)
    assert code == 1  # 2027Q1 has ended with no run in either archive
    clusters = {Path(c["archive"]): c for c in found["clusters"]}  # type: ignore[attr-defined]
    for archive in fleet.payments, fleet.tenant:
        row, pack = clusters[archive], latest_pack_json(archive)
        entries = load_index(archive).entries
        assert (row["runs"], row["run_id"], row["period"]) == (
            len(entries), entries[-1].run_id, entries[-1].period)
        assert (row["organisation"], row["cluster"]) == (pack["organisation"], pack["cluster"])
        assert row["frameworks"] == {f["id"]: f["status"] for f in pack["frameworks"]}  # type: ignore[attr-defined]
        assert row["requirements"] == entries[-1].counts
        assert row["failing_findings"] == sum(
            f["status"] == "FAIL" for c in pack["checks"] for f in c["findings"])  # type: ignore[attr-defined]
        assert row["examined"] == "one state"
        changes = pack["changes_since"]
        assert row["compared_with"] == changes["since"]  # type: ignore[index]
        assert (row["new_findings"], row["closed_findings"]) == (
            changes["findings"].get("newly-failing", 0),  # type: ignore[index]
            changes["findings"].get("newly-passing", 0))  # type: ignore[index]
        assert row["verified"] is True
    assert clusters[fleet.payments]["overdue"] == ["2027Q1"]
    assert clusters[fleet.tenant]["overdue"] == ["2026Q4", "2027Q1"]
    assert found["needing_attention"] == 2  # both overdue
    assert clusters[fleet.payments]["period"] == "2026Q4" and clusters[fleet.payments]["runs"] == 2
    assert clusters[fleet.tenant]["failing_findings"] > 0
    assert clusters[fleet.tenant]["new_findings"] > 0
    totals: dict[str, Counter[str]] = {}
    for row in clusters.values():
        for framework, status in row["frameworks"].items():
            totals.setdefault(framework, Counter())[status] += 1
    assert found["frameworks"] == {f: dict(c) for f, c in totals.items()}
    assert found["as_of"] == "2027-04-15" and found["last_ended_quarter"] == "2027Q1"


def test_a_fleet_with_nothing_due_and_nothing_failing_exits_0(fleet: Fleet) -> None:
    result = reporter("fleet", str(fleet.payments), epoch=Q4_RUN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "attention    none" in result.stdout
    assert "verified (2 runs, unsigned)" in result.stdout
    assert result.stdout.rstrip().endswith(
        "all 1 cluster: archives verified, no run due, no framework failing or in error")


def test_what_needs_attention_is_said_per_cluster(fleet: Fleet) -> None:
    result = reporter("fleet", str(fleet.payments), str(fleet.tenant), epoch=Q4_RUN)
    assert result.returncode == 1
    blocks = {block.splitlines()[0]: block for block in result.stdout.split("\n\n")}
    tenant = next(b for first, b in blocks.items() if first.endswith(str(fleet.tenant)))
    payments = next(b for first, b in blocks.items() if first.endswith(str(fleet.payments)))
    failing = [f["id"] for f in latest_pack_json(fleet.tenant)["frameworks"]  # type: ignore[attr-defined]
               if f["status"] == "FAIL"]
    assert failing
    assert f"  attention    FAIL in {', '.join(failing)}" in tenant
    since = latest_pack_json(fleet.tenant)["changes_since"]["since"]  # type: ignore[index]
    assert f"failing; since {since}: " in tenant and " newly failing, " in tenant
    assert "  attention    none" in payments
    assert "1 of 2 clusters needs attention" in result.stdout
    for archive, block in ((fleet.payments, payments), (fleet.tenant, tenant)):
        last = load_index(archive).entries[-1]
        assert block.splitlines()[1] == (f"  latest run   {last.period}  {last.run_id}  "
                                         f"{time_text(last.time)}  examined: one state")


def test_a_quarter_ended_with_no_run_is_overdue(fleet: Fleet) -> None:
    result = reporter("fleet", str(fleet.payments), epoch=APRIL_2027)
    assert result.returncode == 1
    assert "  attention    no run for 2027Q1" in result.stdout


def test_a_changed_byte_makes_the_archive_not_verified(fleet: Fleet, tmp_path: Path) -> None:
    archive = tmp_path / "payments"
    shutil.copytree(fleet.payments, archive)
    flip_one_byte(packs(archive)[0] / "report.html")
    verify = reporter("verify", str(archive))
    assert verify.returncode == 1
    code, found = fleet_json(archive, epoch=Q4_RUN)
    row = found["clusters"][0]  # type: ignore[index]
    assert code == 1 and row["verified"] is False
    assert row["problems"] and all(f"error: {p}" in verify.stderr for p in row["problems"])
    assert row["attention"][0].startswith("archive NOT VERIFIED")


def test_what_is_not_an_archive_is_bad_input(fleet: Fleet, tmp_path: Path) -> None:
    result = reporter("fleet", str(fleet.payments), str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path}: no index.json: not an archive" in result.stderr
    assert "Traceback" not in result.stderr
    twice = reporter("fleet", str(fleet.payments), f"{fleet.payments.parent}/./payments/")
    assert twice.returncode == 2 and "archive named twice" in twice.stderr


@pytest.mark.parametrize(("reached", "today", "grace", "due"), [
    (date(2026, 9, 30), date(2026, 12, 6), 7, []),
    (date(2026, 9, 30), date(2027, 1, 2), 0, ["2026Q4"]),
    (date(2026, 9, 30), date(2027, 1, 7), 7, []),  # the 7th day after the quarter
    (date(2026, 9, 30), date(2027, 1, 8), 7, ["2026Q4"]),
    (date(2026, 6, 30), date(2027, 1, 2), 7, ["2026Q3"]),
    (date(2026, 6, 30), date(2027, 1, 2), 0, ["2026Q3", "2026Q4"]),
    (date(2026, 12, 31), date(2027, 1, 20), 7, []),
    (date(2026, 8, 15), date(2026, 12, 6), 7, ["2026-08-16..2026-09-30"]),
])
def test_overdue_names_the_ended_periods_after_the_furthest_run(
        fleet: Fleet, reached: date, today: date, grace: int, due: list[str]) -> None:
    entry = load_index(fleet.payments).entries[0].model_copy(update={"period_end": reached})
    assert overdue((entry,), today, grace) == due
    assert overdue((), today, grace) == []


def test_a_quarter_just_ended_is_overdue_only_after_the_grace_days(fleet: Fleet) -> None:
    tenant = str(fleet.tenant)  # its latest run is for 2026Q3
    default = reporter("fleet", tenant, "-o", "json", epoch=JANUARY_3_2027)
    assert json.loads(default.stdout)["clusters"][0]["overdue"] == []
    assert json.loads(default.stdout)["grace_days"] == 7
    strict = reporter("fleet", tenant, "--grace-days", "0", epoch=JANUARY_3_2027)
    assert "no run for 2026Q4" in strict.stdout
    assert "a quarter's run is overdue more than 0 days after it ends" in strict.stdout
    negative = reporter("fleet", tenant, "--grace-days", "-1")
    assert negative.returncode == 2 and "Traceback" not in negative.stderr


def test_markdown_has_a_row_per_cluster_and_a_row_per_framework(fleet: Fleet) -> None:
    _, found = fleet_json(fleet.payments, fleet.tenant, epoch=Q4_RUN)
    text = reporter("fleet", str(fleet.payments), str(fleet.tenant), "-o", "md",
                    epoch=Q4_RUN).stdout
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for cluster in found["clusters"]:  # type: ignore[attr-defined]
        row = next(r for r in rows if f" | {cluster['archive']} | " in r)
        assert f"| {cluster['period']} {cluster['run_id']} |" in row
        assert row.endswith(f"| {'; '.join(cluster['attention']) or 'none'} |")
        frameworks = "<br>".join(f"{f} {status}" for f, status in cluster["frameworks"].items())
        assert f" | {frameworks} | {cluster['failing_findings']} | " in row
    for framework, counts in found["frameworks"].items():  # type: ignore[attr-defined]
        assert any(r.startswith(f"| {framework} | ") for r in rows)
        assert sum(counts.values()) <= 2
