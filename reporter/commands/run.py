"""``reporter run``: the scheduled job's one command: read, assess, write the pack into the
archive, chain it, print one JSON line for schedulers and alerting.

Exit codes: 0 no automated requirement fails, 1 one does (as ``check``; with
``--fail-on-error`` also one is ERROR), 2 bad input, a broken chain or a held lock, 143
interrupted by SIGTERM (the archive is left as it was).
"""

from __future__ import annotations

import inspect
import json
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from types import FrameType

import click

from reporter.commands import ExitCode
from reporter.commands.options import (
    PATHS_HELP,
    config_option,
    context_option,
    fail_on_error_option,
    framework_option,
    input_options,
    ipblock_option,
    kubeconfig_option,
    timeout_option,
)
from reporter.errors import InputError
from reporter.period import CURRENT_QUARTER, PERIOD_HELP
from reporter.workers import processes


class Interrupted(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt, so every ``finally`` cleans up."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _access(paths: tuple[str, ...], kubeconfig: str | None, context: str | None,
            in_cluster: bool) -> object | None:
    from reporter.inventory.kubeconfig import ClusterAccess

    if paths:
        if kubeconfig or context or in_cluster:
            raise InputError("PATHS and --kubeconfig/--context/--in-cluster name two sources",
                             hint="give manifests (PATHS) or a cluster, not both")
        return None
    if in_cluster:
        if kubeconfig or context:
            raise InputError("--in-cluster takes no --kubeconfig or --context",
                             hint="leave them out to use the pod's service account")
        environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "HOME")}
        return ClusterAccess(environ=environ)
    return ClusterAccess(kubeconfig=kubeconfig, context=context)


@dataclass(frozen=True, slots=True)
class _Settings:
    source: tuple[str, ...] = ()
    archive: str | None = None
    sign_key: str | None = None
    period: str | None = None


def _settings(config_path: str | None) -> _Settings:
    """The config's ``run:`` section, its paths made relative to the current directory."""
    if config_path is None:
        return _Settings()
    from reporter.config import load_config

    run = load_config(config_path).config.run
    folder = Path(config_path).parent

    def place(path: str | None) -> str | None:
        return None if path is None else str(folder / path)  # an absolute path stays as it is

    return _Settings(tuple(str(folder / p) for p in run.source), place(run.archive),
                     place(run.sign_key), run.period)


@click.command("run")
@click.argument("paths", nargs=-1)
@click.option("--archive", "archive", metavar="DIR",
              help="The archive: <period>/<run id>/ pack folders and index.json, a hash chain. "
                   "Default: the config's run.archive.")
@kubeconfig_option
@context_option
@click.option("--in-cluster", is_flag=True, help="Use the pod's service account only.")
@config_option
@framework_option
@click.option("--period", "period_text", metavar="PERIOD",
              help=f"The review period: {PERIOD_HELP}. Default: the config's run.period, else "
                   f"'{CURRENT_QUARTER}'.")
@click.option("--sign-key", metavar="FILE",
              help="Ed25519 private key: signs the pack (pack.sig) and its index entry.")
@click.option("--accept-broken-chain", metavar="REASON",
              help="Run although the archive does not verify; the reason and the problems "
                   "are recorded in the new pack and its index entry.")
@click.option("--clean", is_flag=True,
              help="Remove the .partial leftovers of interrupted runs (always reported).")
@timeout_option
@click.option("--lock-wait", type=click.FloatRange(min=0), default=10, show_default=True,
              help="Seconds to wait for another run's lock before giving up (exit 2).")
