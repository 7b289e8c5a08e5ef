"""``reporter fix``: the NetworkPolicy YAML that closes the failing findings, re-checked first.

Exit codes: 0 every failing check a NetworkPolicy can close is closed, 1 some remain, 2 bad
input (``cli`` prints why).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reporter.commands import ExitCode
from reporter.commands.options import assessment_options, paths_argument
from reporter.errors import InputError, Problem
from reporter.wording import counted, listed

if TYPE_CHECKING:
    from reporter.fix.propose import Proposal
    from reporter.fix.recheck import Recheck
    from reporter.pipeline import PipelineOptions


def _write(directory: Path, proposals: list[Proposal]) -> list[Path]:
    """Each proposal's file, created atomically; an existing file is never overwritten."""
    from reporter.fix.yamlout import proposal_yaml

    if not proposals:  # no empty folder left behind
        return []
    targets = [directory / p.file for p in proposals]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise InputError([Problem("exists already; fix never overwrites", file=str(t))
                          for t in existing], hint="choose another --out folder")
    directory.mkdir(parents=True, exist_ok=True)
    for target, proposal in zip(targets, proposals, strict=True):
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".fix-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(proposal_yaml(proposal))
        try:
            os.link(temporary, target)  # fails rather than replace a file that appeared
        finally:
            os.unlink(temporary)
    return targets


def _read_again(paths: tuple[str, ...], config: str | None, out: Path) -> list[str]:
    """A note when the proposals are written inside a folder read as input: the next run
    would read them as applied, beside the policies they replace."""
    for path in paths:
        folder = Path(path)
        if path != "-" and folder.is_dir() and out.resolve().is_relative_to(folder.resolve()):
            inside = os.path.relpath(out.resolve(), folder.resolve())
            with_config = f" --config {config}" if config else ""
            return [f"note: {out} is inside {path}: a run reading {path} reads the proposals as "
                    "applied, beside the policies they replace; judge them with `reporter "
                    f"check {' '.join(paths)}{with_config} --exclude {inside} --apply {out}`, "
                    "apply them, or write them elsewhere (--out)"]
    return []


CUT_NAMED = 5
"""Connections cut between workloads that fix names (without declared flows) before it counts
the rest."""


def _report(recheck: Recheck, written: list[Path], declared: bool) -> list[str]:
    from reporter.fix.propose import NOT_CLOSABLE

    lines = [f"{counted(len(written), 'file')} written, "
             f"{counted(len(recheck.withdrawn), 'proposal')} withdrawn"]
    for path, proposal in zip(written, recheck.accepted, strict=True):
        lines.append(f"  {path}")
        lines += [f"      closes {check} {target}" for check, target in proposal.closes]
        lines += [f"      note: {note}" for note in proposal.notes]
    for proposal, reason in recheck.withdrawn:
        lines.append(f"  not written: {proposal.file}: {reason}")
        lines += [f"      note: {note}" for note in proposal.notes]
    if not written:  # nothing added: the checks are as they were
        return lines
    before = {r.check_id: r.status for r in recheck.before.checks}
    lines.append("checks, with the files added (kubectl apply):")
    for result in recheck.after.checks:
        was = before.get(result.check_id)
        if was != result.status:
            lines.append(f"  {result.check_id}: {was} -> {result.status}")
    kind = "declared flows" if declared else ("no declared flows; flows the policies already "
                                               "allow between workloads")
    lines.append(f"{kind}: {recheck.flows_checked} checked, no connection of theirs cut")
    before_pairs, after_pairs = (a.connectivity.get("connected_pairs", 0)
                                 for a in (recheck.before, recheck.after))
    lines.append(f"connections allowed: {before_pairs} before, {after_pairs} with the files added")
    if not declared and recheck.cut:
        why = ("no flow is declared and no policy allows one between workloads" if not
               recheck.flows_checked else "no flow is declared, and only allow-all rules or the "
                                          "absence of a policy allowed them")
        lines.append(f"  warning: {counted(len(recheck.cut), 'connection')} between workloads "
                     f"cut ({listed(recheck.cut, CUT_NAMED, 'connection')}): {why}; declare the "
                     "flows the workloads need in reporter.yaml (flows:, docs/config.md) and run "
                     "fix again")
    if not declared:  # the implied flows are between workloads: the internet's are not kept
        for key, what, needs in (
                ("workloads_reachable_from_internet", "reachable from the internet",
                 "a public entry point (a web front end) needs a declared flow from the internet"),
                ("workloads_reaching_internet", "reaching the internet",
                 "a call out (a payment provider, an API) needs a declared flow to the internet")):
            was, now = (a.connectivity.get(key, 0) for a in (recheck.before, recheck.after))
            if now < was:
                lines.append(f"  warning: workloads {what}: {was} before, {now} with the files "
                             f"added: {needs} (flows:, docs/config.md); declare those meant and "
                             "run fix again")
    remaining = [r for r in recheck.after.checks if r.status.value == "FAIL"]
    withdrawn = {check for proposal, _ in recheck.withdrawn for check, _ in proposal.closes}
    for result in remaining:
        why = NOT_CLOSABLE.get(result.check_id, "a proposal closing it was not written (above)"
                               if result.check_id in withdrawn else "no generated policy closes it")
        lines.append(f"  still failing: {result.check_id}: {why}")
    return lines


@click.command("fix")
@paths_argument
@assessment_options
@click.option("--out", "out_dir", default="fix", show_default=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Folder for the YAML files (never "
                                                     "overwritten).")
def fix_command(paths: tuple[str, ...], options: PipelineOptions, out_dir: str) -> ExitCode:
    """Write the NetworkPolicies that close the failing findings a policy can close: default
    deny where a namespace has none (with DNS and the declared flows kept), allow-all and
    internet-wide rules narrowed to the declared flows, empty rules removed.

    Each proposal is re-checked before it is written: one that would cut a declared flow or
    leave its finding open is not written, with the reason. Exit code 0 when every failing
    check a NetworkPolicy can close is closed, 1 when some remain, 2 for bad input.
    """
    from reporter.checks import CheckContext
    from reporter.fix.implied import implied_flows
    from reporter.fix.propose import NOT_CLOSABLE, propose, replaced_rules
    from reporter.fix.recheck import Rechecker, remediate
    from reporter.pipeline import Assessor

    assessor = Assessor(options)
    current = assessor.run(paths, stdin=sys.stdin,
                           command=options.command_line("fix", paths, extra=["--out", out_dir]))
    loaded = assessor.loaded_config  # --config, else the one discovered among the inputs
    config = loaded.config
    ctx = CheckContext(current.reach, config)
    if not config.flows:  # keep what the policies already allow between workloads
        config = config.model_copy(update={"flows": implied_flows(
            ctx, replaced_rules(current.assessment))})
        ctx = CheckContext(current.reach, config)
    recheck = remediate(Rechecker(assessor, current, config, out_dir), ctx,
                        propose(ctx, current.assessment))
    written = _write(Path(out_dir), list(recheck.accepted))
    report = _report(recheck, written, declared=bool(loaded.config.flows))
    click.echo("\n".join([f"config: {loaded.describe()}", *report,
                          *(_read_again(paths, options.config_path, Path(out_dir))
                            if written else [])]))
    open_checks = {r.check_id for r in recheck.after.checks if r.status.value == "FAIL"}
    return ExitCode.FAILED if open_checks - set(NOT_CLOSABLE) else ExitCode.OK
