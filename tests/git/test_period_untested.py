"""`reporter check --period` over states it could not test: a commit whose inputs are invalid
(fixed by the next one) is recorded as not examined and never aborts the period; a requirement
not tested in some state is not PASS for the period; a broken end state read from Git names its
commit (docs/status.md, "The period")."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli
from reporter.judge import ZONE_FIX
from reporter.model import PeriodState

from .conftest import Repo
from .test_period import LEAK, SAMPLES

FIXED = SAMPLES / "fixed"
CLEAN = (FIXED / "policies.yaml").read_text()
BROKEN = "broken: [\n"
LABELLED = (FIXED / "workloads.yaml").read_text()
UNLABELLED = LABELLED.replace("    pci-scope: cde\n", "")
"""samples/fixed with the production namespace out of the CDE: no workload in its scope."""
NO_CDE = ("no workloads in its scope (cde): it selects no namespace of the inputs (kube-system, "
          f"production); {ZONE_FIX}")
"""Why PCI DSS is not assessed without the label: the zone selects nothing."""
EPOCH = "1712000000"  # 2024-04-01, after the quarter
ARGS = ["check", "estate", "--framework", "pci-dss-4.0.1", "--period", "2024Q1"]


@pytest.fixture
def repo(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Repo:
    """samples/fixed committed before 2024Q1, its reporter.yaml at the root."""
    made = make_repo()
    assert UNLABELLED != LABELLED
    made.write("estate/workloads.yaml", LABELLED)
    made.write("estate/policies.yaml", CLEAN)
    made.write("reporter.yaml", (FIXED / "reporter.yaml").read_text())
    made.commit("the fixed estate", date="2023-12-10T10:00:00+00:00")
    monkeypatch.chdir(made.path)
    return made


def commit(repo: Repo, message: str, date: str, *, policies: str = CLEAN,
           workloads: str = LABELLED) -> str:
    repo.write("estate/policies.yaml", policies)
    repo.write("estate/workloads.yaml", workloads)
    return repo.commit(message, date=f"{date}T09:00:00+00:00")


def check(*args: str) -> Result:
    return CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(cli, [*ARGS, *args])


def requirements(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [framework] = data["frameworks"]
    return {r["id"]: r for r in framework["requirements"]}


def leak_window() -> dict[str, Any]:
    """The one window of the database's exposure, from ``check -o json`` (which fails)."""
    result = check("-o", "json")
    assert result.exit_code == 1, result.output
    [window] = [w for w in json.loads(result.stdout)["period"]["windows"]
                if w["check_id"] == "zone.internet-to-datastore"]
    return window  # type: ignore[no-any-return]


