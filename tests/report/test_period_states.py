"""The table of "Time examined" over a busy GitOps repository: it lists the first and the last
state, every state not examined and every state that changed the result, counts each run of
unchanged states in one row, and pack.json keeps every state; a period of 150 states stays
within a page of a 3-state one."""

from __future__ import annotations

import html
import io
import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.commands.report import report_run
from reporter.model import FailureWindow, PeriodResult, PeriodState
from reporter.pack import PACK_JSON, REPORT_HTML, REPORT_PDF
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import build_pack
from reporter.render.period_states import SHOWN_STATES, states_table
from tests.git.conftest import Repo
from tests.git.test_period import LEAK
from tests.git.test_period_untested import BROKEN

from .conftest import REPO
from .test_golden import EPOCH

FIXED = REPO / "samples" / "fixed"
FIRST_CHANGE = datetime(2024, 1, 2, 9, tzinfo=UTC)
LEAKING = range(40, 44)
"""The changes (numbered from 0) that leave the database open to the internet."""
BROKEN_CHANGE = 14
"""The change that leaves half a policy in the "broken" period, fixed by the next."""
Packs = dict[str, tuple[list[str], dict[str, bytes]]]
"""By name: the shas of the period's states, oldest first, and the files of its pack."""


def _when(change: int) -> datetime:
    return FIRST_CHANGE + timedelta(hours=13 * change)


def _history(root: Path, changes: int, leaking: range, broken: range = range(0)) -> list[str]:
    """samples/fixed committed before 2024Q1, then ``changes`` commits to its policies inside
    the quarter (alternating between two harmless edits, so most states reuse a result; the
    ``broken`` ones add half a policy); returns the shas of the states, oldest first."""
    repo = Repo(root)
    repo.path.mkdir()
    repo.git("init", "--quiet", "-b", "main")
    clean = (FIXED / "policies.yaml").read_text()
    repo.write("estate/workloads.yaml", (FIXED / "workloads.yaml").read_text())
    repo.write("estate/reporter.yaml", (FIXED / "reporter.yaml").read_text())
    repo.write("estate/policies.yaml", clean)
    shas = [repo.commit("the estate before the quarter", date="2023-12-10T10:00:00+00:00")]
    for change in range(changes):
        leak = LEAK if change in leaking else ""
        half = BROKEN if change in broken else ""
        repo.write("estate/policies.yaml", f"{clean}# tuning {change % 2}\n{leak}{half}")
        shas.append(repo.commit(f"change {change}", date=_when(change).isoformat()))
    return shas


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    """The quarter with 150 states (the database open in four of them), with 3 (open in one),
    and with 30 (one not examined)."""
    root = tmp_path_factory.mktemp("period-states")
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for name, changes, leaking, broken in (
                ("busy", 149, LEAKING, range(0)), ("quiet", 2, range(1), range(0)),
                ("broken", 29, range(0), range(BROKEN_CHANGE, BROKEN_CHANGE + 1))):
            shas = _history(root / name, changes, leaking, broken)
            patch.chdir(root / name)
            run = report_run(["estate"], PipelineOptions(period=(date(2024, 1, 1),
                                                                 date(2024, 3, 31))))
            built[name] = shas, build_pack(run.assessment, run.inputs)
    return built


def _state_rows(report: bytes) -> list[str]:
    """The rows of the table of states, as text."""
    table = re.search(r'<table class="compact states">.*?<tbody>(.*?)</tbody>', report.decode(),
                      re.S)
    assert table is not None
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def _day(change: int) -> str:
    return _when(change).date().isoformat()


def test_the_table_lists_the_changes_first_and_last_and_counts_the_rest(packs: Packs) -> None:
    shas, files = packs["busy"]
    short = [sha[:12] for sha in shas]  # short[n + 1]: the state after change n
    opened, closed, last = LEAKING.start, LEAKING.stop, len(shas) - 2
    leaking = json.loads(files[PACK_JSON])["period"]["states"][opened + 1]["failing_requirements"]
    assert leaking > 0
    assert _state_rows(files[REPORT_HTML]) == [
        f"at the start {short[0]} “the estate before the quarter”, Alice Example 0 0",
        f"{_day(0)} to {_day(opened - 1)} {short[1]} to {short[opened]} "
        f"{opened} further states, results unchanged 0 0",
        f"{_day(opened)} {short[opened + 1]} “change {opened}”, Alice Example {leaking} 0",
        f"{_day(opened + 1)} to {_day(closed - 1)} {short[opened + 2]} to {short[closed]} "
        f"3 further states, results unchanged {leaking} 0",
        f"{_day(closed)} {short[closed + 1]} “change {closed}”, Alice Example (inputs as in an "
        "earlier state: its result reused) 0 0",
        f"{_day(closed + 1)} to {_day(last - 1)} {short[closed + 2]} to {short[last]} "
        f"{last - closed - 1} further states, results unchanged 0 0",
        f"{_day(last)} {short[last + 1]} “change {last}”, Alice Example (inputs as in an "
        "earlier state: its result reused) 0 0",
    ]
    text = files[REPORT_HTML].decode()
    assert ("every state not examined and every state that changed the result (another number "
            "of failing or not tested requirements, or a failure opened or closed); 146 states "
            "with the same result") in text
    assert "Every state, with its commit, change and author, is in <code>pack.json</code>" in text


