"""``reporter report`` writes an evidence pack; ``reporter verify`` checks one byte for byte.

Exit codes: report 0 when the pack is written (whatever the controls say: the pack records it),
2 for bad input or an existing --out; verify 0 when every file and the signature match, 1 when
something differs (the files are named), 2 when the folder cannot be read as a pack.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reporter.errors import InputError, PackError, Problem
from reporter.model import Assessment

if TYPE_CHECKING:
    from reporter.inputs import GitOptions

DEFAULT_PARENT = Path("out")
Row = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Run:
    """What the report is made from: the assessment, the workload map, the texts read."""

    assessment: Assessment
    rows: list[Row]
    manifests: dict[str, str]
    """Input path -> text as read; the configuration included."""


def _git_options(config_path: str | None) -> GitOptions:
    """Provenance looks at the commits of the assessment period, when the config names one."""
    from reporter.config import load_config
    from reporter.inputs import GitOptions

    period = load_config(config_path).config.period
    if period is None:
        return GitOptions()
    return GitOptions(since=datetime.combine(period.start, time.min, UTC),
                      until=datetime.combine(period.end, time.max, UTC))


def _config_text(assessment: Assessment) -> dict[str, str]:
    """The configuration as read, checked against the digest the assessment recorded."""
    from reporter.pack import sha256

    done = assessment.completeness
    if not (done.config_path and done.config_sha256):
        return {}
    content = Path(done.config_path).read_bytes()
    if sha256(content) != done.config_sha256:
        raise PackError([Problem("changed while the report was being made",
                                 file=done.config_path)],
                        hint="run the report again on inputs that do not change meanwhile")
    return {done.config_path: content.decode("utf-8")}


def assess_inputs(paths: Sequence[str], config_path: str | None, frameworks: Sequence[str],
                  ipblock_pod_ips: bool, command: list[str], git_ref: str | None = None,
                  require_clean: bool = False) -> Run:
    """The inputs read as every command reads them, assessed by the stages of ``reporter
    check``; Git provenance, when the inputs are in a repository, joins the assessment."""
    from reporter.diff.sides import Assessor, SideOptions
    from reporter.inputs import load_inputs
    from reporter.render.connectivity import map_rows

    options = SideOptions(config_path=config_path, frameworks=tuple(frameworks),
                          ipblock_matches_pod_ips=ipblock_pod_ips, require_clean=require_clean,
                          git=_git_options(config_path))
    read = load_inputs(paths, git_ref=git_ref, require_clean=require_clean,
                       exclude=[config_path] if config_path else [], options=options.git)
    reach, assessment = Assessor(options)(read)
    provenance = dict(assessment.provenance or {})
    if read.provenance is not None:
        provenance["git"] = read.provenance.to_dict()
    assessment = assessment.model_copy(update={"command": command,
                                               "provenance": provenance or None})
    manifests = {s.path: s.text for s in read.sources} | _config_text(assessment)
    return Run(assessment, list(map_rows(reach)), manifests)


def load_previous(path: Path) -> Assessment:
    """A previous run: a pack folder or its pack.json."""
    from pydantic import ValidationError

    from reporter.pack import PACK_JSON

    file = path / PACK_JSON if path.is_dir() else path
    try:
        return Assessment.model_validate_json(file.read_bytes())
    except OSError as error:
        raise InputError([Problem(f"cannot read: {error.strerror}", file=str(file))],
                         hint="name a pack folder or its pack.json with --previous") from None
    except ValidationError as error:
        raise InputError([Problem(f"not a pack.json of this schema ({error.error_count()} "
                                  "problems)", file=str(file))],
                         hint="name the pack.json of an earlier `reporter report` run") from None


def _command(paths: Sequence[str], config_path: str | None, frameworks: Sequence[str],
             previous: str | None, ipblock_pod_ips: bool, git_ref: str | None = None,
             require_clean: bool = False) -> list[str]:
    """The command line as run, rebuilt from the options that shape the content (never the
    environment). --out and --sign-key are left out: where a pack is written and the key file's
    path change nothing in it (the key's fingerprint is recorded), so packs written to two
    folders stay byte-identical."""
    argv = ["reporter", "report", *paths]
    argv += ["--config", config_path] if config_path else []
    argv += [a for f in frameworks for a in ("--framework", f)]
    argv += ["--previous", previous] if previous else []
    argv += ["--ipblock-matches-pod-ips"] if ipblock_pod_ips else []
    argv += ["--git-ref", git_ref] if git_ref else []
    argv += ["--require-clean"] if require_clean else []
    return argv


def _refuse_existing(out: str | None) -> None:
    """Refused before any work; write_pack checks again when it renames."""
    if out is not None and os.path.lexists(out):
        raise PackError([Problem("already exists; a pack is never overwritten", file=out)],
                        hint="choose another --out folder, or move the existing pack away")


@click.command("report")
@click.argument("paths", nargs=-1, required=True)
@click.option("--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="reporter.yaml: zones, declared flows, exceptions, organisation, period.")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Assess only this framework (repeatable). Default: the config's, else all.")
@click.option("--out", metavar="DIR",
              help="The pack folder to create; it must not exist. "
                   "Default: out/<organisation or cluster>-<UTC time>.")
@click.option("--previous", metavar="PACK",
              help="An earlier pack (folder or pack.json): the summary says what changed.")
@click.option("--sign-key", metavar="FILE",
              help="Ed25519 private key (PEM or OpenSSH, unencrypted): signs SHA256SUMS.")
@click.option("--ipblock-matches-pod-ips", is_flag=True,
              help="Also match pods by their status.podIP(s) against ipBlocks (some CNIs do).")
@click.option("--git-ref", metavar="REF",
              help="Read the manifests as committed at REF (the work tree is not touched).")
@click.option("--require-clean", is_flag=True,
              help="Refuse inputs with uncommitted changes: the pack then names one commit.")
def report_command(paths: tuple[str, ...], config_path: str | None, frameworks: tuple[str, ...],
                   out: str | None, previous: str | None, sign_key: str | None,
                   ipblock_matches_pod_ips: bool, git_ref: str | None,
                   require_clean: bool) -> None:
    """Write an evidence pack: pack.json, report.html, report.pdf (PDF/A-3b), SHA256SUMS.

    PATHS: manifest files or directories (*.yaml, *.yml, *.json, recursively); '-' reads stdin.
    The pack is written into a temporary folder and renamed into place; an existing pack is
    never overwritten. With SOURCE_DATE_EPOCH set, the same inputs give the same bytes.
    """
    from reporter.pack import REPORT_PDF, default_folder, write_pack
    from reporter.render.bundle import PackInputs, build_pack
    from reporter.signing import load_signing_key

    _refuse_existing(out)
    key = load_signing_key(Path(sign_key)) if sign_key else None
    earlier = load_previous(Path(previous)) if previous else None
    command = _command(paths, config_path, frameworks, previous, ipblock_matches_pod_ips,
                       git_ref, require_clean)
    run = assess_inputs(paths, config_path, frameworks, ipblock_matches_pod_ips, command,
                        git_ref, require_clean)
    destination = Path(out) if out else default_folder(run.assessment, DEFAULT_PARENT)
    _refuse_existing(str(destination))
    files = build_pack(run.assessment, PackInputs(run.manifests, run.rows, earlier, key))
    write_pack(destination, files)
    for framework in run.assessment.frameworks:
        click.echo(f"{framework.name} {framework.version}: {framework.status.value}")
    click.echo(f"wrote {len(files)} files to {destination}/")
    click.echo(f"report: {destination / REPORT_PDF}")


@click.command("verify")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--public-key", metavar="FILE", type=click.Path(dir_okay=False),
              help="The signer's public key (OpenSSH or PEM); default: the pack's pack.pub, "
                   "which proves integrity only if its fingerprint is the one you expect.")
def verify_command(folder: str, public_key: str | None) -> None:
    """Recompute SHA256SUMS (and check pack.sig) for a pack folder; any changed byte fails.

    Exit code 0 when everything matches, 1 when a file or the signature differs.
    """
    from reporter.pack import SUMS, verify_pack

    root = Path(folder)
    if not (root / SUMS).is_file():
        raise PackError([Problem("no SHA256SUMS: not an evidence pack", file=folder)],
                        hint="name the folder `reporter report` wrote")
    try:
        verified = verify_pack(root, Path(public_key) if public_key else None)
    except PackError as error:
        click.echo(error.diagnostics(), err=True)
        click.echo(f"NOT VERIFIED: {folder}", err=True)
        sys.exit(1)
    click.echo(f"verified: {verified.files} files match {SUMS}")
    if verified.signer:
        click.echo(f"signature: good, key {verified.signer} (from {verified.key_source})")
    else:
        click.echo("signature: none (the pack is not signed)")
