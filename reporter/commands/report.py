"""``reporter report`` writes an evidence pack; ``reporter verify`` checks one byte for byte.

Exit codes: report 0 when the pack is written (whatever the controls say: the pack records it),
2 for bad input or an existing --out; verify 0 when every file and the signature match, 1 when
something differs (the files are named), 2 when the folder cannot be read as a pack.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reporter.commands import ExitCode
from reporter.commands.check import require_assessed
from reporter.commands.options import (
    assessment_options,
    git_ref_option,
    paths_argument,
    period_option,
)
from reporter.errors import InputError, OutputError, PackError, Problem
from reporter.model import Assessment, ChangesSince
from reporter.wording import counted

if TYPE_CHECKING:
    from reporter.pipeline import PipelineOptions
    from reporter.render.bundle import PackInputs

DEFAULT_PARENT = Path("out")


@dataclass(frozen=True, slots=True)
class Run:
    """What a pack is made of: the assessment and everything else the pack shows."""

    assessment: Assessment
    """With ``changes_since`` when the run was compared with a previous review."""
    inputs: PackInputs
    """The texts read (the configuration included), the workload map, the previous review and
    what changed since; no signing key."""


def _config_text(assessment: Assessment) -> dict[str, str]:
    """The configuration as read, checked against the digest the assessment recorded."""
    from reporter.pack import sha256

    done = assessment.completeness
    if not (done.config_path and done.config_sha256):
        return {}
    content = Path(done.config_path).read_bytes()
    if sha256(content) != done.config_sha256:
        raise InputError([Problem("changed while the report was being made",
                                 file=done.config_path)],
                        hint="run the report again on inputs that do not change meanwhile")
    return {done.config_path: content.decode("utf-8")}


def report_run(paths: Sequence[str], options: PipelineOptions, *, git_ref: str | None = None,
               since: str | None = None) -> Run:
    """The inputs assessed as ``reporter check`` assesses them and, with ``since`` (a Git ref
    or an earlier pack), compared with that previous review."""
    from reporter.diff.sides import delta_since, since_side
    from reporter.diff.summary import changes_summary
    from reporter.pipeline import Assessor, redacting
    from reporter.render.bundle import PackInputs

    # --out and --sign-key are not recorded: where a pack is written and the key file's path
    # change nothing in it (the key's fingerprint is recorded), so two folders stay identical.
    command = options.command_line("report", paths, git_ref=git_ref,
                                   extra=["--since", since] if since else [])
    assessor = Assessor(redacting(options))
    previous = since_side(since, paths, assessor) if since else None
    current = assessor.run(paths, git_ref=git_ref, stdin=sys.stdin, command=command,
                           history=True, with_map=True)
    assessment, delta, previous_assessment = current.assessment, None, None
    if previous is not None:
        delta = delta_since(previous, current, allowed_signers=options.git.allowed_signers)
        assessment = assessment.model_copy(update={"changes_since": changes_summary(delta)})
        previous_assessment = previous.assessment
        del previous  # its map (a pack's, or a Git ref's engine map) is not needed any more
    manifests = {s.path: s.text for s in current.inputs.sources} | _config_text(assessment)
    assert current.connectivity is not None  # with_map
    return Run(assessment, PackInputs(
        manifests, current.connectivity, previous=previous_assessment, delta=delta,
        whole=current.inputs.inventory.whole, redactions=current.inputs.inventory.redactions))


def _changes_line(changes: ChangesSince) -> str:
    return (f"{counted(len(changes.policies), 'policy', 'policies')}, "
            f"{counted(sum(changes.connections.values()), 'connection')} and "
            f"{counted(len(changes.requirements), 'requirement status', 'requirement statuses')}"
            " changed")


def _refuse_existing(out: str | None) -> None:
    """Refused before any work; write_pack checks again when it renames."""
    if out is not None and os.path.lexists(out):
        raise OutputError([Problem("already exists; a pack is never overwritten", file=out)],
                        hint="choose another --out folder, or move the existing pack away")


@click.command("report")
@paths_argument
@assessment_options
@git_ref_option
@period_option
@click.option("--out", metavar="DIR",
              help="The pack folder to create; it must not exist. "
                   "Default: out/<organisation or cluster>-<UTC time>.")
@click.option("--since", metavar="REF|PACK",
              help="The previous review: an earlier pack (folder or pack.json), or a Git ref "
                   "at which the same PATHS are read. The report adds a chapter 'Changes since "
                   "the previous review' and pack.json records them (changes_since).")
@click.option("--sign-key", metavar="FILE",
              help="Ed25519 private key (PEM or OpenSSH, unencrypted): signs SHA256SUMS.")
def report_command(paths: tuple[str, ...], options: PipelineOptions, git_ref: str | None,
                   period: tuple[date, date] | None, out: str | None, since: str | None,
                   sign_key: str | None) -> ExitCode:
    """Write an evidence pack: pack.json, report.html, report.pdf (PDF/A-3a), SHA256SUMS.

    The pack is written into a temporary folder and renamed into place; an existing pack is
    never overwritten. With SOURCE_DATE_EPOCH set, the same inputs give the same bytes.
    """
    from reporter.pack import REPORT_PDF, default_folder, write_pack
    from reporter.render.bundle import build_pack
    from reporter.render.html import compile_ahead
    from reporter.signing import load_signing_key

    options = replace(options, period=period)
    _refuse_existing(out)
    key = load_signing_key(Path(sign_key)) if sign_key else None
    keep_templates = compile_ahead(options.process_count())
    run = report_run(paths, options, git_ref=git_ref, since=since)
    destination = Path(out) if out else default_folder(run.assessment, DEFAULT_PARENT)
    _refuse_existing(str(destination))
    keep_templates()
    files = build_pack(run.assessment, replace(run.inputs, signing_key=key,
                                               processes=options.process_count()))
    write_pack(destination, files)
    for framework in run.assessment.frameworks:
        click.echo(f"{framework.name} {framework.version}: {framework.status.value}")
    if run.assessment.changes_since is not None:
        click.echo(f"since {since}: {_changes_line(run.assessment.changes_since)}")
    click.echo(f"wrote {len(files)} files to {destination}/")
    click.echo(f"report: {destination / REPORT_PDF}")
    require_assessed(run.assessment, "report")
    return ExitCode.OK


@click.command("verify")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--public-key", metavar="FILE", type=click.Path(dir_okay=False),
              help="The signer's public key (OpenSSH or PEM); default: the pack's pack.pub, "
                   "which proves integrity only if its fingerprint is the one you expect.")
def verify_command(folder: str, public_key: str | None) -> ExitCode:
    """Recompute SHA256SUMS (and check pack.sig) for a pack folder; any changed byte fails.

    FOLDER may also be an archive (`reporter run --archive`): then every pack, the index's
    hash chain, each entry against its pack, snapshots, gaps, forks and leftovers are checked.
    Exit code 0 when everything matches, 1 when a file or the signature differs.
    """
    from reporter.pack import SUMS, verify_pack

    root = Path(folder)
    if (root / "index.json").is_file():  # an archive that `reporter run` writes
        from reporter.commands.archive import verify_archive_folder

        return verify_archive_folder(root, Path(public_key) if public_key else None)
    if not (root / SUMS).is_file():
        raise PackError([Problem("no SHA256SUMS: not an evidence pack", file=folder)],
                        hint="name the folder `reporter report` wrote")
    try:
        verified = verify_pack(root, Path(public_key) if public_key else None)
    except PackError as error:
        click.echo(error.diagnostics(), err=True)
        click.echo(f"NOT VERIFIED: {folder}", err=True)
        return ExitCode.FAILED
    click.echo(f"verified: {verified.files} files match {SUMS}")
    if verified.signer:
        click.echo(f"signature: good, key {verified.signer} (from {verified.key_source})")
    else:
        click.echo("signature: none (the pack is not signed)")
    return ExitCode.OK
