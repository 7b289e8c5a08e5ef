"""``reporter check``: judge the manifests against the control catalog.

Exit codes: 0 no automated requirement fails, 1 one does, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console

from reporter.commands.options import git_ref_option, ipblock_option
from reporter.model import Assessment, Status

FORMATS = {
    "text": None,
    "json": ("reporter.render.json", "render_json"),
    "sarif": ("reporter.render.sarif", "render_sarif"),
    "junit": ("reporter.render.junit", "render_junit"),
    "oscal": ("reporter.render.oscal", "render_oscal"),
}


def _render(assessment: Assessment, fmt: str, verbose: bool) -> None:
    target = FORMATS[fmt]
    if target is None:
        from reporter.render.terminal import render_terminal

        render_terminal(assessment, Console(highlight=False), verbose=verbose)
        return
    module, function = target
    click.echo(getattr(importlib.import_module(module), function)(assessment), nl=False)


def failed(assessment: Assessment) -> bool:
    """Whether an automated requirement fails (MANUAL ones never do)."""
    return any(r.status is Status.FAIL for f in assessment.frameworks for r in f.requirements)


@click.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="reporter.yaml: zones, declared flows, internet, exceptions (docs/config.md). "
                   "Without it the whole cluster is one zone and nothing is declared.")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Assess only this framework (repeatable), e.g. pci-dss-4.0.1. Default: the "
                   "config's 'frameworks', else every framework of the catalog.")
@click.option("-o", "--output", "fmt", type=click.Choice(list(FORMATS)), default="text",
              show_default=True, help="text for people; json is the canonical result.")
@click.option("-v", "--verbose", is_flag=True, help="Show every finding with its evidence.")
@ipblock_option
@git_ref_option
@click.option("--require-clean", is_flag=True,
              help="Refuse inputs with uncommitted changes: the result then names one commit.")
def check_command(paths: tuple[str, ...], config_path: str | None, frameworks: tuple[str, ...],
                  fmt: str, verbose: bool, ipblock_matches_pod_ips: bool, git_ref: str | None,
                  require_clean: bool) -> None:
    """Judge NetworkPolicies against the control catalog: PASS, FAIL, MANUAL per requirement.

    PATHS: manifest files or directories (*.yaml, *.yml, *.json, recursively); '-' reads stdin.
    Inputs in a Git repository are recorded with their commit (and whether they are committed).
    Exit code 0 when no automated requirement fails, 1 when one does, 2 for bad input.
    """
    from reporter.pipeline import Assessor, PipelineOptions

    options = PipelineOptions(config_path=config_path, frameworks=frameworks,
                              ipblock_matches_pod_ips=ipblock_matches_pod_ips,
                              require_clean=require_clean)
    extra = (["-o", fmt] if fmt != "text" else []) + (["--verbose"] if verbose else [])
    command = options.command_line("check", paths, git_ref=git_ref, extra=extra)
    assessed = Assessor(options).run(paths, git_ref=git_ref, stdin=sys.stdin, command=command)
    _render(assessed.assessment, fmt, verbose)
    sys.exit(1 if failed(assessed.assessment) else 0)
