"""`reporter check --period`: every state of the period from Git history, the worst one counts,
and the timeline names the commit that opened each failure and the one that closed it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli

from .conftest import Repo

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LEAK = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: database-debug, namespace: production}
spec:
  podSelector: {matchLabels: {tier: database}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 5432}]}]
"""


def open_leak(repo: Repo, folder: str = "estate/") -> tuple[str, dict[str, str]]:
    """samples/fixed committed on 10 December 2023 (its manifests under ``folder``, its config
    at the root), then its database opened to the internet on 1 February 2024: the clean
    policies and the two commits (``base``, ``open``)."""
    clean = (SAMPLES / "fixed" / "policies.yaml").read_text()
    repo.write(f"{folder}workloads.yaml", (SAMPLES / "fixed" / "workloads.yaml").read_text())
    repo.write(f"{folder}policies.yaml", clean)
    repo.write("reporter.yaml", (SAMPLES / "fixed" / "reporter.yaml").read_text())
    shas = {"base": repo.commit("the fixed estate", date="2023-12-10T10:00:00+00:00")}
    repo.write(f"{folder}policies.yaml", clean + LEAK)
    shas["open"] = repo.commit("debug access to the database",
                               date="2024-02-01T09:00:00+00:00")
    return clean, shas


@pytest.fixture
def history(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch
            ) -> tuple[Repo, dict[str, str]]:
    """Clean at the start and the end of 2024Q1; the database open to the internet from
    1 to 15 February; a commit touching only other files in March."""
    repo = make_repo()
    clean, shas = open_leak(repo)
    repo.write("estate/policies.yaml", clean)
    shas["close"] = repo.commit("remove the debug access", date="2024-02-15T09:00:00+00:00")
    repo.write("README.md", "not an input\n")
    shas["other"] = repo.commit("docs", date="2024-03-03T09:00:00+00:00")
    monkeypatch.chdir(repo.path)
    return repo, shas


def check(*args: str) -> Result:
    return CliRunner(env={"SOURCE_DATE_EPOCH": "1712000000"}).invoke(
        cli, ["check", "estate", "--framework", "pci-dss-4.0.1", *args])


