"""``reporter run``: one scheduled run into an archive, under its lock.

Read the source (paths, or a snapshot of the live cluster written inside the pack), verify the
archive's chain and the previous pack, assess, compare with the previous run, write the pack
and chain it onto index.json.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporter.archive.history import (
    CLOSED,
    NEW,
    HistoryRow,
    RunFacts,
    examined_to,
    history_rows,
)
from reporter.archive.index import (
    INDEX,
    AcceptedBreak,
    Index,
    IndexEntry,
    load_index,
    time_text,
    write_index,
)
from reporter.archive.lock import ArchiveLock
from reporter.archive.store import (
    appended,
    chained_entry,
    commit_pack,
    discard,
    open_archive,
    remove_leftovers,
    stage,
)
from reporter.archive.verify import (
    ARCHIVE_PROVENANCE,
    SNAPSHOT,
    framework_counts,
    is_archive,
    leftovers,
    pack_folders,
    verify_archive,
)
from reporter.errors import PackError, Problem
from reporter.inventory.kubeconfig import ClusterAccess
from reporter.model import Assessment
from reporter.pack import UNSUMMED, run_id, signed_files, write_files
from reporter.period import ReviewPeriod
from reporter.pipeline import Assessed, Assessor, PipelineOptions, redacting
from reporter.render.json import json_bytes
from reporter.signing import SigningKey

if TYPE_CHECKING:
    from reporter.render.trend import HistoryView

Warn = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Everything one run is given."""

    archive: Path
    paths: tuple[str, ...]
    """Manifests to read; empty: the live cluster ``access`` names."""
    access: ClusterAccess | None
    options: PipelineOptions
    """With ``now`` set: one clock for the lock, the snapshot and the assessment."""
    period: ReviewPeriod
    key: SigningKey | None = None
    accept_broken_chain: str | None = None
    """The operator's reason to run although the chain does not verify."""
    clean: bool = False
    """Remove leftovers of killed runs."""
    timeout: float = 60.0
    """Seconds allowed to list each resource of the cluster."""
    lock_wait: float = 10.0


@dataclass(frozen=True, slots=True)
class RunOutcome:
    entry: IndexEntry
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class _Chain:
    index: Index
    previous: IndexEntry | None
    """The run this one is compared with (None: first run, or its pack does not verify)."""
    accepted: AcceptedBreak | None
    facts: Mapping[str, RunFacts] = field(default_factory=dict)
    """What each pack's pack.json says for the history chapter, read while verifying."""


def run_into_archive(request: RunRequest, warn: Warn) -> RunOutcome:
    """Make one run's pack in ``request.archive`` and chain it; PackError when the chain
    does not verify (unless accepted) or the lock is held."""
    root = request.archive
    open_archive(root)
    assert request.options.now is not None
    with ArchiveLock(root, wait=request.lock_wait, now=request.options.now):
        _handle_leftovers(root, request.clean, warn)
        chain = _earlier_review(_checked_chain(root, request.accept_broken_chain, warn),
                                request.period, warn)
        staging = stage(root, request.period)
        try:
            identifier, assessment, files = _pack_files(request, chain, staging)
            write_files(staging, files)
            pack = commit_pack(root, staging, request.period, identifier)
        except BaseException:
            discard(staging)
            raise
        entry = chained_entry(
            chain.index, run_id=identifier, generated_at=assessment.generated_at,
            period=request.period, pack=pack, files=files,
            counts=framework_counts(_frameworks(assessment)), accepted=chain.accepted,
            key=request.key)
        write_index(root, appended(chain.index, entry))
    return RunOutcome(entry, assessment)


