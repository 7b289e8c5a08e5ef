"""``reporter check``: judge the manifests against the control catalog.

Exit codes: 0 no automated requirement fails, 1 one does, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import click
from rich.console import Console

from reporter.commands import ExitCode
from reporter.commands.options import (
    assessment_options,
    fail_on_error_option,
    git_ref_option,
    paths_argument,
    period_option,
)
from reporter.errors import InputError, Problem
from reporter.model import Assessment, Status
from reporter.render.interface import ASSESSMENT_FORMATS
from reporter.untested import NOT_TESTED
from reporter.wording import counted

if TYPE_CHECKING:
    from reporter.pipeline import PipelineOptions

TEXT = "text"


NOT_ASSESSED_HINT = ("add the workload manifests (Deployments, StatefulSets, Pods…) with the "
                     "NetworkPolicies that govern them, or snapshot the cluster with "
                     "`reporter snapshot`")


def require_assessed(assessment: Assessment, command: str) -> None:
    """Nothing to judge is never a pass: raise (exit 2) when a requirement had no workloads
    to be judged on (a scope left undeclared is reported, not an input error)."""
    from reporter.judge import fix_hint
    from reporter.render.skipped import RENDER_HINT, needs_rendering

    # ERROR too: a state of the period not examined makes it so, the end state's reason first.
    # One line per reason, naming its frameworks: one zone mistake is one line, not five.
    by_reason: dict[str, list[str]] = {}
    for f in assessment.frameworks:
        for reason in sorted({r.reason or "" for r in f.requirements
                              if r.automated in NOT_TESTED
                              and (r.reason or "").startswith("no workloads")}):
            by_reason.setdefault(reason, []).append(f"{f.name} {f.version}")
    reasons = [f"{'; '.join(names)}: {reason}" for reason, names in sorted(
        by_reason.items(), key=lambda item: item[1])]
    if reasons:
        # Else a Helm chart or kustomize overlay may hold the workloads, unrendered.
        skipped = ((s.kind, s.reason) for s in assessment.completeness.skipped)
        hint = (next(filter(None, map(fix_hint, by_reason)), None)
                or (RENDER_HINT.format(command=command) if needs_rendering(skipped)
                    else NOT_ASSESSED_HINT))
        raise InputError([Problem(f"not assessed: {reason}") for reason in reasons], hint=hint)


def failed(assessment: Assessment) -> bool:
    """Whether an automated requirement fails (MANUAL ones never do)."""
    return any(r.status is Status.FAIL for f in assessment.frameworks for r in f.requirements)


def exit_code(assessment: Assessment, *, fail_on_error: bool) -> ExitCode:
    """1 when a requirement fails, or with ``fail_on_error`` is ERROR (said on stderr)."""
    if failed(assessment):
        return ExitCode.FAILED
    if fail_on_error:
        errors = sum(r.status is Status.ERROR for f in assessment.frameworks
                     for r in f.requirements)
        if errors:
            click.echo(f"error: {counted(errors, 'requirement')} could not be judged (ERROR): "
                       "--fail-on-error makes that a failure", err=True)
            return ExitCode.FAILED
    return ExitCode.OK


@click.command("check")
@paths_argument
@assessment_options
@git_ref_option
@period_option
@click.option("-o", "--output", "fmt", type=click.Choice([TEXT, *ASSESSMENT_FORMATS]),
              default=TEXT, show_default=True,
              help="text for people; json is the canonical result.")
@click.option("-v", "--verbose", is_flag=True, help="Show every finding with its evidence.")
@fail_on_error_option
@click.option("--apply", "apply", multiple=True, metavar="PATH",
              help="NetworkPolicies applied over the inputs as kubectl apply would (same "
                   "namespace/name replaces), e.g. the folder `reporter fix` wrote. Repeatable. "
                   "Judges this state only, never the period.")
def check_command(paths: tuple[str, ...], options: PipelineOptions, git_ref: str | None,
                  period: tuple[date, date] | None, fmt: str, verbose: bool,
                  fail_on_error: bool, apply: tuple[str, ...]) -> ExitCode:
    """Judge NetworkPolicies against the control catalog: PASS, FAIL, MANUAL per requirement.

    Exit code 0 when no automated requirement fails, 1 when one does (or, with
    --fail-on-error, is ERROR), 2 for bad input or when the input holds no workloads to judge
    (requirements are NOT_ASSESSED, never PASS).
    """
    from reporter.pipeline import Assessor

    if apply and period:
        raise click.UsageError(
            "--apply judges NetworkPolicies that are not committed, and --period judges the "
            "committed history: run them apart (check --period for the history, check --apply "
            "for the proposal)")
    options = replace(options, apply=apply, period=period)
    extra = ((["-o", fmt] if fmt != TEXT else []) + (["--verbose"] if verbose else [])
             + (["--fail-on-error"] if fail_on_error else []))
    command = options.command_line("check", paths, git_ref=git_ref, extra=extra)
    assessment = Assessor(options).run(paths, git_ref=git_ref, stdin=sys.stdin,
                                       command=command, history=True).assessment
    if fmt == TEXT:
        from reporter.render.terminal import render_terminal

        render_terminal(assessment, Console(highlight=False), verbose=verbose)
    else:
        click.echo(ASSESSMENT_FORMATS[fmt](assessment), nl=False)
    require_assessed(assessment, "check")
    return exit_code(assessment, fail_on_error=fail_on_error)
