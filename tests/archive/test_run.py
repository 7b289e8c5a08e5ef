"""The done-when of quarterly runs: two ``reporter run`` processes against a server speaking the
Kubernetes list API make an archive that verifies; one changed byte anywhere, or a deleted run,
does not; SIGTERM and kill -9 leave it verifying, with the leftover reported."""

from __future__ import annotations

import fcntl
import json
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cluster.apiserver import LIST_PATHS

from .conftest import FRAMEWORK, Q3_RUN, Built, reporter, start


def packs(archive: Path) -> list[Path]:
    index = json.loads((archive / "index.json").read_text())
    return [archive / entry["pack"] for entry in index["entries"]]


def flip_one_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_two_runs_chain_and_verify(built: Built) -> None:
    first, second = built.outputs
    assert first.returncode in (0, 1), first.stderr
    assert second.returncode in (0, 1), second.stderr
    summary = json.loads(second.stdout)
    assert (summary["period"], summary["period_examined"]) == ("2026Q4", False)
    assert (summary["period_start"], summary["period_end"]) == ("2026-10-01", "2026-12-31")
    assert summary["signed"] is True
    assert set(summary["status"]) == {"cis-kubernetes"}
    assert json.loads(first.stdout)["period"] == "2026Q3"
    q3, q4 = packs(built.archive)
    assert q3.parent.name == "2026Q3" and q4.parent.name == "2026Q4"
    assert Path(summary["pack"]) == q4
    index = json.loads((built.archive / "index.json").read_text())["entries"]
    assert index[0]["previous"] is None and index[1]["previous"] == index[0]["hash"]
    result = reporter("verify", str(built.archive))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"verified: archive {built.archive}: 2 runs, 2 signed")


def test_the_snapshot_is_inside_the_pack_and_summed(built: Built) -> None:
    q3, _ = packs(built.archive)
    snapshot = (q3 / "snapshot.yaml").read_text()
    assert snapshot.startswith("# Snapshot of a live cluster")
    assert "  snapshot.yaml\n" in (q3 / "SHA256SUMS").read_text()
    assert "LEAK" not in snapshot


def test_the_second_pack_has_changes_since_the_previous_review(built: Built) -> None:
    q3, q4 = packs(built.archive)
    pack = json.loads((q4 / "pack.json").read_text())
    assert pack["changes_since"]["since"] == f"2026Q3 run {q3.name}"
    archive = pack["provenance"]["archive"]
    assert (archive["previous"]["run_id"], archive["previous"]["compared"]) == (q3.name, True)
    assert archive["snapshot"] == "snapshot.yaml"  # read from a live cluster
    assert (pack["period_start"], pack["period_end"]) == ("2026-10-01", "2026-12-31")
    assert "Changes since the previous review" in (q4 / "report.html").read_text()
    assert "changes_since" not in json.loads((q3 / "pack.json").read_text()) or \
        json.loads((q3 / "pack.json").read_text())["changes_since"] is None


def test_history_shows_both_runs(built: Built) -> None:
    q3, q4 = packs(built.archive)
    text = reporter("history", str(built.archive))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    # A live cluster is read as it is now: each run examined one state, not its quarter.
    assert [line.split()[:4] for line in lines] == [["2026Q3", "one", "state", q3.name],
                                                    ["2026Q4", "one", "state", q4.name]]
    assert "new 0" in lines[1] and "new -" in lines[0]
    runs = json.loads(reporter("history", str(built.archive), "-o", "json").stdout)["runs"]
    assert [(r["period"], r["period_examined"]) for r in runs] == [
        ("2026Q3", False), ("2026Q4", False)]
    assert runs[1]["new_findings"] == 0 and runs[1]["compared_with"] == f"2026Q3 run {q3.name}"


def not_verified(archive: Path) -> str:
    result = reporter("verify", str(archive))
    assert result.returncode == 1, result.stdout
    assert "NOT VERIFIED" in result.stderr
    return result.stderr


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("name", ["report.pdf", "pack.json", "snapshot.yaml"])
def test_one_changed_byte_in_either_pack_is_named(built: Built, tmp_path: Path, which: int,
                                                  name: str) -> None:
    archive = built.copy(tmp_path / "A")
    pack = packs(archive)[which]
    flip_one_byte(pack / name)
    relative = f"{pack.parent.name}/{pack.name}/{name}"
    assert f"error: {relative}: content differs from its SHA256SUMS entry" in \
        not_verified(archive)