def _earlier_review(chain: _Chain, period: ReviewPeriod, warn: Warn) -> _Chain:
    """The chain with the run to compare with: the run of the latest period not after this one
    (the newest such run on a tie). A run backfilling an earlier quarter still chains onto the
    last entry, but a later quarter's run is not its previous review."""
    if chain.previous is None:
        return chain
    # A broken chain accepted: only the last entry's pack is known to be intact.
    known = [chain.previous] if chain.accepted else list(chain.index.entries)
    earlier = [e for e in reversed(known) if e.period_end <= period.end]
    found = max(earlier, key=lambda e: e.period_end) if earlier else None
    later = sorted({e.period for e in chain.index.entries if e.period_end > period.end})
    if later:
        warn(f"the archive holds runs of later periods ({', '.join(later)}): this run of "
             f"{period.label} is compared with "
             + (f"the {found.period} run {found.run_id}" if found else "no earlier run"))
    return replace(chain, previous=found)


def _handle_leftovers(root: Path, clean: bool, warn: Warn) -> None:
    found = leftovers(root)
    for name in found:
        done = "removed (--clean)" if clean else "not a pack; remove it with --clean"
        warn(f"{root / name}: left by an interrupted run: {done}")
    if clean:
        remove_leftovers(root, found)


def _checked_chain(root: Path, accept: str | None, warn: Warn) -> _Chain:
    if not is_archive(root):
        if pack_folders(root):
            problems = [Problem("the archive holds packs but no index.json", file=str(root))]
            return _broken(root, problems, accept, warn, Index())
        return _Chain(Index(), None, None)
    check = verify_archive(root)
    for gap in check.gaps:
        warn(gap.render())
    index = load_index(root)  # unreadable: verify said so, and nothing can be chained onto it
    if not check.broken:
        return _Chain(index, index.entries[-1] if index.entries else None, None, check.facts)
    return replace(_broken(root, check.broken, accept, warn, index), facts=check.facts)


def _broken(root: Path, problems: list[Problem], accept: str | None, warn: Warn,
            index: Index) -> _Chain:
    if accept is None:
        raise PackError(problems, hint=(
            f"the archive's chain does not verify, so this run stops before comparing with or "
            f"chaining onto it. Investigate with `reporter verify {root}`; to run anyway, "
            "rerun with --accept-broken-chain REASON (the new pack records the reason and "
            "these problems)"))
    for problem in problems:
        warn(f"accepted (--accept-broken-chain): {problem.render()}")
    last = index.entries[-1] if index.entries else None
    damaged = last is None or any(
        (p.file == INDEX and last.run_id in p.message) or p.file == last.pack
        or (p.file or "").startswith(f"{last.pack}/") for p in problems)
    previous = None if damaged else last
    return _Chain(index, previous, AcceptedBreak(reason=accept,
                                                 problems=tuple(p.render() for p in problems)))


def _read_source(request: RunRequest, assessor: Assessor, staging: Path,
                 command: list[str]) -> tuple[Assessed, str | None]:
    """The assessed inputs and, for a live cluster, the snapshot's text (written to the
    staging folder at once, so that it is there even if the run is killed later)."""
    if request.access is None:
        return assessor.run(request.paths, stdin=sys.stdin, command=command,
                            history=True, with_map=True), None
    from reporter.commands.snapshot import snapshot_text
    from reporter.inputs import LoadedInputs
    from reporter.inventory.cluster import read_cluster
    from reporter.inventory.manifests import load_inventory
    from reporter.inventory.sources import Source
    from reporter.pipeline import tool_version

    _ = assessor.git_options  # the config is read, and refused, before the cluster
    state = read_cluster(request.access, timeout=request.timeout)
    assert request.options.now is not None
    text = snapshot_text(state, request.options.now, tool_version())
    write_files(staging, {SNAPSHOT: text.encode()})
    source = Source(SNAPSHOT, text)
    inputs = LoadedInputs(sources=(source,), excluded=(), inventory=load_inventory([source]),
                          provenance=None, repository=None)
    return assessor.assess(inputs, command, with_map=True), text


