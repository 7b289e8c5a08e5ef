"""``reporter gate``: a pre-merge check that HEAD is no worse than BASE.

Exit codes: 0 no worse, 1 worse, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from reporter.commands import ExitCode
from reporter.commands.options import assessment_options, paths_argument

if TYPE_CHECKING:
    from reporter.pipeline import PipelineOptions


@click.command("gate")
@paths_argument
@click.option("--git-range", required=True, metavar="BASE..HEAD",
              help="The pull request's range, e.g. origin/main..HEAD; PATHS are then paths in "
                   "the repository.")
@assessment_options
@click.option("--max-hops", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Longest attack path compared between BASE and HEAD.")
@click.option("-o", "--output", "fmt", type=click.Choice(["md", "json", "terminal"]),
              default="terminal", show_default=True,
              help="md: a pull-request comment; json for tools.")
def gate_command(paths: tuple[str, ...], git_range: str, options: PipelineOptions,
                 max_hops: int, fmt: str) -> ExitCode:
    """Fail when HEAD is worse than BASE: a requirement that passed fails, a new undeclared
    connection enters a CDE/PHI zone or comes from the internet, a data store gets a new or
    shorter path from the internet, or a new finding is rated high or critical. Findings
    already there at BASE do not fail the gate.

    Exit code 0 when HEAD is no worse, 1 when it is, 2 for bad input.
    """
    from reporter.gate import run_gate
    from reporter.gate.render import RENDERERS

    result = run_gate(git_range, paths, options, max_hops)
    click.echo(RENDERERS[fmt](result), nl=False)
    return ExitCode.FAILED if result.failed else ExitCode.OK