def as_json(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_two_week_leak_inside_the_quarter_fails_naming_both_commits(
        history: tuple[Repo, dict[str, str]]) -> None:
    _, shas = history
    result = check("--period", "2024Q1")
    assert result.exit_code == 1, result.output
    # The cause: the debug policy's rule, with the workload it opened.
    assert ("zone.internet-to-datastore on zone cde: policy production/database-debug ingress[0] "
            "(production/database[StatefulSet]), opened by commit "
            f"{shas['open'][:12]} on 2024-02-01, closed by commit {shas['close'][:12]} on "
            "2024-02-15 (14 days)") in result.stdout
    data = as_json(check("--period", "2024-01-01..2024-03-31", "-o", "json"))
    period = data["period"]
    assert period["examined"] is True
    windows = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert [(w["opened_commit"], w["closed_commit"], w["days"], w["severity"], w["affected"])
            for w in windows] == [(shas["open"], shas["close"], 14.0, "critical",
                                   ["production/database[StatefulSet]"])]
    assert "pci-dss-4.0.1 1.4.4" in windows[0]["requirements"]
    # The state at START, then each commit that changed the inputs; the README commit is none.
    assert [s["commit"] for s in period["states"]] == [shas["base"], shas["open"], shas["close"]]
    assert [s["reused"] for s in period["states"]] == [False, False, True]  # close == base
    requirements = {r["id"]: r for r in data["frameworks"][0]["requirements"]}
    assert requirements["1.4.4"]["status"] == "FAIL"
    assert requirements["1.4.4"]["roc"] == "Not in Place"  # not the end state's "Not Tested"
    assert shas["open"][:12] in requirements["1.4.4"]["reason"]
    # Its check and zone read FAIL beside it too, never the clean end state.
    assert requirements["1.4.4"]["check_status"]["zone.internet-to-datastore"] == "FAIL"
    assert requirements["1.4.4"]["zone_status"]["cde"] == "FAIL"
    # The rest of the pack describes the state at the end of the period, which is clean.
    checks = {c["check_id"]: c for c in data["checks"]}
    assert checks["zone.internet-to-datastore"]["status"] == "PASS"


def test_a_failure_its_check_cannot_judge_for_a_while_is_not_closed_by_that(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy selects nothing from January; a Prometheus resource beside it from
    1 February (its operator's pods may be the ones meant: not judged) until 1 March, when it
    goes; the policy is removed on 15 March. The window runs from START to 15 March, and the
    29 days not judged are counted apart, not as a close."""
    repo = make_repo()
    repo.write("estate/workloads.yaml", (SAMPLES / "fixed" / "workloads.yaml").read_text())
    repo.write("estate/policies.yaml", (SAMPLES / "fixed" / "policies.yaml").read_text())
    repo.write("reporter.yaml", (SAMPLES / "fixed" / "reporter.yaml").read_text())
    stray = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
             "metadata: {name: metrics, namespace: production}\n"
             "spec: {podSelector: {matchLabels: {app: prometheus}}}\n")
    operator = ("apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
                "metadata: {name: k8s, namespace: production}\nspec: {replicas: 1}\n")
    repo.write("estate/stray.yaml", stray)
    repo.commit("a policy for pods to come", date="2023-12-10T10:00:00+00:00")
    repo.write("estate/prometheus.yaml", operator)
    repo.commit("prometheus", date="2024-02-01T00:00:00+00:00")
    (repo.path / "estate" / "prometheus.yaml").unlink()
    repo.commit("no prometheus", date="2024-03-01T00:00:00+00:00")
    (repo.path / "estate" / "stray.yaml").unlink()
    closed = repo.commit("remove the stray policy", date="2024-03-15T00:00:00+00:00")
    monkeypatch.chdir(repo.path)
    data = as_json(check("--period", "2024Q1", "-o", "json"))
    (window,) = [w for w in data["period"]["windows"]
                 if w["check_id"] == "hygiene.policy-selects-nothing"]
    assert (window["opened_commit"], window["closed_commit"]) == (None, closed)
    assert (window["days"], window["days_not_examined"]) == (74.0, 29.0)


def test_sarif_and_junit_say_when_each_failure_of_the_period_was_open(
        history: tuple[Repo, dict[str, str]]) -> None:
    _, shas = history
    sarif = json.loads(check("--period", "2024Q1", "-o", "sarif").stdout)
    [run] = sarif["runs"]
    assert run["properties"]["period"]["examined"] is True
    assert run["properties"]["period"]["label"].startswith("period 2024-01-01 to 2024-03-31")
    # Gone from the final state, the leak is still a result, with its window.
    [leak] = [r for r in run["results"] if r["ruleId"] == "zone.internet-to-datastore"]
    window = leak["properties"]["period_window"]
    assert (window["opened_commit"], window["closed_commit"], window["days"]) == (
        shas["open"], shas["close"], 14.0)
    assert leak["baselineState"] == "absent" and leak["level"] == "error"
    assert f"opened by commit {shas['open'][:12]} on 2024-02-01" in leak["message"]["text"]
    assert leak["locations"][0]["physicalLocation"]["region"]["startLine"] > 0

    junit = ET.fromstring(check("--period", "2024Q1", "-o", "junit").stdout)
    suite = junit.find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["period_examined"] == "true"
    case = next(c for c in suite.iter("testcase") if (c.get("name") or "").startswith("1.4.4 "))
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == "0 failing findings, 2 failure windows in the period"
    assert ("PERIOD: [zone.internet-to-datastore] zone cde: policy "
            "production/database-debug ingress[0]: "
            in failure.text)
    assert f"closed by commit {shas['close'][:12]} on 2024-02-15 (14 days)" in failure.text


def test_the_config_period_is_used_and_head_alone_is_a_point_in_time(
        history: tuple[Repo, dict[str, str]]) -> None:
    _, shas = history
    # reporter.yaml (found at the repository root) declares 2024-01-01..2024-03-31.
    assert check().exit_code == 1
    outside = as_json(check("--period", "2024-03-01..2024-03-31", "-o", "json"))
    assert outside["period"]["windows"] == []
    assert outside["period"]["label"] == (
        f"period 2024-03-01 to 2024-03-31: the state at the start (commit {shas['close'][:12]}),"
        " unchanged to the end")


@pytest.mark.parametrize(("period", "after"), [
    ("2024-02-10..2024-03-31", "and after the one commit that changed the inputs"),
    ("2024Q1", "and after each of 2 commits that changed the inputs")])
def test_the_period_label_counts_the_commits_after_the_start(
        history: tuple[Repo, dict[str, str]], period: str, after: str) -> None:
    label = as_json(check("--period", period, "-o", "json"))["period"]["label"]
    assert label.endswith(f") {after}")


def test_apply_judges_the_proposal_now_never_the_period(
        history: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    # The config's period failed in February; what --apply adds is judged on its own.
    (tmp_path / "proposal.yaml").write_text(LEAK)
    data = as_json(check("--apply", str(tmp_path), "-o", "json"))
    period = data["period"]
    assert (period["examined"], period["windows"], period["states"]) == (False, [], [])
    assert period["label"].endswith(f", with the NetworkPolicies of {tmp_path} applied")
    assert period["notes"] == [
        "the period 2024-01-01 to 2024-03-31 was not examined: --apply judges NetworkPolicies "
        "that are not committed, so only this state, with them applied, was"]
    assert "failed during the period" not in json.dumps(data["frameworks"])
    # The proposal itself is judged: it opens the database to the internet.
    assert {c["check_id"]: c["status"] for c in data["checks"]}[
        "zone.internet-to-datastore"] == "FAIL"
    together = check("--apply", str(tmp_path), "--period", "2024Q1")
    assert together.exit_code == 2
    assert "--apply judges NetworkPolicies that are not committed, and --period" in (
        together.stderr)


def test_inputs_that_did_not_exist_at_the_start_are_named(
        history: tuple[Repo, dict[str, str]]) -> None:
    repo, shas = history
    repo.write("estate/extra.yaml", "---\napiVersion: v1\nkind: Namespace\n"
                                    "metadata: {name: extra}\n")
    repo.commit("a namespace", date="2024-03-10T09:00:00+00:00")
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    assert "estate/extra.yaml did not exist at the start of the period (2024-01-01)" in (
        period["notes"])
    before = as_json(check("--period", "2023Q3", "-o", "json"))["period"]
    assert before["examined"] is False
    assert "the inputs have no commit in it or before it" in before["notes"][0]


def test_only_added_manifests_are_named_and_a_long_list_is_counted(
        history: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = history
    repo.write("estate/values.yaml", "replicas: 3\n")  # not a manifest: nothing examined
    for n in range(7):
        repo.write(f"estate/ns{n}.yaml", f"apiVersion: v1\nkind: Namespace\n"
                                         f"metadata: {{name: extra-{n}}}\n")
    repo.commit("seven namespaces and some values", date="2024-03-10T09:00:00+00:00")
    notes = as_json(check("--period", "2024Q1", "-o", "json"))["period"]["notes"]
    added = [n for n in notes if "did not exist at the start" in n]
    assert added == [
        *(f"estate/ns{n}.yaml did not exist at the start of the period (2024-01-01)"
          for n in range(5)),
        "and 2 more manifest files that did not exist at the start of the period"]


def test_without_git_the_run_is_a_point_in_time_and_the_period_is_not_examined(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        (tmp_path / "estate").mkdir(exist_ok=True)
        (tmp_path / "estate" / name).write_text((SAMPLES / "fixed" / name).read_text())
    result = check("-o", "json")
    assert result.exit_code == 0
    period = as_json(result)["period"]
    assert period["examined"] is False
    assert period["label"].startswith("point in time: state as of 2024-04-01T")
    assert period["notes"] == ["the period 2024-01-01 to 2024-03-31 was not examined: only this "
                               "one state was"]


def test_a_period_that_is_not_one_is_bad_input(history: tuple[Repo, dict[str, str]]) -> None:
    result = check("--period", "2024-Q5")
    assert result.exit_code == 2
    assert "--period 2024-Q5: not a period" in result.stderr


@pytest.mark.parametrize("glob", ["estate/drafts/*", "drafts/*", "estate/drafts", "drafts"])
def test_every_state_is_read_with_the_exclusions_of_the_end_state(
        history: tuple[Repo, dict[str, str]], glob: str) -> None:
    """Relative to the folder named (``estate``) or as given, in the work tree and in Git."""
    repo, _ = history
    repo.write("estate/drafts/policy.yaml", "spec: [unfinished\n")
    repo.commit("a draft", date="2024-03-10T09:00:00+00:00")
    result = check("--period", "2024Q1", "--exclude", glob, "-o", "json")
    assert result.exit_code == 1, result.output  # the leak in February, not bad input
    states = as_json(result)["period"]["states"]
    assert len(states) == 4 and all(s["problem"] is None for s in states)
    at_ref = check("--git-ref", "HEAD", "--period", "2024-03-01..2024-03-31", "--exclude", glob)
    assert at_ref.exit_code == 0, at_ref.output


def test_a_period_not_ended_at_the_run_is_examined_up_to_the_run_only(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run on 11 February, inside 2024Q1, with the database open since 1 February: the failure
    lasted 10 days so far, not to the quarter's end; the period is said to be examined to the
    run, the 49.6 days after it not; a quarter that starts after the run is not examined."""
    repo = make_repo()
    opened = open_leak(repo)[1]["open"]
    monkeypatch.chdir(repo.path)
    run = CliRunner(env={"SOURCE_DATE_EPOCH": "1707642000"})  # 2024-02-11 09:00 UTC
    result = run.invoke(cli, ["check", "estate", "--framework", "pci-dss-4.0.1", "--period",
                              "2024Q1", "-o", "json"])
    assert result.exit_code == 1, result.output
    period = as_json(result)["period"]
    assert period["examined"] is True and period["end"] == "2024-03-31"
    assert period["label"].startswith(
        "period 2024-01-01 to 2024-03-31 (examined to this run, 2024-02-11): the state at the "
        "start (commit ")
    assert period["notes"][0] == (
        "the period ends on 2024-03-31, after this run: it is examined up to the run "
        "(2024-02-11 09:00 UTC), the 49.6 days after it are not; a run after 2024-03-31 "
        "examines the whole period")
    [window] = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert (window["opened_commit"], window["closed_commit"], window["days"]) == (
        opened, None, 10.0)
    text = run.invoke(cli, ["check", "estate", "--framework", "pci-dss-4.0.1", "--period",
                            "2024Q1"]).stdout
    assert "still failing at the end of the time examined (10 days)" in text
    packed = run.invoke(cli, ["report", "estate", "--config", "reporter.yaml", "--framework",
                              "pci-dss-4.0.1", "--period", "2024Q1", "--out", "pack"])
    assert packed.exit_code in (0, 1), packed.output
    html = (repo.path / "pack" / "report.html").read_text()
    assert " · 2024-01-01 to 2024-02-11, to date\" data-run=" in html  # the running header
    assert "<p>The period 2024-01-01 to 2024-03-31 (examined to this run, 2024-02-11):" in html
    later = run.invoke(cli, ["check", "estate", "--framework", "pci-dss-4.0.1", "--period",
                             "2024Q3", "-o", "json"])
    assert as_json(later)["period"]["examined"] is False
    assert as_json(later)["period"]["notes"] == [
        "the period 2024-07-01 to 2024-09-30 was not examined: it starts after this run "
        "(2024-02-11)"]


def test_a_period_that_began_before_the_first_commit_is_examined_from_that_commit(
        history: tuple[Repo, dict[str, str]]) -> None:
    """The estate's first commit is on 10 December 2023: of 2023Q4, only the weeks after it
    were examined, and the period says so rather than vouch for October and November."""
    _, shas = history
    period = as_json(check("--period", "2023Q4", "-o", "json"))["period"]
    assert period["examined"] is True
    assert period["label"] == (f"period 2023-10-01 to 2023-12-31: from commit {shas['base'][:12]} "
                               "(the inputs did not exist at the start), unchanged to the end")
    assert period["notes"] == [
        "the inputs did not exist at the start of the period (2023-10-01): examined from "
        f"commit {shas['base'][:12]} on 2023-12-10"]


def test_a_commit_on_the_last_day_of_the_period_is_one_of_its_states(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """And one made at the first instant of the next day is not."""
    repo = make_repo()
    clean, shas = open_leak(repo)
    repo.write("estate/policies.yaml", clean)
    late = repo.commit("remove the debug access", date="2024-03-31T23:30:00+00:00")
    repo.write("estate/policies.yaml", clean + LEAK)
    repo.commit("the next quarter's first change", date="2024-04-01T00:00:00+00:00")
    monkeypatch.chdir(repo.path)
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    assert [s["commit"] for s in period["states"]] == [shas["base"], shas["open"], late]
    assert {(w["opened_commit"], w["closed_commit"]) for w in period["windows"]} == {
        (shas["open"], late)}


def test_a_commit_made_at_the_first_instant_of_the_period_is_its_first_change(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """git's --before includes its instant: the commit was also taken for the state at START,
    the real one (15 February) was dropped, and the inputs were said not to exist then."""
    repo = make_repo()
    clean, _ = open_leak(repo)  # the leak opened on 1 February, then:
    repo.write("estate/policies.yaml", clean)
    closed = repo.commit("remove the debug access", date="2024-02-15T09:00:00+00:00")
    repo.write("estate/policies.yaml", clean + LEAK)
    midnight = repo.commit("debug access again", date="2024-04-01T00:00:00+00:00")
    monkeypatch.chdir(repo.path)
    period = as_json(check("--period", "2024Q2", "-o", "json"))["period"]  # run on 1 April
    assert [s["commit"] for s in period["states"]] == [closed, midnight]
    assert period["label"] == (
        "period 2024-04-01 to 2024-06-30 (examined to this run, 2024-04-01): the state at the "
        f"start (commit {closed[:12]}) and after the one commit that changed the inputs")
    assert {w["opened_commit"] for w in period["windows"]} == {midnight}
    assert not [n for n in period["notes"] if "did not exist" in n]


def test_uncommitted_changes_are_named_and_left_out_of_the_period(
        history: tuple[Repo, dict[str, str]]) -> None:
    """The period is its commits: a leak written in the work tree and not committed is not
    one of its states, and the period says that it was left out rather than vouch for it."""
    repo, shas = history
    repo.write("estate/policies.yaml", (repo.path / "estate/policies.yaml").read_text() + LEAK)
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    assert period["notes"][-1] == ("uncommitted changes to the inputs are not part of the "
                                   "period: estate/policies.yaml")
    assert [s["commit"] for s in period["states"]] == [shas["base"], shas["open"], shas["close"]]
    assert {w["closed_commit"] for w in period["windows"]} == {shas["close"]}


def test_a_failure_in_one_zone_fails_that_zone_of_its_requirement_a_zoneless_one_all() -> None:
    from datetime import UTC, datetime

    from reporter.model import FailureWindow, Status
    from reporter.timeline import _worst_framework
    from tests.report.sample import sample_assessment

    framework = sample_assessment().frameworks[0]
    passing = {"cde": Status.PASS, "connected": Status.PASS}
    first, second = (r.model_copy(update={"status": Status.PASS, "zone_status": passing})
                     for r in framework.requirements[:2])
    framework = framework.model_copy(update={"requirements": [first, second]})

    def window(zones: list[str]) -> FailureWindow:
        return FailureWindow(check_id="zone.egress-declared", target="t", message="m",
                             zones=zones, opened_commit="a" * 40,
                             opened_at=datetime(2024, 2, 1, tzinfo=UTC), closed_commit=None,
                             closed_at=None, days=1.0)

    worst = _worst_framework(framework, {f"{framework.id} {first.id}": [window(["cde"])],
                                         f"{framework.id} {second.id}": [window([])]})
    assert [(r.status, r.zone_status) for r in worst.requirements] == [
        (Status.FAIL, {"cde": Status.FAIL, "connected": Status.PASS}),
        (Status.FAIL, {"cde": Status.FAIL, "connected": Status.FAIL})]


def test_each_change_to_the_inputs_is_a_state_of_its_own_even_of_the_same_length(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """A state is reused only when its input files are the same, names and bytes: a one-letter
    fix that keeps the file's length (a policy's label, here opening the database to the
    internet) is judged anew, and so is the same file under another name (its findings cite
    the new one)."""
    repo = make_repo()
    clean = (SAMPLES / "fixed" / "policies.yaml").read_text()
    repo.write("estate/workloads.yaml", (SAMPLES / "fixed" / "workloads.yaml").read_text())
    repo.write("estate/policies.yaml", clean + LEAK.replace("tier: database", "tier: databasX"))
    repo.write("reporter.yaml", (SAMPLES / "fixed" / "reporter.yaml").read_text())
    base = repo.commit("a debug policy selecting nothing", date="2023-12-10T10:00:00+00:00")
    repo.write("estate/policies.yaml", clean + LEAK)
    opened = repo.commit("fix the debug policy's label", date="2024-02-01T09:00:00+00:00")
    repo.move("estate/policies.yaml", "estate/netpol.yaml")
    renamed = repo.commit("rename the policies", date="2024-02-10T09:00:00+00:00")
    monkeypatch.chdir(repo.path)
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    assert [(s["commit"], s["reused"]) for s in period["states"]] == [
        (base, False), (opened, False), (renamed, False)]
    windows = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert [(w["opened_commit"], w["closed_commit"]) for w in windows] == [(opened, None)]


def test_the_repository_root_as_input_has_its_whole_history_examined(
        history: tuple[Repo, dict[str, str]]) -> None:
    """`reporter check . --period …` at the root of the repository, as CI runs it."""
    _, shas = history
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1712000000"}).invoke(
        cli, ["check", ".", "--framework", "pci-dss-4.0.1", "--period", "2024Q1", "-o", "json"])
    assert result.exit_code == 1, result.output
    period = as_json(result)["period"]
    assert period["examined"] is True
    # The README's commit changed a file under the root, none of the manifests: its state is
    # the previous one's.
    assert [(s["commit"], s["reused"]) for s in period["states"]] == [
        (shas["base"], False), (shas["open"], False), (shas["close"], True),
        (shas["other"], True)]
    assert [(w["opened_commit"], w["closed_commit"]) for w in period["windows"]
            if w["check_id"] == "zone.internet-to-datastore"] == [(shas["open"], shas["close"])]


def test_a_window_names_every_workload_the_failure_reached_while_it_was_open(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """A database replica added while the debug policy was open is exposed by the same cause:
    the one window names both workloads, not only those of the state that opened it."""
    repo = make_repo()
    clean, shas = open_leak(repo)
    workloads = repo.path / "estate" / "workloads.yaml"
    text = workloads.read_text()
    database = text.index("name: database")
    start, stop = text.rindex("---", 0, database), text.find("\n---", database)
    stop = len(text) if stop < 0 else stop
    workloads.write_text(text.rstrip("\n") + "\n" + text[start:stop].replace(
        "name: database", "name: database-replica", 1).strip() + "\n")
    repo.commit("a database replica", date="2024-02-05T09:00:00+00:00")
    repo.write("estate/policies.yaml", clean)
    closed = repo.commit("remove the debug access", date="2024-02-15T09:00:00+00:00")
    monkeypatch.chdir(repo.path)
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    windows = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert [(w["opened_commit"], w["closed_commit"], w["affected"]) for w in windows] == [
        (shas["open"], closed, ["production/database-replica[StatefulSet]",
                                "production/database[StatefulSet]"])]


def test_the_state_at_start_is_the_last_commit_before_it_to_the_second(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit one second before START is the state at START (a leak open when the period
    starts); one made exactly at START is the period's first change (here closing it)."""
    repo = make_repo()
    clean, _ = open_leak(repo)
    repo.write("estate/policies.yaml", clean + LEAK.replace("5432", "5433"))
    before = repo.commit("debug access on another port", date="2023-12-31T23:59:59+00:00")
    repo.write("estate/policies.yaml", clean)
    at_start = repo.commit("remove the debug access", date="2024-01-01T00:00:00+00:00")
    monkeypatch.chdir(repo.path)
    period = as_json(check("--period", "2024Q1", "-o", "json"))["period"]
    assert [s["commit"] for s in period["states"]] == [before, at_start]
    windows = [w for w in period["windows"] if w["check_id"] == "zone.internet-to-datastore"]
    assert [(w["opened_commit"], w["closed_commit"]) for w in windows] == [(None, at_start)]