def _pack_files(request: RunRequest, chain: _Chain,
                staging: Path) -> tuple[str, Assessment, dict[str, bytes]]:
    """The run ID, the assessment the pack records (pack.json adds the run's metadata to its
    provenance) and the pack's files."""
    from reporter.commands.report import _config_text
    from reporter.diff.sides import read_pack, side_from_assessment
    from reporter.render.bundle import PackInputs, build_pack
    from reporter.render.html import compile_ahead

    assessor = Assessor(redacting(request.options))
    keep_templates = compile_ahead(assessor.processes)
    command = request.options.command_line("run", request.paths)  # --period from the options
    current, snapshot = _read_source(request, assessor, staging, command)
    assessment = current.assessment.model_copy(update={
        "period_start": request.period.start, "period_end": request.period.end})
    previous = delta = None
    if chain.previous is not None:
        from reporter.diff.sides import delta_since, with_stored_map
        from reporter.diff.summary import changes_summary

        folder = request.archive / chain.previous.pack
        previous = read_pack(str(folder))
        if previous is not None:
            label = f"{chain.previous.period} run {chain.previous.run_id}"
            side = side_from_assessment(previous, label)
            if side.connections is None:  # verified with the archive: its map is read here
                side = with_stored_map(side, folder)
            delta = delta_since(side, current)
            del side  # its map: ~100 MB at 5,000 workloads, not needed while the pack is made
            assessment = assessment.model_copy(update={"changes_since": changes_summary(delta)})
    assessment = _with_archive_provenance(assessment, request, chain, snapshot is not None)
    # What the pack's provenance.report.run_id says (its JSON made again with the pack: held
    # until then, it would outlive the PDF's layout, the peak of memory).
    identifier = run_id(assessment, json_bytes(assessment))
    manifests = {s.path: s.text for s in current.inputs.sources} | _config_text(assessment)
    assert current.connectivity is not None  # with_map
    inputs = PackInputs(manifests, current.connectivity, previous=previous,
                        delta=delta, signing_key=request.key,
                        archive_history=_history(request, chain, assessment, identifier),
                        whole=current.inputs.inventory.whole,
                        redactions=current.inputs.inventory.redactions, run_id=identifier,
                        processes=assessor.processes)
    keep_templates()
    files = build_pack(assessment, inputs)
    if snapshot is not None:  # the snapshot as read, with its comments, beside the inputs
        unsigned = {k: v for k, v in files.items() if k not in UNSUMMED}
        files = signed_files({**unsigned, SNAPSHOT: snapshot.encode()}, request.key)
    return identifier, assessment, files


def _history(request: RunRequest, chain: _Chain, assessment: Assessment,
             identifier: str) -> HistoryView:
    """The archive's runs so far, then this one."""
    from reporter.render.trend import history_view

    findings = assessment.changes_since.findings if assessment.changes_since else None
    this_run = HistoryRow(
        request.period.label, identifier, time_text(assessment.generated_at),
        framework_counts(_frameworks(assessment)),
        None if findings is None else findings.get(NEW, 0),
        None if findings is None else findings.get(CLOSED, 0),
        assessment.changes_since.since if assessment.changes_since else None,
        period_examined=assessment.period.examined if assessment.period else None,
        examined_to=examined_to(assessment))
    rows = history_rows(request.archive, (request.period, this_run), chain.index.entries,
                        chain.facts)
    return history_view(rows, identifier)


def _frameworks(assessment: Assessment) -> dict[str, Any]:
    """The part of pack.json that status counts read, dumped alone: the whole is ~50 MB of
    JSON at 5,000 workloads."""
    return assessment.model_dump(mode="json", include={"frameworks"})


def _with_archive_provenance(assessment: Assessment, request: RunRequest, chain: _Chain,
                             has_snapshot: bool) -> Assessment:
    previous: dict[str, Any] | None = None
    if chain.index.entries:
        last = chain.index.entries[-1]
        previous = {"run_id": last.run_id, "entry_hash": last.hash, "pack": last.pack,
                    "sums_sha256": last.sums_sha256,
                    "compared": chain.previous is not None
                    and chain.previous.run_id == last.run_id}
    recorded = {
        "period": request.period.label,
        "previous": previous,
        "accepted_broken_chain": chain.accepted.reason if chain.accepted else None,
        "snapshot": SNAPSHOT if has_snapshot else None,
    }
    provenance = {**(assessment.provenance or {}), ARCHIVE_PROVENANCE: recorded}
    return assessment.model_copy(update={"provenance": provenance})

