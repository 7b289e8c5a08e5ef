"""The check registry: pure functions registered under stable, dotted IDs.

A check reads the :class:`CheckContext` and returns an :class:`Evaluation`: the population it
judged and the findings (with their evidence). The catalog refers to checks by ID only.

Adding a check: the function, registered with ``@check`` in a module of this package (a new
module is imported in ``__init__.py``); its mapping in ``controls/*.yaml``; its cases under
``tests/checks/cases/<id>/``. ``pytest --update-goldens`` then regenerates docs/config.md's
table of checks (and any golden the check changes) for review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reporter.checks.context import CheckContext
from reporter.model import CheckResult, Finding, Status


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What a check looked at and what it found."""

    evaluated: str
    """The population, e.g. ``3 namespaces in scope``: lets an assessor judge coverage."""
    population: int
    """How many items were judged; 0 makes the check NOT_APPLICABLE."""
    findings: Sequence[Finding] = ()
    error: str | None = None
    """Set when the check could not judge (status ERROR), saying why and what to do."""


CheckFunction = Callable[[CheckContext, str], Evaluation]
"""Called with the context and the check's own ID, which its findings carry: the ID is written
once, in :func:`check`."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    title: str
    function: CheckFunction = field(repr=False)
    """Its docstring says what the check asserts (docs/config.md lists them)."""
    heavy: bool = False
    """It scans the allowed pairs of whole zones: started first when the checks share
    processes (:mod:`reporter.workers`)."""


REGISTRY: dict[str, CheckSpec] = {}
"""Every check by ID (filled when ``reporter.checks`` is imported)."""


def check(check_id: str, *, title: str, heavy: bool = False
          ) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under ``check_id``."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id!r} is registered twice")
        REGISTRY[check_id] = CheckSpec(check_id, title, function, heavy)
        return function

    return register


def status_of(findings: Sequence[Finding], population: int, error: str | None) -> Status:
    """FAIL > ERROR > EXCEPTED > PASS; NOT_APPLICABLE when nothing was there to judge."""
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return Status.FAIL
    if error is not None or Status.ERROR in statuses:
        return Status.ERROR
    if Status.EXCEPTED in statuses:
        return Status.EXCEPTED
    return Status.PASS if population else Status.NOT_APPLICABLE


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    evaluation = spec.function(ctx, spec.id)
    findings = sorted(evaluation.findings, key=lambda f: (f.target, f.message, f.fingerprint))
    return CheckResult(
        check_id=spec.id, title=spec.title,
        status=status_of(findings, evaluation.population, evaluation.error),
        evaluated=evaluation.evaluated, findings=findings, error=evaluation.error,
    )
