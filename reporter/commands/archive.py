"""``reporter verify ARCHIVE`` (the archive half of ``verify``), ``reporter history`` and
``reporter fleet``."""

from __future__ import annotations

from pathlib import Path

import click

from reporter.commands import ExitCode
from reporter.wording import counted

GRACE_DAYS = 7
"""``fleet``: a cluster with no run for a quarter is overdue more than this many days after the
quarter ends (the scheduled run starts a few hours into the next quarter; a failed Job is
retried)."""


def verify_archive_folder(root: Path, public_key: Path | None) -> ExitCode:
    """Print what ``verify_archive`` found; the exit status (0 verified, 1 not)."""
    from reporter.archive.verify import verify_archive

    check = verify_archive(root, public_key)
    for name in check.leftovers:
        click.echo(f"warning: {root / name}: left by an interrupted run; not a pack, not "
                   "evidence (`reporter run --clean` removes it)", err=True)
    for problem, reason in check.accepted:
        click.echo(f"accepted by a later run ({reason}): {problem.render()}", err=True)
    for problem in [*check.broken, *check.gaps]:
        click.echo(f"error: {problem.render()}", err=True)
    if not check.ok:
        click.echo(f"NOT VERIFIED: {root} ({counted(len(check.broken), 'integrity problem')}, "
                   f"{counted(len(check.gaps), 'gap')})", err=True)
        return ExitCode.FAILED
    signed = f", {check.signed} signed" if check.signed else ", unsigned"
    click.echo(f"verified: archive {root}: {counted(len(check.entries), 'run')}{signed}; "
               "every pack matches its SHA256SUMS and index entry, and the chain is unbroken")
    return ExitCode.OK


@click.command("history")
@click.argument("archive", type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--output", "fmt", type=click.Choice(["txt", "json", "md"]), default="txt",
              show_default=True)
def history_command(archive: str, fmt: str) -> ExitCode:
    """One row per run of ARCHIVE: period, requirement statuses per framework, findings new and
    closed since the run before; periods with no run are flagged (GAP).

    It reads index.json and each pack.json as they are: `reporter verify ARCHIVE` says whether
    they can be trusted.
    """
    from reporter.archive.history import history_rows, render_history
    from reporter.archive.verify import is_archive
    from reporter.errors import PackError, Problem

    root = Path(archive)
    if not is_archive(root):
        raise PackError([Problem("no index.json: not an archive", file=archive)],
                        hint="name the folder `reporter run --archive` writes")
    click.echo(render_history(history_rows(root), fmt), nl=False)
    return ExitCode.OK


@click.command("fleet")
@click.argument("archives", nargs=-1, required=True,
                type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--output", "fmt", type=click.Choice(["txt", "json", "md"]), default="txt",
              show_default=True)
@click.option("--grace-days", type=click.IntRange(min=0), default=GRACE_DAYS, show_default=True,
              help="A cluster with no run for a quarter is overdue more than this many days "
                   "after the quarter ends.")
def fleet_command(archives: tuple[str, ...], fmt: str, grace_days: int) -> ExitCode:
    """One entry per cluster's ARCHIVE (each written by its own `reporter run --archive`): the
    latest run, whether the archive verifies, quarters ended with no run, and the requirement
    statuses; then, per framework, how many clusters stand at each status.

    Each archive is verified as `reporter verify ARCHIVE` does; nothing is assessed again.
    Exit 1 when a cluster needs attention: its archive does not verify or has a gap, a quarter
    ended more than --grace-days ago with no run, or a framework FAILs (or is in ERROR) in its
    latest run.
    """
    from collections import Counter

    from reporter.archive.fleet import cluster_row, render_fleet
    from reporter.errors import InputError
    from reporter.pipeline import clock

    roots = [Path(a) for a in archives]
    named = Counter(root.resolve() for root in roots)
    repeated = sorted({str(root) for root in roots if named[root.resolve()] > 1})
    if repeated:
        raise InputError(f"archive named twice: {', '.join(repeated)}",
                         hint="name each cluster's archive once")
    today = clock().date()
    rows = [cluster_row(root, today, grace_days) for root in roots]
    click.echo(render_fleet(rows, today, fmt, grace_days), nl=False)
    return ExitCode.FAILED if any(r.attention for r in rows) else ExitCode.OK
