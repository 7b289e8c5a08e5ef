"""``reporter paths``: if an internet-facing workload is taken over, which data stores can the
attacker reach, in how many hops, through which rules.

Exit codes: 0 no path within the hop limit, 1 a path exists, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

import sys

import click

from reporter.commands import ExitCode
from reporter.commands.options import (
    config_option,
    git_ref_option,
    input_options,
    ipblock_option,
    paths_argument,
)


@click.command("paths")
@paths_argument
@config_option
@click.option("--from", "source", default="internet", show_default=True,
              metavar="internet|NS/NAME|ZONE", help="Where the attacker starts.")
@click.option("--to", "destination", metavar="internet|NS/NAME|ZONE",
              help="What the attacker wants. Default: the data stores (the config's "
                   "'data_stores', else StatefulSets and workloads on database ports).")
@click.option("--max-hops", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Longest path searched, counting the hop from the internet.")
@click.option("--limit", type=click.IntRange(0), default=10, show_default=True,
              help="Paths listed per target, one per entry workload, shortest first; 0: all.")
@click.option("-o", "--output", "fmt", type=click.Choice(["txt", "json", "md", "dot"]),
              default="txt", show_default=True)
@ipblock_option
@git_ref_option
@input_options
def paths_command(paths: tuple[str, ...], config_path: str | None, source: str,
                  destination: str | None, max_hops: int, limit: int, fmt: str,
                  ipblock_matches_pod_ips: bool, git_ref: str | None,
                  exclude: tuple[str, ...], strict: bool) -> ExitCode:
    """Shortest attack paths from the internet (or --from) to each data store (or --to):
    hop count, each hop's ports and the rule (file:line) allowing it, and per data store the
    fewest hops and the number of entry workloads (the blast radius).

    Exit code 0 when no path exists within --max-hops, 1 when one does, 2 for bad input.
    """
    from reporter.checks import CheckContext
    from reporter.inputs import ReadOptions
    from reporter.netpol.engine import analyse
    from reporter.paths import INTERNET, PathFinder, default_destination, select
    from reporter.paths.render import RENDERERS
    from reporter.pipeline import Assessor, PipelineOptions, read_inputs

    reading = ReadOptions(exclude=exclude, strict=strict)
    assessor = Assessor(PipelineOptions(config_path=config_path, reading=reading))
    assessor.discover(paths)  # as check and report: among the inputs, else at the Git root
    loaded = assessor.loaded_config
    if loaded.found and config_path is None:
        click.echo(f"config: {loaded.describe()}", err=True)
    inputs = read_inputs(paths, assessor.options, git_ref=git_ref, stdin=sys.stdin)
    reach = analyse(inputs.inventory, ipblock_matches_pod_ips=ipblock_matches_pod_ips)
    ctx = CheckContext(reach, loaded.config, loaded.problem)
    start = select(ctx, source, "--from")
    goal = default_destination(ctx) if destination is None else select(ctx, destination, "--to")
    report = PathFinder(ctx).search(start, goal, max_hops, limit=limit or None,
                                    each=destination != INTERNET)
    click.echo(RENDERERS[fmt](report), nl=False)
    return ExitCode.FAILED if report.exposed else ExitCode.OK