def test_pack_json_keeps_every_state(packs: Packs) -> None:
    shas, files = packs["busy"]
    states = json.loads(files[PACK_JSON])["period"]["states"]
    assert len(states) == 150
    assert [s["commit"] for s in states] == shas
    assert [s["subject"] for s in states[1:]] == [f"change {n}" for n in range(149)]


def test_a_period_of_150_states_adds_at_most_a_page_to_one_of_3(packs: Packs) -> None:
    pages = {name: len(PdfReader(io.BytesIO(files[REPORT_PDF])).pages)
             for name, (_, files) in packs.items()}
    assert pages["busy"] <= pages["quiet"] + 1, pages


def test_a_short_period_lists_every_state(packs: Packs) -> None:
    shas, files = packs["quiet"]
    rows = _state_rows(files[REPORT_HTML])
    assert [re.findall(r"\b[0-9a-f]{12}\b", row) for row in rows] == [[s[:12]] for s in shas]
    assert "results unchanged" not in files[REPORT_HTML].decode()


def _state(n: int, failing: int | None, not_tested: int | None = 0,
           problem: str | None = None) -> PeriodState:
    return PeriodState(commit=f"{n:040x}", committed_at=FIRST_CHANGE + timedelta(days=n),
                       subject=f"change {n}", author="A", failing_requirements=failing,
                       not_tested_requirements=not_tested, problem=problem)


def _window(opened: int | None, closed: int | None) -> FailureWindow:
    return FailureWindow(check_id="c", target="t", message="m",
                         opened_commit=None if opened is None else f"{opened:040x}",
                         opened_at=FIRST_CHANGE, days=1.0,
                         closed_commit=None if closed is None else f"{closed:040x}",
                         closed_at=None if closed is None else FIRST_CHANGE)


def _period(failing: list[int], windows: list[FailureWindow]) -> PeriodResult:
    return PeriodResult(examined=True, label="period", windows=windows,
                        states=[_state(n, f) for n, f in enumerate(failing)])


def test_a_failure_replaced_by_another_is_a_change_though_the_count_stays() -> None:
    # State 5 closes one failure and opens another: still 2 failing requirements.
    failing = [2] * 20
    table = states_table(_period(failing, [_window(None, 5), _window(5, None)]))
    assert [(int(g.shown.commit, 16), len(g.folded)) for g in table.groups] == [
        (0, 4), (5, 13), (19, 0)]
    assert table.folded == 17


def test_one_unchanged_state_between_changes_is_listed_not_folded() -> None:
    failing = [0] * 5 + [1, 1, 0] + [0] * 12
    table = states_table(_period(failing, []))
    assert [(int(g.shown.commit, 16), len(g.folded)) for g in table.groups] == [
        (0, 4), (5, 0), (6, 0), (7, 11), (19, 0)]


def test_up_to_the_limit_every_state_is_listed() -> None:
    table = states_table(_period([0] * SHOWN_STATES, []))
    assert [g.folded for g in table.groups] == [()] * SHOWN_STATES
    assert table.folded == 0
    assert states_table(_period([0] * (SHOWN_STATES + 1), [])).folded == SHOWN_STATES - 1


def test_a_state_not_examined_in_a_run_of_unchanged_states_is_listed() -> None:
    states = [_state(n, 0) for n in range(30)]
    states[15] = _state(15, None, None, "estate/policies.yaml:193: invalid YAML: …")
    table = states_table(PeriodResult(examined=True, label="period", states=states))
    # The state after it is listed too: its result is known again.
    assert [(int(g.shown.commit, 16), len(g.folded)) for g in table.groups] == [
        (0, 14), (15, 0), (16, 12), (29, 0)]
    assert (table.folded, table.not_examined) == (26, 1)


def test_another_number_of_requirements_not_tested_is_a_change() -> None:
    states = [_state(n, 0, 9 if n in (8, 9, 10) else 0) for n in range(20)]
    table = states_table(PeriodResult(examined=True, label="period", states=states))
    assert [(int(g.shown.commit, 16), len(g.folded)) for g in table.groups] == [
        (0, 7), (8, 2), (11, 7), (19, 0)]


def test_the_row_of_a_state_not_examined_says_why(packs: Packs) -> None:
    shas, files = packs["broken"]
    short = [sha[:12] for sha in shas]
    state = json.loads(files[PACK_JSON])["period"]["states"][BROKEN_CHANGE + 1]
    assert state["problem"].startswith("estate/policies.yaml:")
    broken, after, last = BROKEN_CHANGE, BROKEN_CHANGE + 1, len(shas) - 2
    assert _state_rows(files[REPORT_HTML]) == [
        f"at the start {short[0]} “the estate before the quarter”, Alice Example 0 0",
        f"{_day(0)} to {_day(broken - 1)} {short[1]} to {short[broken]} "
        f"{broken} further states, results unchanged 0 0",
        f"{_day(broken)} {short[broken + 1]} “change {broken}”, Alice Example The inputs are "
        f"invalid in this commit: {state['problem']} not examined",
        f"{_day(after)} {short[after + 1]} “change {after}”, Alice Example (inputs as in an "
        "earlier state: its result reused) 0 0",
        f"{_day(after + 1)} to {_day(last - 1)} {short[after + 2]} to {short[last]} "
        f"{last - after - 1} further states, results unchanged 0 0",
        f"{_day(last)} {short[last + 1]} “change {last}”, Alice Example (inputs as in an "
        "earlier state: its result reused) 0 0",
    ]
    assert ("1 state could not be examined: its inputs are invalid (the row says why), so "
            "nothing is known of it") in " ".join(files[REPORT_HTML].decode().split())
