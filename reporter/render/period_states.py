"""The table of states in "Time examined": a busy GitOps repository has hundreds of commits a
quarter, nearly all leaving the result as it was. The table lists the first and the last state,
every state not examined and every state that changed the result; each run of states with the
same result as the state before it is one row. pack.json keeps every state."""

from __future__ import annotations

from dataclasses import dataclass

from reporter.model import PeriodResult, PeriodState

SHOWN_STATES = 12
"""Periods of up to this many states list every one (under half a page)."""


@dataclass(frozen=True, slots=True)
class StateGroup:
    """A state the table lists, then the states after it that are folded into one row."""

    shown: PeriodState
    folded: tuple[PeriodState, ...] = ()
    """Each examined, with the same result as the state before it; none, or at least two (one
    state is shown as itself: its row takes no more room than a folded one)."""


@dataclass(frozen=True, slots=True)
class StatesTable:
    groups: tuple[StateGroup, ...]
    folded: int
    """States not listed one by one."""
    not_examined: int
    """States whose inputs could not be read or are invalid: each has its row."""


def states_table(period: PeriodResult) -> StatesTable:
    """Every state of a short period; else the first, the last, the changes, the states not
    examined and the folds."""
    states = period.states
    not_examined = sum(1 for s in states if s.problem is not None)
    if len(states) <= SHOWN_STATES:
        return StatesTable(tuple(StateGroup(s) for s in states), 0, not_examined)
    runs: list[list[PeriodState]] = []
    for state, listed in zip(states, _listed(period), strict=True):
        if listed:
            runs.append([state])
        else:
            runs[-1].append(state)
    groups: list[StateGroup] = []
    for shown, *unchanged in runs:
        if len(unchanged) == 1:
            groups += [StateGroup(shown), StateGroup(unchanged[0])]
        else:
            groups.append(StateGroup(shown, tuple(unchanged)))
    return StatesTable(tuple(groups), sum(len(g.folded) for g in groups), not_examined)


def _listed(period: PeriodResult) -> list[bool]:
    """Per state: the first, the last, one not examined, or one whose result differs from the
    state before it (another number of failing or not tested requirements, or a failure window
    its commit opened or closed). The state after one not examined differs from it."""
    states = period.states
    window_commits = {commit for w in period.windows
                      for commit in (w.opened_commit, w.closed_commit) if commit}
    return [index in (0, len(states) - 1) or state.commit in window_commits
            or state.problem is not None or _result(state) != _result(states[index - 1])
            for index, state in enumerate(states)]


def _result(state: PeriodState) -> tuple[int | None, int | None]:
    """What the table shows of a state: None for one not examined."""
    return state.failing_requirements, state.not_tested_requirements