@fail_on_error_option
@ipblock_option
@input_options
def run_command(paths: tuple[str, ...], archive: str | None, kubeconfig: str | None,
                context: str | None, in_cluster: bool, config_path: str | None,
                frameworks: tuple[str, ...], period_text: str | None, sign_key: str | None,
                accept_broken_chain: str | None, clean: bool, timeout: float, lock_wait: float,
                fail_on_error: bool, ipblock_matches_pod_ips: bool, exclude: tuple[str, ...],
                strict: bool) -> ExitCode:
    """Read PATHS, or snapshot the live cluster, assess, and add the pack to the archive.

    The pack goes to ARCHIVE/<period>/<run id>/ (a live cluster's snapshot inside it, as
    snapshot.yaml) and is chained onto ARCHIVE/index.json. The previous run is verified first
    and compared with ("Changes since the previous review"). Prints one JSON line: run id,
    period, status counts per framework, pack path. Exit 0/1 as `check` (--fail-on-error
    too: the pack is archived either way), 2 for bad input or a broken chain, 143 when stopped
    by SIGTERM. Without PATHS the live cluster is read.
    """
    from reporter.archive.history import examined_to
    from reporter.archive.run import RunRequest, run_into_archive
    from reporter.commands.check import exit_code, require_assessed
    from reporter.inputs import GitOptions, ReadOptions
    from reporter.inventory.kubeconfig import ClusterAccess
    from reporter.inventory.sources import require_existing
    from reporter.period import parse_period
    from reporter.pipeline import PipelineOptions, clock
    from reporter.signing import load_signing_key

    settings = _settings(config_path)
    paths = paths or (() if kubeconfig or context or in_cluster else settings.source)
    archive = archive or settings.archive
    if archive is None:
        raise InputError("no archive given", hint="pass --archive DIR, or set run.archive in "
                                                  "the config (docs/config.md)")
    sign_key = sign_key or settings.sign_key
    access = _access(paths, kubeconfig, context, in_cluster)
    require_existing(paths)  # a mistyped path leaves no archive folder behind
    now = clock()
    period = parse_period(period_text or settings.period or CURRENT_QUARTER, now.date())
    key = load_signing_key(Path(sign_key)) if sign_key else None
    # The run's period, not the config's, bounds the commits counted as changes in the period.
    window = GitOptions(since=datetime.combine(period.start, time.min, UTC),
                        until=datetime.combine(period.end, time.max, UTC))
    # The whole period is assessed from the inputs' Git history, not only today's state.
    options = PipelineOptions(config_path=config_path, frameworks=frameworks,
                              ipblock_matches_pod_ips=ipblock_matches_pod_ips, now=now,
                              reading=ReadOptions(exclude=exclude, strict=strict), git=window,
                              period=(period.start, period.end), processes=processes())
    request = RunRequest(
        archive=Path(archive), paths=paths,
        access=access if isinstance(access, ClusterAccess) else None, options=options,
        period=period, key=key, accept_broken_chain=accept_broken_chain, clean=clean,
        timeout=timeout, lock_wait=lock_wait)
    previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        outcome = run_into_archive(request, lambda text: click.echo(f"warning: {text}",
                                                                    err=True))
    except Interrupted:
        click.echo(f"interrupted (SIGTERM): the run was abandoned and its temporary folder "
                   f"removed; {archive} is as it was", err=True)
        return ExitCode.INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    entry = outcome.entry
    click.echo(json.dumps({
        "run_id": entry.run_id, "period": entry.period,
        "period_start": entry.period_start.isoformat(),
        "period_end": entry.period_end.isoformat(),
        # False: only the state read was examined (a live cluster, files outside Git).
        "period_examined": bool(outcome.assessment.period and outcome.assessment.period.examined),
        # The run's day when the period had not ended then: examined up to it, not whole.
        "period_examined_to": examined_to(outcome.assessment),
        "status": entry.counts,
        "pack": str(Path(archive) / entry.pack), "signed": entry.signer is not None,
        "accepted_broken_chain": entry.accepted_broken_chain is not None,
    }, sort_keys=False))
    # Archived all the same: the pack is the evidence that nothing could be judged.
    require_assessed(outcome.assessment, "run")
    return exit_code(outcome.assessment, fail_on_error=fail_on_error)


run_command.help = f"{inspect.cleandoc(run_command.help or '')}\n\n{PATHS_HELP}"
