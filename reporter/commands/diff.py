"""``reporter diff`` (what changed between two states) and ``reporter drift`` (whether the live
policies, and what they allow between the same workloads, are the source of truth's).

Exit codes, like diff(1): 0 no difference, 1 differences, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from reporter.commands import ExitCode
from reporter.commands.options import (
    assessment_options,
    git_ref_option,
    input_options,
    ipblock_option,
)
from reporter.errors import InputError

if TYPE_CHECKING:
    from reporter.diff.model import Delta
    from reporter.pipeline import PipelineOptions

FORMATS = ("terminal", "json", "md", "txt")


def _emit(delta: Delta, fmt: str) -> ExitCode:
    from reporter.diff.markdown import render_md
    from reporter.diff.render import render_json, render_terminal, render_txt

    if fmt == "terminal":
        render_terminal(delta, Console(highlight=False))
    else:
        renderer = {"json": render_json, "md": render_md, "txt": render_txt}[fmt]
        click.echo(renderer(delta), nl=False)
    return ExitCode.OK if delta.is_empty else ExitCode.FAILED


output_option = click.option(
    "-o", "--output", "fmt", type=click.Choice(FORMATS), default="terminal", show_default=True,
    help="terminal for people; json for tools; md for a pull request or ticket; txt plain.")
signers_option = click.option(
    "--allowed-signers", metavar="FILE", type=click.Path(dir_okay=False),
    help="ssh-keygen ALLOWED SIGNERS file used to verify SSH-signed commits.")


@click.command("diff")
@click.argument("sides", nargs=-1, metavar="[OLD NEW | PATH...]")
@click.option("--git-range", metavar="OLD..NEW",
              help="Compare PATHs as committed at OLD and at NEW (NEW defaults to HEAD); the "
                   "arguments are then paths in the repository (default: all of it).")
@assessment_options
@output_option
@signers_option
def diff_command(sides: tuple[str, ...], git_range: str | None, options: PipelineOptions,
                 fmt: str, allowed_signers: str | None) -> ExitCode:
    """What changed from OLD to NEW: policy text, reachability, control status, authorship.

    \b
    reporter diff OLD NEW                 each a manifest directory/file, pack.json or pack folder
    reporter diff --git-range A..B PATH   the same PATHs as committed at A and at B

    Exit code 0 when nothing differs, 1 when something does, 2 for bad input.
    """
    from reporter.diff import compute_delta
    from reporter.diff.sides import SideOptions, git_range_sides, load_side
    from reporter.inputs import GitOptions
    from reporter.pipeline import Assessor

    signers = Path(allowed_signers) if allowed_signers else None
    chosen = {f.name: getattr(options, f.name) for f in fields(options)}
    side_options = SideOptions(**chosen | {"git": GitOptions(allowed_signers=signers)})
    if git_range is not None:
        old, new = git_range_sides(git_range, sides, side_options)
    elif len(sides) == 2:
        assessor = Assessor(side_options)  # one clock for both sides: exceptions expire alike
        old, new = (load_side(s, side_options, assessor) for s in sides)
    else:
        raise InputError(f"expected OLD and NEW, got {len(sides)} argument(s)",
                         hint="reporter diff OLD NEW, or reporter diff --git-range A..B PATH...")
    return _emit(compute_delta(old, new, allowed_signers=signers), fmt)


@click.command("drift")
@click.argument("sources", nargs=-1, required=True, metavar="[LIVE] DESIRED...")
@click.option("--cluster", metavar="SNAPSHOT",
              help="The live state: a directory or a `kubectl get networkpolicies -A -o yaml` "
                   "dump. SOURCES are then the source of truth.")
@git_ref_option
@ipblock_option
@input_options
@output_option
def drift_command(sources: tuple[str, ...], cluster: str | None, git_ref: str | None,
                  ipblock_matches_pod_ips: bool, exclude: tuple[str, ...], strict: bool,
                  fmt: str) -> ExitCode:
    """NetworkPolicies that exist only live, only in the source of truth, or differ in spec;
    and connections between workloads on both sides that differ (labels drift too).

    \b
    reporter drift LIVE DESIRED                      two snapshots, directories or packs
    reporter drift --cluster LIVE [--git-ref REF] PATH...

    Evidence for PCI DSS 1.2.8 and SOC 2 CC8.1. Exit code 0 when they match, 1 on drift.
    """
    from reporter.diff import compute_delta
    from reporter.diff.sides import SideOptions, load_side, manifest_side
    from reporter.inputs import ReadOptions

    options = SideOptions(assess=False, reading=ReadOptions(exclude=exclude, strict=strict),
                          ipblock_matches_pod_ips=ipblock_matches_pod_ips)
    if cluster is None:
        if len(sources) != 2:
            raise InputError(f"expected LIVE and DESIRED, got {len(sources)} argument(s)",
                             hint="reporter drift LIVE DESIRED, or --cluster LIVE PATH...")
        live_text, desired_paths = sources[0], list(sources[1:])
    else:
        live_text, desired_paths = cluster, list(sources)
    live = load_side(live_text, options, kind="snapshot")
    label = " ".join(desired_paths)
    if git_ref is not None:
        desired = manifest_side(desired_paths, f"{git_ref}:{label}", options, git_ref=git_ref,
                                kind="git")
    elif len(desired_paths) == 1:
        desired = load_side(desired_paths[0], options)
    else:
        desired = manifest_side(desired_paths, label, options)
    return _emit(compute_delta(desired, live, mode="drift"), fmt)
