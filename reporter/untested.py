"""Requirements not tested in some state of the period: the state could not be examined (its
inputs could not be read or are invalid), or the requirement's automated part was ERROR or
NOT_ASSESSED there. Over the period such a requirement claims no more than its least tested
state: unless it failed, it takes the worst of those statuses (docs/status.md, "The period").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from reporter.model import (
    ROC,
    FrameworkResult,
    RequirementResult,
    Status,
    requirement_status,
    roll_up,
)
from reporter.wording import counted, days_text, in_days

if TYPE_CHECKING:
    from reporter.errors import InputError
    from reporter.timeline import Commit, StateRun

NOT_TESTED = (Status.ERROR, Status.NOT_ASSESSED)
"""Statuses that test nothing (PCI DSS: Not Tested)."""
SHOWN = 3
"""Runs of untested states named in a requirement's reason, states not examined in the note,
problems named for each."""

_Judged = Mapping[str, RequirementResult] | None
"""A state's requirements by ID; None: it could not be examined."""


@dataclass(frozen=True, slots=True)
class Untested:
    """Consecutive states in which one requirement was not tested, for the same cause."""

    status: Status
    """ERROR or NOT_ASSESSED (ERROR for states not examined)."""
    examined: bool
    """False: the states' inputs could not be read or are invalid."""
    why: str | None
    """The first state's problem, or the requirement's reason there."""
    first: Commit
    opened_at: datetime
    """When the first state applied from: its commit, or START for the state at the start."""
    seen: tuple[RequirementResult | None, ...]
    """The requirement in each of the states (None: not examined)."""
    until: Commit
    """The state after them."""

    def describe(self) -> str:
        what = self.status.value if self.examined else "not examined"
        later = f" and {counted(len(self.seen) - 1, 'later state')}" if len(self.seen) > 1 else ""
        days = in_days(self.until.committed_at - self.opened_at)
        why = f": {self.why}" if self.why else ""
        return (f"{what} at commit {self.first.sha[:12]}{later} from {self.opened_at.date()} "
                f"until commit {self.until.sha[:12]} on {self.until.committed_at.date()} "
                f"({days_text(days)}){why}")


def problem_text(error: InputError) -> str:
    """Why a state could not be examined: its first problems, then how many more."""
    shown = "; ".join(p.render() for p in error.problems[:SHOWN])
    rest = len(error.problems) - SHOWN
    return f"{shown}; and {rest} more" if rest > 0 else shown


def least_tested(framework: FrameworkResult, states: Sequence[StateRun], start: date
                 ) -> list[RequirementResult]:
    """The framework's requirements; each one judged by checks that did not fail made no better
    than in the states that did not test it (the end state left out: its status is the
    requirement's already)."""
    by_state: list[_Judged] = [
        None if s.assessment is None else {r.id: r for f in s.assessment.frameworks
                                           if f.id == framework.id for r in f.requirements}
        for s in states[:-1]]
    requirements = []
    for requirement in framework.requirements:
        runs = _untested_runs(states, by_state, requirement.id, start) if (
            requirement.checks and requirement.status is not Status.FAIL) else []
        requirements.append(_untested_during(requirement, runs) if runs else requirement)
    return requirements


def _untested_runs(states: Sequence[StateRun], by_state: Sequence[_Judged], requirement: str,
                   start: date) -> list[Untested]:
    """The runs of states before the end state in which ``requirement`` was not tested."""
    period_start = datetime.combine(start, time.min, UTC)
    runs: list[Untested] = []
    previous: tuple[Status, bool] | None = None
    for index, state in enumerate(states[:-1]):
        results = by_state[index]
        seen = None if results is None else results.get(requirement)
        why: str | None
        if results is None:
            label, why = (Status.ERROR, False), f"its inputs are invalid: {state.problem}"
        elif seen is not None and seen.status in NOT_TESTED:
            label, why = (seen.status, True), seen.reason
        else:
            previous = None
            continue
        until = states[index + 1].commit
        if label == previous:
            runs[-1] = replace(runs[-1], seen=(*runs[-1].seen, seen), until=until)
        else:
            runs.append(Untested(*label, why, state.commit,
                                 max(state.commit.committed_at, period_start), (seen,), until))
        previous = label
    return runs


def _untested_during(requirement: RequirementResult, runs: Sequence[Untested]
                     ) -> RequirementResult:
    """``requirement`` (not FAIL) no better than in the states that did not test it: the worst
    of their statuses, its reason naming them; its checks and zones likewise."""
    automated = roll_up([s for s in (requirement.automated, *(r.status for r in runs)) if s])
    status = requirement_status(automated, requirement.coverage, requirement.manual_state)
    shown = "; ".join(r.describe() for r in runs[:SHOWN])
    more = f"; and {len(runs) - SHOWN} more" if len(runs) > SHOWN else ""
    reason = f"not tested during the period: {shown}{more}"
    seen = [(run.status, r) for run in runs for r in run.seen]
    return requirement.model_copy(update={
        "status": status, "automated": automated,
        "roc": ROC[status] if requirement.roc else None,
        # The end state's reason first: what is wrong now, then what was during the period.
        "reason": f"{requirement.reason}; {reason}" if requirement.reason else reason,
        "check_status": _no_better(requirement.check_status,
                                   [(s, r.check_status if r else {}) for s, r in seen]),
        "zone_status": _no_better(requirement.zone_status,
                                  [(s, r.zone_status if r else {}) for s, r in seen])})


def _no_better(current: Mapping[str, Status],
               seen: Sequence[tuple[Status, Mapping[str, Status]]]) -> dict[str, Status]:
    """Each check's (or zone's) status, no better than in the states that did not test the
    requirement: its own status there, else the state's (nothing was judged there)."""
    return {key: roll_up([value, *(own.get(key, status) for status, own in seen)])
            for key, value in current.items()}


def not_examined_notes(states: Sequence[StateRun]) -> list[str]:
    """How many states could not be examined, and why (the first few)."""
    unread = [s for s in states if s.assessment is None]
    if not unread:
        return []
    shown = "; ".join(f"commit {s.commit.sha[:12]} ({s.commit.committed_at.date()}): "
                      f"{s.problem}" for s in unread[:SHOWN])
    more = f"; and {len(unread) - SHOWN} more (period.states)" if len(unread) > SHOWN else ""
    return [f"{counted(len(unread), 'state')} of {len(states)} could not be examined, the "
            "inputs being invalid there, so requirements judged by checks read ERROR (Not "
            f"Tested) for the period unless they failed: {shown}{more}"]