def test_a_commit_with_invalid_inputs_fixed_the_next_day_is_not_examined_not_fatal(
        repo: Repo) -> None:
    opened = commit(repo, "debug access to the database", "2024-02-01", policies=CLEAN + LEAK)
    broken = commit(repo, "half a policy", "2024-02-05", policies=CLEAN + LEAK + BROKEN)
    fixed = commit(repo, "the policy fixed", "2024-02-06", policies=CLEAN + LEAK)
    closed = commit(repo, "remove the debug access", "2024-02-15")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    done = subprocess.run([sys.executable, "-m", "reporter", *ARGS, "-o", "json"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1, done.stderr  # the leak fails; the broken state is no error
    assert done.stderr == ""
    data = json.loads(done.stdout)
    states = data["period"]["states"]
    assert [s["commit"] for s in states] == [
        repo.git("rev-parse", "HEAD~4"), opened, broken, fixed, closed]
    assert [(s["failing_requirements"] is None, s["not_tested_requirements"] is None,
             s["problem"] is None) for s in states] == [(False, False, True)] * 2 + [
        (True, True, False)] + [(False, False, True)] * 2
    assert re.fullmatch(r"estate/policies\.yaml:\d+: invalid YAML: .*", states[2]["problem"])
    # The broken state neither closed the leak's window nor opened it again.
    # Its day there is counted apart: the leak may have closed and opened again, unseen.
    [window] = [w for w in data["period"]["windows"]
                if w["check_id"] == "zone.internet-to-datastore"]
    assert (window["opened_commit"], window["closed_commit"], window["days"],
            window["days_not_examined"], window["not_examined_before"]) == (
        opened, closed, 14.0, 1.0, None)
    assert any(note.startswith("1 state of 5 could not be examined, the inputs being invalid "
                               f"there, so requirements judged by checks read ERROR (Not Tested) "
                               f"for the period unless they failed: commit {broken[:12]} "
                               "(2024-02-05): estate/policies.yaml:")
               for note in data["period"]["notes"])
    by_id = requirements(data)
    assert by_id["1.4.4"]["status"] == "FAIL"  # FAIL stays FAIL
    assert by_id["1.4.4"]["reason"].startswith("failed during the period: ")
    assert "not tested" not in by_id["1.4.4"]["reason"]  # what it failed is what it claims
    untested = by_id["12.5.2"]  # its checks pass in every state that could be read
    assert (untested["status"], untested["automated"], untested["roc"]) == (
        "ERROR", "ERROR", "Not Tested")
    assert untested["reason"].startswith(
        f"not tested during the period: not examined at commit {broken[:12]} from 2024-02-05 "
        f"until commit {fixed[:12]} on 2024-02-06 (1 day): its inputs are invalid: "
        "estate/policies.yaml:")
    assert set(untested["check_status"].values()) == set(untested["zone_status"].values()) == {
        "ERROR"}
    assert by_id["1.1.2"]["status"] == "MANUAL"  # no check: nothing to test in any state
    assert data["frameworks"][0]["counts"]["ERROR"] == 1

    text = subprocess.run([sys.executable, "-m", "reporter", *ARGS], capture_output=True,
                          text=True, env=env, check=False)
    assert text.returncode == 1 and "Traceback" not in text.stdout + text.stderr
    assert f"not tested during the period: not examined at commit {broken[:12]}" in text.stdout
    assert (f"closed by commit {closed[:12]} on 2024-02-15 (14 days, 1 of them in states not "
            "examined or where it could not be judged)") in text.stdout
    # No check was in error: JUnit and OSCAL give the reason instead.
    junit = ET.fromstring(check("-o", "junit").stdout)
    case = next(c for c in junit.iter("testcase") if (c.get("name") or "").startswith("12.5.2 "))
    error = case.find("error")
    assert error is not None and error.text == untested["reason"]
    assert error.get("message") == "not tested in every state of the period"
    oscal = json.loads(check("-o", "oscal").stdout)
    assert untested["reason"] in json.dumps(oscal)


def test_a_failure_first_seen_after_a_state_not_examined_may_have_opened_there(
        repo: Repo) -> None:
    broken = commit(repo, "half a policy", "2024-02-05", policies=CLEAN + LEAK + BROKEN)
    opened = commit(repo, "the policy fixed", "2024-02-06", policies=CLEAN + LEAK)
    closed = commit(repo, "remove the debug access", "2024-02-15")
    window = leak_window()
    assert (window["opened_commit"], window["closed_commit"], window["days"],
            window["days_not_examined"], window["not_examined_before"]) == (
        opened, closed, 9.0, 0.0, broken)
    text = check().stdout
    assert (f"opened by commit {opened[:12]} on 2024-02-06 or earlier (the state of commit "
            f"{broken[:12]} before it could not be examined), closed by commit {closed[:12]} "
            "on 2024-02-15 (9 days)") in text


def test_a_state_not_examined_just_before_the_close_counts_until_the_close(
        repo: Repo) -> None:
    """Its time runs to the next commit, which closes the window, not to the period's end."""
    opened = commit(repo, "debug access to the database", "2024-02-01", policies=CLEAN + LEAK)
    commit(repo, "half a policy", "2024-02-05", policies=CLEAN + LEAK + BROKEN)
    closed = commit(repo, "remove the debug access", "2024-02-15")
    window = leak_window()
    assert (window["opened_commit"], window["closed_commit"], window["days"],
            window["days_not_examined"]) == (opened, closed, 14.0, 10.0)


def test_a_requirement_not_assessed_in_some_state_is_not_assessed_for_the_period(
        repo: Repo) -> None:
    # The CDE namespace loses its zone label for a week: nothing is in PCI DSS scope then.
    unlabelled = commit(repo, "namespace labels tidied", "2024-02-01", workloads=UNLABELLED)
    relabelled = commit(repo, "the CDE label restored", "2024-02-08")
    result = check("-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(s["failing_requirements"], s["not_tested_requirements"])
            for s in data["period"]["states"]] == [(0, 0), (0, 9), (0, 0)]
    by_id = requirements(data)
    for requirement in ("1.3.1", "1.4.4"):  # PASS (attested) and MANUAL at the end
        assert (by_id[requirement]["status"], by_id[requirement]["roc"]) == (
            "NOT_ASSESSED", "Not Tested")
        assert by_id[requirement]["reason"] == (
            f"not tested during the period: NOT_ASSESSED at commit {unlabelled[:12]} from "
            f"2024-02-01 until commit {relabelled[:12]} on 2024-02-08 (7 days): {NO_CDE}")
        assert by_id[requirement]["zone_status"]["cde"] == "NOT_ASSESSED"
    assert data["frameworks"][0]["status"] == "NOT_ASSESSED"
    assert f"NOT_ASSESSED at commit {unlabelled[:12]}" in check().stdout


def test_the_worst_of_the_states_not_tested_counts(repo: Repo) -> None:
    unlabelled = commit(repo, "namespace labels tidied", "2024-02-01", workloads=UNLABELLED)
    broken = commit(repo, "half a policy", "2024-02-03", policies=CLEAN + BROKEN,
                    workloads=UNLABELLED)
    fixed = commit(repo, "the policy fixed, the label restored", "2024-02-08")
    result = check("-o", "json")
    assert result.exit_code == 0, result.output
    requirement = requirements(json.loads(result.stdout))["1.4.4"]
    assert requirement["status"] == "ERROR"  # ERROR > NOT_ASSESSED
    assert requirement["reason"].startswith(
        f"not tested during the period: NOT_ASSESSED at commit {unlabelled[:12]} from "
        f"2024-02-01 until commit {broken[:12]} on 2024-02-03 (2 days): {NO_CDE}; not examined at "
        f"commit {broken[:12]} from 2024-02-03 until commit {fixed[:12]} on 2024-02-08 "
        "(5 days): its inputs are invalid: estate/policies.yaml:")


def test_consecutive_states_not_tested_for_one_cause_are_one_run(repo: Repo) -> None:
    """Two states not examined in a row, fixed; then two more: two runs, each naming its
    first commit, counting the state after it, and lasting until its fix."""
    first = commit(repo, "half a policy", "2024-02-01", policies=CLEAN + BROKEN)
    commit(repo, "still half a policy", "2024-02-02", policies=CLEAN + BROKEN + "y: [\n")
    fixed = commit(repo, "the policy fixed", "2024-02-03")
    again = commit(repo, "half a policy again", "2024-02-10", policies=CLEAN + BROKEN)
    commit(repo, "still half a policy", "2024-02-12", policies=CLEAN + BROKEN + "x: [\n")
    refixed = commit(repo, "the policy fixed again", "2024-02-14")
    result = check("-o", "json")
    assert result.exit_code == 0, result.output
    reason = requirements(json.loads(result.stdout))["1.4.4"]["reason"]
    runs = reason.removeprefix("not tested during the period: ").split("; not examined")
    assert len(runs) == 2, reason
    assert runs[0].startswith(f"not examined at commit {first[:12]} and 1 later state from "
                              f"2024-02-01 until commit {fixed[:12]} on 2024-02-03 (2 days): its "
                              "inputs are invalid: estate/policies.yaml:")
    assert runs[1].startswith(f" at commit {again[:12]} and 1 later state from 2024-02-10 until "
                              f"commit {refixed[:12]} on 2024-02-14 (4 days): its inputs are "
                              "invalid: estate/policies.yaml:")


def test_a_broken_end_state_read_from_git_names_its_commit(repo: Repo) -> None:
    broken = commit(repo, "half a policy", "2024-02-05", policies=CLEAN + BROKEN)
    repo.write("estate/policies.yaml", CLEAN)  # fixed in the work tree, not committed
    for args in (["--git-ref", "HEAD"], []):  # the end state read at a ref, or past a dirty tree
        result = check(*args)
        assert result.exit_code == 2, (args, result.output)
        assert re.match(rf"error: at commit {broken[:12]}: estate/policies\.yaml:\d+: invalid "
                        "YAML: ", result.stderr), (args, result.stderr)
        assert result.stdout == ""


def test_an_end_state_with_nothing_in_scope_is_still_bad_input(repo: Repo) -> None:
    # A state not examined makes the requirements ERROR; the end state still has no workload in
    # the CDE, which the user must fix.
    commit(repo, "half a policy", "2024-02-03", policies=CLEAN + BROKEN)
    commit(repo, "the policy fixed, the label lost", "2024-02-08", workloads=UNLABELLED)
    result = check()
    assert result.exit_code == 2, result.output
    assert (f"error: not assessed: PCI DSS 4.0.1: {NO_CDE}; not tested during the period: "
            in result.stderr)


def test_the_states_of_packs_before_schema_1_4_still_read() -> None:
    # `diff`, `--since` and the archive read earlier packs: their states have no count of
    # requirements not tested, and none was left unexamined.
    state = PeriodState.model_validate({
        "commit": "a" * 40, "committed_at": "2024-01-02T09:00:00Z", "subject": "a change",
        "author": "A", "failing_requirements": 2, "reused": False})
    assert (state.failing_requirements, state.not_tested_requirements, state.problem) == (
        2, None, None)


def test_a_state_with_a_file_that_is_not_utf8_is_not_examined_either(repo: Repo) -> None:
    (repo.path / "estate" / "policies.yaml").write_bytes(
        CLEAN.encode() + "# caf\N{LATIN SMALL LETTER E WITH ACUTE}\n".encode("latin-1"))
    latin = repo.commit("a comment in Latin-1", date="2024-02-05T09:00:00+00:00")
    commit(repo, "the comment removed", "2024-02-06")
    result = check("-o", "json")
    assert result.exit_code == 0, result.output
    [state] = [s for s in json.loads(result.stdout)["period"]["states"] if s["commit"] == latin]
    assert state["problem"] == (f"estate/policies.yaml: not UTF-8 text (byte "
                                f"{len(CLEAN.encode()) + 5}): save the file as UTF-8 and commit it")
    assert state["failing_requirements"] is None
    # The state at the start unreadable: which files it had is unknown, so none is said to be
    # missing from it.
    later = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(cli, [
        *ARGS[:-1], "2024-02-06..2024-03-31", "-o", "json"])
    assert later.exit_code == 0, later.output
    assert [n.split(",")[0] for n in json.loads(later.stdout)["period"]["notes"]] == [
        "1 state of 2 could not be examined"]


def test_a_past_period_is_read_from_git_when_the_inputs_are_broken_now(repo: Repo) -> None:
    opened = commit(repo, "debug access to the database", "2024-02-01", policies=CLEAN + LEAK)
    commit(repo, "remove the debug access", "2024-02-15")
    commit(repo, "half a policy, after the quarter", "2024-04-10", policies=CLEAN + BROKEN)
    result = check("-o", "json")
    assert result.exit_code == 1, result.output  # the leak in the quarter fails
    data = json.loads(result.stdout)
    assert opened in [s["commit"] for s in data["period"]["states"]]
    assert data["period"]["notes"][-1].startswith(
        "the inputs as they are now could not be read (estate/policies.yaml:")
    assert data["period"]["notes"][-1].endswith("): the period was read from Git alone")
    assert requirements(data)["1.3.1"]["status"] == "FAIL"
    now = check("--period", "2024-04-01..2024-06-30")  # the broken state is the period's end
    assert now.exit_code == 2 and "at commit" in now.output


def test_the_change_history_follows_the_period_asked_for(repo: Repo) -> None:
    commit(repo, "debug access to the database", "2024-05-01", policies=CLEAN + LEAK)
    git = json.loads(check("--period", "2024Q2", "-o", "json").stdout)["provenance"]["git"]
    assert (git["since"], git["until"]) == ("2024-04-01T00:00:00+00:00",
                                            "2024-06-30T23:59:59.999999+00:00")