def test_a_changed_snapshot_is_named_as_a_snapshot(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    q3 = packs(archive)[0]
    with open(q3 / "snapshot.yaml", "a") as out:
        out.write("# one more line\n")
    assert "snapshot.yaml: differs from the snapshot index.json records" in not_verified(archive)


def test_one_changed_byte_of_the_index_is_named(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    text = (archive / "index.json").read_text()
    (archive / "index.json").write_text(text.replace('"FAIL": 1', '"FAIL": 0', 1))
    errors = not_verified(archive)
    assert "error: index.json: entry 1 (run " in errors
    assert "its content does not match its hash (the entry was edited)" in errors


def test_a_deleted_first_run_is_named(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    q3 = packs(archive)[0]
    for path in sorted(q3.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    q3.rmdir()
    assert f"run {q3.name} of 2026Q3: its pack is missing" in not_verified(archive)


def test_a_first_run_deleted_with_its_entry_breaks_the_chain(built: Built,
                                                             tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    q3 = packs(archive)[0]
    index = json.loads((archive / "index.json").read_text())
    index["entries"] = index["entries"][1:]
    (archive / "index.json").write_text(json.dumps(index))
    import shutil

    shutil.rmtree(q3)
    assert "names a previous run, but none precedes it: earlier runs were removed" in \
        not_verified(archive)


def test_a_broken_chain_stops_the_next_run(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    flip_one_byte(packs(archive)[1] / "pack.json")
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive))
    assert result.returncode == 2
    assert "content differs from its SHA256SUMS entry" in result.stderr
    assert "--accept-broken-chain REASON" in result.stderr
    assert len(packs(archive)) == 2 and not list(archive.glob("*/.*.partial"))


def test_a_held_lock_is_waited_for_then_named(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    with open(archive / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("pid 4242 on scheduler-1, run started 2026-10-01T03:00:00Z\n")
        lock.flush()
        result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive",
                          str(archive), "--lock-wait", "0.5")
    assert result.returncode == 2
    assert ("another run holds the archive's lock: pid 4242 on scheduler-1, run started "
            "2026-10-01T03:00:00Z") in result.stderr


def run_until_reading(built: Built, archive: Path) -> object:
    """A run that hangs on the API server's list of NetworkPolicies, once it has started."""
    built.api.delays[LIST_PATHS["NetworkPolicy"]] = 60
    process = start("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                    *FRAMEWORK)
    deadline = time.monotonic() + 120
    while not any(r.path == LIST_PATHS["NetworkPolicy"] for r in built.api.requests):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return process


def test_sigterm_removes_the_runs_folder_and_says_interrupted(built: Built,
                                                              tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    built.api.requests.clear()
    try:
        process = run_until_reading(built, archive)
        assert list(archive.glob("2026Q4/.run-*.partial"))  # staged while it reads
        process.send_signal(signal.SIGTERM)  # type: ignore[attr-defined]
        _, stderr = process.communicate(timeout=60)  # type: ignore[attr-defined]
    finally:
        built.api.delays.clear()
    assert process.returncode == 143  # type: ignore[attr-defined]
    assert "interrupted (SIGTERM)" in stderr
    assert not list(archive.glob("*/.*.partial"))
    result = reporter("verify", str(archive))
    assert result.returncode == 0 and result.stderr == ""


def test_kill_9_leaves_a_leftover_that_is_reported_and_cleaned(built: Built,
                                                               tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    built.api.requests.clear()
    try:
        process = run_until_reading(built, archive)
        process.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        process.communicate(timeout=60)  # type: ignore[attr-defined]
    finally:
        built.api.delays.clear()
    [leftover] = archive.glob("2026Q4/.run-*.partial")
    assert leftover.is_dir()
    result = reporter("verify", str(archive))
    assert result.returncode == 0, result.stderr
    assert f"warning: {archive}/2026Q4/{leftover.name}: left by an interrupted run" in \
        result.stderr
    history = reporter("history", str(archive))
    assert len(history.stdout.splitlines()) == 2  # never mistaken for a pack
    # The next run reports it and, with --clean, removes it (this one then stops: 403).
    built.api.failures[LIST_PATHS["Namespace"]] = (403, "{}")
    try:
        result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive",
                          str(archive), "--clean", epoch=Q3_RUN)
    finally:
        built.api.failures.clear()
    assert result.returncode == 2
    assert f"{leftover.name}: left by an interrupted run: removed (--clean)" in result.stderr
    assert not leftover.exists()


def test_the_second_pack_has_the_history_chapter_with_its_trend_chart(built: Built) -> None:
    q3, q4 = packs(built.archive)
    html = (q4 / "report.html").read_text()
    chapter = html[html.index('<section class="chapter" id="history">'):]
    chapter = chapter[:chapter.index("</section>")]
    assert "History of the archive" in chapter
    assert q3.name in chapter and q4.name in chapter
    chart = chapter[chapter.index('<svg class="trend"'):chapter.index("</svg>")]
    assert chart.count("<polyline") == 1 and chart.count("<circle") == 2  # one framework, 2 runs
    assert ">2026Q3</text>" in chart and ">2026Q4</text>" in chart
    assert chapter.count("one state examined") == 2  # one row per run and framework
    marked = chapter.index("<strong>this report</strong>")
    assert chapter.count("this report</strong>") == 1
    assert chapter.rindex(q3.name, 0, marked) < chapter.rindex(q4.name, 0, marked)
    # Its own row's new and closed findings, counted against Q3 (none either way); Q3's: "-".
    rows = [re.findall(r"<td>([^<]*)</td>", row.split("</tr>")[0])[-2:]
            for row in chapter.split("<tr>")[2:]]
    assert rows == [["-", "-"], ["0", "0"]]
    assert "read a live cluster, or files outside Git, as they were when it ran" in chapter


def test_a_pack_no_entry_lists_is_named_as_a_possible_fork(built: Built, tmp_path: Path) -> None:
    import shutil

    archive = built.copy(tmp_path / "A")
    q4 = packs(archive)[1]
    shutil.copytree(q4, q4.with_name(q4.name + "-copy"))
    assert f"error: 2026Q4/{q4.name}-copy: a pack that index.json does not list (a fork" in \
        not_verified(archive)


def test_a_skipped_quarter_is_a_gap(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                      "--period", "2027Q2", *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    assert "warning: gap" not in result.stderr  # the gap is after the last run: not known yet
    errors = not_verified(archive)
    assert "error: gap: no run for 2027Q1 (between 2026Q4 run " in errors
    assert "(0 integrity problems, 1 gap)" in errors
    assert "GAP     no run for 2027Q1" in reporter("history", str(archive)).stdout


def test_quarters_a_longer_run_covers_are_no_gap(built: Built, tmp_path: Path) -> None:
    """A year run beside the quarter runs: a shorter run inside it followed by a later quarter
    left no gap, though the two shorter runs alone would (verify compared each run with the
    next only, and named 2026Q2 a gap that history did not)."""
    archive = built.copy(tmp_path / "A")
    for period in ("2026-01-01..2026-12-31", "2026-02-01..2026-03-31"):
        result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive",
                          str(archive), "--period", period, *FRAMEWORK)
        assert result.returncode in (0, 1), result.stderr
    verified = reporter("verify", str(archive))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "gap" not in verified.stdout + verified.stderr
    assert "GAP" not in reporter("history", str(archive)).stdout


def test_an_accepted_broken_chain_is_recorded_and_only_that_break_is_accepted(
    built: Built, tmp_path: Path
) -> None:
    archive = built.copy(tmp_path / "A")
    q4 = packs(archive)[1]
    flip_one_byte(q4 / "report.pdf")
    reason = "report.pdf restored from a damaged backup; ticket OPS-17"
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                      "--accept-broken-chain", reason, *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    assert "warning: accepted (--accept-broken-chain): 2026Q4/" in result.stderr
    assert json.loads(result.stdout)["accepted_broken_chain"] is True
    new = packs(archive)[2]
    pack = json.loads((new / "pack.json").read_text())
    assert pack["provenance"]["archive"]["accepted_broken_chain"] == reason
    assert pack["provenance"]["archive"]["previous"]["compared"] is False  # damaged: not used
    verified = reporter("verify", str(archive))
    assert verified.returncode == 0, verified.stderr
    assert f"accepted by a later run ({reason}): 2026Q4/{q4.name}/report.pdf" in verified.stderr
    flip_one_byte(packs(archive)[0] / "pack.json")  # a new break is not covered
    assert f"{packs(archive)[0].parent.name}/{packs(archive)[0].name}/pack.json" in \
        not_verified(archive)


def flip_first_pdf(archive: Path) -> None:
    flip_one_byte(packs(archive)[0] / "report.pdf")


def edit_first_entry(archive: Path) -> None:
    index = json.loads((archive / "index.json").read_text())
    index["entries"][0]["counts"]["cis-kubernetes"]["FAIL"] += 1
    (archive / "index.json").write_text(json.dumps(index, indent=2))


@pytest.mark.parametrize("damage", [flip_first_pdf, edit_first_entry],
                         ids=["pack", "index entry"])
def test_an_accepted_break_further_back_still_compares_with_the_last_run(
    built: Built, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    """Only a damaged last run (its pack, or its entry in index.json) is left out of the
    comparison: a break further back is accepted, and the run is compared with the intact
    last run all the same."""
    archive = built.copy(tmp_path / "A")
    q4 = packs(archive)[1]
    damage(archive)
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                      "--accept-broken-chain", "Q3 restored from tape", *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    pack = json.loads((packs(archive)[2] / "pack.json").read_text())
    previous = pack["provenance"]["archive"]["previous"]
    assert (previous["run_id"], previous["compared"]) == (q4.name, True)
    assert pack["changes_since"]["since"] == f"2026Q4 run {q4.name}"


def test_an_accepted_edit_of_the_last_runs_entry_leaves_it_out_of_the_comparison(
    built: Built, tmp_path: Path
) -> None:
    """The last run's entry in index.json no longer matches its hash (here the hash itself was
    edited, so its pack still agrees with it): which of the two was changed is not known, so
    the new run is compared with nothing."""
    archive = built.copy(tmp_path / "A")
    index = json.loads((archive / "index.json").read_text())
    entry_hash = index["entries"][-1]["hash"]
    index["entries"][-1]["hash"] = ("0" if entry_hash[0] != "0" else "1") + entry_hash[1:]
    (archive / "index.json").write_text(json.dumps(index, indent=2))
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                      "--accept-broken-chain", "index restored by hand", *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    assert "warning: accepted (--accept-broken-chain): index.json: entry 2 (run " in result.stderr
    pack = json.loads((packs(archive)[2] / "pack.json").read_text())
    assert pack["provenance"]["archive"]["previous"]["compared"] is False
    assert pack.get("changes_since") is None


def test_a_second_run_of_a_period_is_compared_with_the_first_of_that_period(
    built: Built, tmp_path: Path
) -> None:
    """A rerun of the last quarter (a correction) compares with that quarter's run, not the
    one before it."""
    archive = built.copy(tmp_path / "A")
    q4 = packs(archive)[1]
    result = reporter("run", "--kubeconfig", str(built.kubeconfig), "--archive", str(archive),
                      "--period", "2026Q4", *FRAMEWORK)
    assert result.returncode in (0, 1), result.stderr
    assert "later periods" not in result.stderr  # the same period is not a later one
    pack = json.loads((packs(archive)[2] / "pack.json").read_text())
    assert pack["changes_since"]["since"] == f"2026Q4 run {q4.name}"


def test_an_entry_signature_that_does_not_match_is_named(built: Built, tmp_path: Path) -> None:
    archive = built.copy(tmp_path / "A")
    index = json.loads((archive / "index.json").read_text())
    first, second = index["entries"]
    second["signature"] = first["signature"]  # not part of the hash: only the key can tell
    (archive / "index.json").write_text(json.dumps(index))
    assert f"error: index.json: run {second['run_id']}: the entry's signature does not verify" \
        in not_verified(archive)


def test_an_entry_whose_signature_was_removed_is_named(built: Built, tmp_path: Path) -> None:
    """The signature is not part of an entry's hash: deleting it leaves the chain intact, so
    only the recorded signer tells that a signed run lost its signature."""
    archive = built.copy(tmp_path / "A")
    index = json.loads((archive / "index.json").read_text())
    second = index["entries"][1]
    second["signature"] = None
    (archive / "index.json").write_text(json.dumps(index))
    assert (f"error: index.json: run {second['run_id']}: index.json names signer "
            f"{second['signer']} but the entry's signature or the public key is missing"
            in not_verified(archive))


def test_a_pack_json_replaced_by_other_json_is_named_not_a_pack(
    built: Built, tmp_path: Path
) -> None:
    archive = built.copy(tmp_path / "A")
    q3 = packs(archive)[0]
    (q3 / "pack.json").write_text("[]")
    stderr = not_verified(archive)
    assert f"{q3.parent.name}/{q3.name}/pack.json: not a pack.json" in stderr


def test_an_entry_rewritten_with_its_hash_recomputed_disagrees_with_its_pack(
    built: Built, tmp_path: Path
) -> None:
    """The last entry of an unsigned archive can be edited and its hash recomputed without
    breaking the chain (no entry follows it): what its pack.json records still tells."""
    from reporter.archive.index import entry_hash

    archive = built.copy(tmp_path / "A")
    index = json.loads((archive / "index.json").read_text())
    last = index["entries"][-1]
    framework = next(iter(last["counts"]))
    fixed = dict.fromkeys(last["counts"][framework], 0) | {"PASS": 99}
    last.update(counts={framework: fixed}, signer=None, signature=None)
    last["hash"] = entry_hash(last)
    (archive / "index.json").write_text(json.dumps(index))
    stderr = not_verified(archive)
    assert f"run {last['run_id']}: status counts: the pack says " in stderr
    assert f"index.json says {{'{framework}': {fixed!r}}}" in stderr
    assert "does not match its hash" not in stderr and "does not link" not in stderr


def test_an_entry_appended_twice_is_named_a_fork_and_a_repeated_run(
    built: Built, tmp_path: Path
) -> None:
    """An entry appended twice (two copies of one archive merged back): both name the first
    run, and the run appears twice."""
    archive = built.copy(tmp_path / "A")
    index = json.loads((archive / "index.json").read_text())
    first, second = index["entries"]
    index["entries"].append(second)
    (archive / "index.json").write_text(json.dumps(index))
    stderr = not_verified(archive)
    assert f"fork: 2 runs follow the same run (entry hash {first['hash'][:12]})" in stderr
    assert f"run {second['run_id']} appears 2 times" in stderr


def test_the_signers_public_key_can_be_required(built: Built, tmp_path: Path) -> None:
    from .conftest import signing_key

    public = tmp_path / "pack-key.pub"
    public.write_text(reporter_public_key(built.key))
    assert reporter("verify", str(built.archive), "--public-key", str(public)).returncode == 0
    other = tmp_path / "other.pub"
    other.write_text(reporter_public_key(signing_key(tmp_path / "other.pem")))
    assert "the signature does not match SHA256SUMS for key" in not_verified_with(
        built.archive, other)


def reporter_public_key(private: Path) -> str:
    from reporter.signing import load_signing_key, public_openssh

    return public_openssh(load_signing_key(private).public) + "\n"


def not_verified_with(archive: Path, public: Path) -> str:
    result = reporter("verify", str(archive), "--public-key", str(public))
    assert result.returncode == 1, result.stdout
    return result.stderr


def test_history_counts_every_status_worst_first_not_assessed_included() -> None:
    """A quarter where PCI DSS had no CDE declared: its 9 requirements not assessed are counted
    in the history row, not dropped (they would read as if judged)."""
    from reporter.archive.history import counts_text

    assert counts_text({"MANUAL": 10, "NOT_ASSESSED": 9, "PASS": 2, "FAIL": 1,
                        "NOT_APPLICABLE": 1, "ERROR": 1, "EXCEPTED": 1}) == (
        "FAIL 1 ERROR 1 NOT_ASSESSED 9 MANUAL 10 EXCEPTED 1 PASS 2 NOT_APPLICABLE 1")
