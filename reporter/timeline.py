"""The assessment period from Git history (``check``/``report --period``): the state at START
and after every commit in the period that changed the inputs, each assessed; the result is the
worst state, with a timeline of which commit opened each failure and which closed it
(docs/status.md, "The period"). ``reporter.period`` parses the periods named on the command
line.

States with the same input files (a revert, a commit touching only other files' history) reuse
the earlier state's assessment; intermediate states are read from Git objects, without the
per-file provenance only the final state needs. A state whose inputs cannot be read or are
invalid is recorded as not examined and the period goes on (``reporter.untested``): only the
state at the end, the one the user can fix, stops the run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reporter.errors import GitError, InputError
from reporter.git import repo_relative, run_git, sources_at_ref
from reporter.inputs import LoadedInputs, located_in_git
from reporter.inventory.manifests import load_inventory
from reporter.inventory.sources import Source, excluded_in_repository
from reporter.model import (
    ROC,
    Assessment,
    FailureWindow,
    Finding,
    FrameworkResult,
    PeriodResult,
    PeriodState,
    RequirementResult,
    Status,
    roll_up,
)
from reporter.untested import NOT_TESTED, least_tested, not_examined_notes, problem_text
from reporter.wording import counted, days_text, in_days, listed

if TYPE_CHECKING:
    from reporter.pipeline import Assessed, Assessor

WindowKey = tuple[str, str]
"""(check ID, target): one failure followed across states. The target is the cause, so a
cause that reaches more workloads stays one window (naming them all)."""
SHOWN_WINDOWS = 3
"""Failure windows named in a requirement's reason."""
SHOWN_ADDED = 5
"""Manifest files added during the period named one by one in the notes."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    committed_at: datetime
    subject: str
    author: str


def _commits(repo: Path, args: Sequence[str]) -> list[Commit]:
    out = run_git(["log", "--first-parent", "--no-show-signature", "--no-color",
                   "--format=%H%x00%cI%x00%an%x00%s%x1e", *args], repo)
    commits = []
    for record in out.decode("utf-8", "replace").split("\x1e"):
        if record.strip():
            sha, when, author, subject = record.strip("\n").split("\0", 3)
            commits.append(Commit(sha, datetime.fromisoformat(when), subject, author))
    return commits


def period_commits(repo: Path, paths: Sequence[str], start: date, end: date, ref: str
                   ) -> tuple[Commit | None, list[Commit]]:
    """The last commit before START (the state at START) and the commits inside the period
    that changed ``paths``, oldest first, on the first-parent line of ``ref``."""
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    # git's --before includes its instant: a commit made exactly at START is the period's
    # first change, not the state at START (commit times are whole seconds).
    before = _commits(repo, ["-1", f"--before={(since - timedelta(seconds=1)).isoformat()}",
                             ref])
    pathspecs = [path or "." for path in paths]  # "" is the repository root
    during = _commits(repo, [f"--since={since.isoformat()}", f"--before={until.isoformat()}",
                             ref, "--", *pathspecs])
    # --before/--since compare committer dates; keep them strictly inside the period.
    during = [c for c in reversed(during) if since <= c.committed_at < until]
    return (before[0] if before else None), during


def _content_key(sources: Sequence[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(f"{source.path}\0{source.problem}\0{len(source.text)}\0".encode())
        digest.update(source.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _failing(assessment: Assessment) -> dict[WindowKey, tuple[str, set[str]]]:
    """Failing findings judged by a requirement: key -> (fingerprint, requirement names)."""
    by_fingerprint = {f.fingerprint: f for c in assessment.checks for f in c.findings
                      if f.status is Status.FAIL}
    failing: dict[WindowKey, tuple[str, set[str]]] = {}
    for framework in assessment.frameworks:
        for requirement in framework.requirements:
            for fingerprint in requirement.findings:
                finding = by_fingerprint.get(fingerprint)
                if finding is not None:
                    entry = failing.setdefault((finding.check_id, finding.target),
                                               (fingerprint, set()))
                    entry[1].add(f"{framework.id} {requirement.id}")
    return failing


@dataclass(frozen=True, slots=True)
class StateRun:
    commit: Commit
    assessment: Assessment | None
    """None: the state could not be examined (``problem``)."""
    reused: bool
    files: tuple[str, ...]
    """The input files of this state (none when they could not be read)."""
    problem: str | None = None
    """Why its inputs could not be read or are invalid: the first problems, then how many
    more."""


class PeriodRunner:
    """Assesses each state once per distinct input content."""

    def __init__(self, repo: Path, paths: Sequence[str],
                 assess: Callable[[Sequence[Source], str], Assessment]) -> None:
        self.repo, self.paths, self._assess = repo, paths, assess
        self._cache: dict[str, Assessment | InputError] = {}

    def state(self, commit: Commit) -> StateRun | None:
        """The inputs as committed at ``commit`` assessed; None when they did not exist yet.
        Inputs that cannot be read or are invalid there make a state not examined: one broken
        commit, fixed by the next, never hides the rest of the period."""
        try:
            sources = sources_at_ref(self.repo, commit.sha, self.paths)
        except GitError:  # the paths do not exist in that commit yet
            return None
        key = _content_key(sources)
        reused = key in self._cache
        if not reused:
            self._cache[key] = self._judged(sources, commit.sha)
        judged, files = self._cache[key], tuple(s.path for s in sources)
        if isinstance(judged, InputError):
            return StateRun(commit, None, reused, files, problem_text(judged))
        return StateRun(commit, judged, reused, files)

    def _judged(self, sources: Sequence[Source], sha: str) -> Assessment | InputError:
        """The assessment, or the input error that prevents it."""
        try:
            return self._assess(sources, sha)
        except InputError as error:
            return error


@dataclass(slots=True)
class _Open:
    """A failure seen open while walking the states."""

    finding: Finding
    opened_commit: str | None
    opened_at: datetime
    requirements: set[str]
    affected: set[str]
    not_examined_before: str | None
    not_examined: timedelta = timedelta()
    """Time spent in states not examined while it was open."""

    def closed(self, closed_by: str | None, until: datetime) -> FailureWindow:
        f = self.finding
        return FailureWindow(
            check_id=f.check_id, target=f.target, message=f.message, severity=f.severity,
            fix=f.fix, locations=f.locations, affected=sorted(self.affected),
            requirements=sorted(self.requirements), zones=f.zones,
            opened_commit=self.opened_commit, opened_at=self.opened_at,
            closed_commit=closed_by, closed_at=until if closed_by else None,
            days=in_days(until - self.opened_at), days_not_examined=in_days(self.not_examined),
            not_examined_before=self.not_examined_before)


def timeline(states: Sequence[StateRun], start: date, until: datetime) -> list[FailureWindow]:
    """Each failure's window: opened by the state where it appears (or open at START), closed
    by the first later state without it (or still open at ``until``: the end of the period, or
    the run's time when the period had not ended). A state not examined neither
    opens nor closes one: its result is unknown, so its time is counted apart in the windows
    open across it, and a window opened just after it says it may have opened there. A state
    where the failure's check could not judge its target (ERROR) does the same for it."""
    period_start = datetime.combine(start, time.min, UTC)
    open_windows: dict[WindowKey, _Open] = {}
    windows: list[FailureWindow] = []
    unexamined: str | None = None
    """The commit of the state before, when it could not be examined."""
    for index, state in enumerate(states):
        at = max(state.commit.committed_at, period_start)
        # How long this state held within the period.
        lasted = (states[index + 1].commit.committed_at if index + 1 < len(states)
                  else until) - at
        if state.assessment is None:
            for window in open_windows.values():
                window.not_examined += lasted
            unexamined = state.commit.sha
            continue
        failing = _failing(state.assessment)
        findings = {f.fingerprint: f for c in state.assessment.checks for f in c.findings}
        # A failure its check could not judge in this state (ERROR) is neither closed nor
        # confirmed there: its time is counted apart, as in a state not examined.
        unjudged = {(f.check_id, f.target) for f in findings.values()
                    if f.status is Status.ERROR} & (set(open_windows) - set(failing))
        for key in unjudged:
            open_windows[key].not_examined += lasted
        windows += [open_windows.pop(key).closed(state.commit.sha, at)
                    for key in sorted(set(open_windows) - set(failing) - unjudged)]
        for key, (fingerprint, requirements) in sorted(failing.items()):
            if key in open_windows:
                open_windows[key].requirements |= requirements
                open_windows[key].affected.update(findings[fingerprint].affected)
                continue
            opened_by = None if state.commit.committed_at < period_start else state.commit.sha
            open_windows[key] = _Open(findings[fingerprint], opened_by, at, set(requirements),
                                      set(findings[fingerprint].affected), unexamined)
        unexamined = None
    windows += [w.closed(None, until) for _, w in sorted(open_windows.items())]
    return sorted(windows, key=lambda w: (w.opened_at, w.check_id, w.target))


def _state_ref(run: StateRun) -> PeriodState:
    statuses = [r.status for r in _requirements(run.assessment)] if run.assessment else None
    return PeriodState(
        commit=run.commit.sha, committed_at=run.commit.committed_at, subject=run.commit.subject,
        author=run.commit.author,
        failing_requirements=None if statuses is None else statuses.count(Status.FAIL),
        not_tested_requirements=None if statuses is None else sum(
            1 for s in statuses if s in NOT_TESTED),
        reused=run.reused, problem=run.problem)


def _requirements(assessment: Assessment) -> list[RequirementResult]:
    return [r for f in assessment.frameworks for r in f.requirements]


def worst_over_period(final: Assessment, windows: Sequence[FailureWindow],
                      states: Sequence[StateRun], start: date) -> Assessment:
    """``final`` with every requirement that failed at some point of the period FAIL, its
    reason naming the commits that opened and closed each failure; every other one not tested
    in some state (or in a state not examined) no better than there (reporter.untested)."""
    by_requirement: dict[str, list[FailureWindow]] = {}
    for window in windows:
        for name in window.requirements:
            by_requirement.setdefault(name, []).append(window)
    frameworks = []
    for framework in final.frameworks:
        framework = _worst_framework(framework, by_requirement)
        if framework.reason is None:  # else its scope is undeclared: not assessed in any state
            framework = _rolled_up(framework, least_tested(framework, states, start))
        frameworks.append(framework)
    return final.model_copy(update={"frameworks": frameworks})


def _worst_framework(framework: FrameworkResult,
                     by_requirement: dict[str, list[FailureWindow]]) -> FrameworkResult:
    requirements = []
    for requirement in framework.requirements:
        windows = by_requirement.get(f"{framework.id} {requirement.id}", [])
        if windows:  # its checks and zones read FAIL beside its status, not the end state
            requirement = requirement.model_copy(update={
                "check_status": requirement.check_status | {
                    w.check_id: Status.FAIL for w in windows},
                "zone_status": requirement.zone_status | {
                    zone: Status.FAIL for w in windows
                    for zone in (w.zones or requirement.zone_status)
                    if zone in requirement.zone_status}})
        if windows and requirement.status is not Status.FAIL:
            shown = "; ".join(describe_window(w) for w in windows[:SHOWN_WINDOWS])
            more = f"; and {len(windows) - SHOWN_WINDOWS} more" if len(windows) > SHOWN_WINDOWS \
                else ""
            requirement = requirement.model_copy(update={
                "status": Status.FAIL, "automated": Status.FAIL,
                "roc": ROC[Status.FAIL] if requirement.roc else None,
                "reason": f"failed during the period: {shown}{more}"})
        requirements.append(requirement)
    return _rolled_up(framework, requirements)


def _rolled_up(framework: FrameworkResult, requirements: list[RequirementResult]
               ) -> FrameworkResult:
    statuses = [r.status for r in requirements]
    return framework.model_copy(update={
        "requirements": requirements, "status": roll_up(statuses),
        "counts": {s: statuses.count(s) for s in Status}})


def describe_window(window: FailureWindow) -> str:
    opened = (f"opened by commit {window.opened_commit[:12]} on {window.opened_at.date()}"
              if window.opened_commit else "already failing at the start of the period")
    # The time examined ends with the period, or with the run when the period had not ended.
    closed = (f"closed by commit {window.closed_commit[:12]} on {window.closed_at.date()}"
              if window.closed_commit and window.closed_at
              else "still failing at the end of the time examined")
    affected = f" ({', '.join(window.affected[:3])}{' …' if len(window.affected) > 3 else ''})" \
        if window.affected else ""
    if window.not_examined_before:
        opened += (f" or earlier (the state of commit {window.not_examined_before[:12]} before "
                   "it could not be examined)")
    unseen = (f", {window.days_not_examined:g} of them in states not examined or where it "
              "could not be judged" if window.days_not_examined else "")
    return (f"{window.check_id} on {window.target}{affected}, {opened}, {closed} "
            f"({days_text(window.days)}{unseen})")


def period_result(start: date, end: date, states: Sequence[StateRun],
                  windows: Sequence[FailureWindow], notes: Sequence[str], *,
                  examined_to: date | None = None) -> PeriodResult:
    """``examined_to``: the run's day, when the period had not ended then."""
    first, later = states[0].commit, len(states) - 1
    ongoing = examined_to is not None
    period = f"period {start} to {end}" + (
        f" (examined to this run, {examined_to})" if examined_to else "")
    if first.committed_at.date() < start:
        label = (f"{period}: the state at the start (commit {first.sha[:12]})"
                 + _after(later, "the one commit that changed the inputs",
                          "commits that changed the inputs", ongoing))
    else:
        label = (f"{period}: from commit {first.sha[:12]} (the inputs did not exist at the "
                 "start)" + _after(later, "the one later commit", "later commits", ongoing))
    return PeriodResult(start=start, end=end, examined=True, examined_to=examined_to,
                        label=label, states=[_state_ref(s) for s in states],
                        windows=list(windows), notes=list(notes))


def _after(commits: int, one: str, many: str, ongoing: bool) -> str:
    """The states after the first: `` and after each of 3 commits that …``."""
    if commits == 0:
        return ", unchanged to the run" if ongoing else ", unchanged to the end"
    return f" and after {one}" if commits == 1 else f" and after each of {commits} {many}"


def point_in_time(label: str, start: date | None, end: date | None) -> PeriodResult:
    """A run that examined one state only; a configured period is shown as not examined."""
    notes = [f"the period {start} to {end} was not examined: only this one state was"] if (
        start and end) else []
    return PeriodResult(start=start, end=end, examined=False, label=label, notes=notes)


def assess_period(assessor: Assessor, paths: Sequence[str], start: date, end: date, *,
                  git_ref: str | None = None, stdin: TextIO | None = None,
                  command: Sequence[str] = (), with_map: bool = False) -> Assessed:
    """The whole period from Git history; outside Git, one state labelled as a point in time.

    The states are assessed without provenance; the state at the end of the period is then
    read again with it, and carries the worst status and the timeline (and, ``with_map``,
    its map: :meth:`Assessor.assess`)."""
    current: LoadedInputs | None = None
    try:
        current = assessor.read(paths, git_ref=git_ref, stdin=stdin)
    except InputError as error:
        # Broken now (a bad commit after the period, an unfinished edit): the period's own
        # states may still read from Git, and each is judged as it was.
        located = located_in_git(paths)
        if located is None:
            raise
        unreadable: InputError | None = error
        repo, wanted = located[0], list(located[1])
    else:
        if current.repository is None or not current.input_paths:
            return assessor.assess(current, command, with_map=with_map)
        unreadable = None
        repo, wanted = current.repository, list(current.input_paths)

    def assess_current(note: str) -> Assessed:
        """The inputs as read now, the period not examined (``note`` says why)."""
        if current is None:
            assert unreadable is not None
            raise unreadable
        return with_note(assessor.assess(current, command, with_map=with_map), note)
    run_at = assessor.now
    if start > run_at.date():
        return assess_current(f"the period {start} to {end} was not examined: it starts after "
                              f"this run ({run_at.date()})")
    config = _repository_path(repo, assessor.options.config_path)
    try:
        base, during = period_commits(repo, wanted, start, end, git_ref or "HEAD")
    except GitError as err:  # a partial or damaged clone: one state, and the period not examined
        reason = "; ".join(p.message for p in err.problems)
        return assess_current(f"the period {start} to {end} was not examined: the Git history "
                              f"cannot be read ({reason})")

    reading = assessor.options.reading

    def assess_sources(sources: Sequence[Source], sha: str) -> Assessment:
        # Read as the end state is (reporter.inputs at a ref): --exclude and --strict apply.
        kept = [s for s in sources if s.path != config
                and not excluded_in_repository(s.path, wanted, reading.exclude)]
        inventory = load_inventory(kept, strict=reading.strict)
        inputs = LoadedInputs(sources=tuple(kept), excluded=(), inventory=inventory,
                              provenance=None, repository=repo, input_paths=tuple(wanted),
                              ref=sha)
        return assessor.assess(inputs).assessment

    runner = PeriodRunner(repo, wanted, assess_sources)
    states = [s for s in (runner.state(c) for c in ([base] if base else []) + during) if s]
    if not states:
        return assess_current(f"the period {start} to {end} was not examined: the inputs have "
                              "no commit in it or before it")
    # A period that has not ended is examined up to the run (or to its last commit, when the
    # run's clock is behind it: a reproducible build's SOURCE_DATE_EPOCH).
    period_end = datetime.combine(end + timedelta(days=1), time.min, UTC)
    until = min(period_end, max(run_at, states[-1].commit.committed_at))
    windows = timeline(states, start, until)
    last = states[-1].commit.sha
    provenance = current.provenance if current is not None else None
    as_read = (provenance is not None and provenance.commit == last and git_ref is None
               and not provenance.repository.dirty_paths)
    # The work tree when it is that commit, as committed; else the commit's own objects.
    final = assessor.assess(current if as_read and current is not None
                            else assessor.read(paths, git_ref=last), command, with_map=with_map)
    notes = _notes(states, base, start) + not_examined_notes(states)
    if until < period_end:
        rest = days_text(in_days(period_end - until))
        notes.insert(0, f"the period ends on {end}, after this run: it is examined up to the run "
                        f"({until:%Y-%m-%d %H:%M} UTC), the {rest} after it are not; a run "
                        f"after {end} examines the whole period")
    if provenance is not None and provenance.repository.dirty_paths:
        notes.append("uncommitted changes to the inputs are not part of the period: "
                     + listed(provenance.repository.dirty_paths, SHOWN_ADDED, "file"))
    if unreadable is not None:
        notes.append(f"the inputs as they are now could not be read "
                     f"({problem_text(unreadable)}): the period was read from Git alone")
    assessment = worst_over_period(final.assessment, windows, states, start).model_copy(update={
        "period": period_result(start, end, states, windows, notes,
                                examined_to=until.date() if until < period_end else None),
        "period_start": start, "period_end": end})
    return replace(final, assessment=assessment)


def with_note(assessed: Assessed, note: str) -> Assessed:
    """A point-in-time result whose period says why it was not examined."""
    assert assessed.assessment.period is not None  # assess() labels the point in time
    period = assessed.assessment.period.model_copy(update={"notes": [note]})
    return replace(assessed, assessment=assessed.assessment.model_copy(update={"period": period}))


def _repository_path(repo: Path, path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return repo_relative(repo, os.path.abspath(path))
    except GitError:  # the config is outside the repository: never among its files
        return None


def _notes(states: Sequence[StateRun], base: Commit | None, start: date) -> list[str]:
    """Inputs that did not exist at START: the period is examined only from when they did."""
    first = states[0]
    if base is None or first.commit != base:
        return [f"the inputs did not exist at the start of the period ({start}): examined from "
                f"commit {first.commit.sha[:12]} on {first.commit.committed_at.date()}"]
    if not first.files:  # its files could not be read: which existed at START is unknown
        return []
    # Manifests only: a Helm template or a README added in the period changes nothing examined.
    later = sorted({i.path for s in states if s.assessment is not None
                    for i in s.assessment.completeness.inputs} - set(first.files))
    notes = [f"{f} did not exist at the start of the period ({start})"
             for f in later[:SHOWN_ADDED]]
    if len(later) > SHOWN_ADDED:
        notes.append(f"and {counted(len(later) - SHOWN_ADDED, 'more manifest file')} that did "
                     f"not exist at the start of the period")
    return notes
