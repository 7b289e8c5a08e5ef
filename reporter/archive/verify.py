"""``reporter verify ARCHIVE``: every pack, every link of the chain, every index entry against
its pack, the snapshots, gaps between periods, forks and leftovers of killed runs.

Problems are named with paths relative to the archive, so that the same archive verified from
another directory (or copied elsewhere) gives the same words.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reporter.archive.history import RunFacts, run_facts
from reporter.archive.index import INDEX, IndexEntry, load_index, recomputed_hash, time_text
from reporter.errors import PackError, Problem
from reporter.pack import PACK_JSON, PUBLIC_KEY, SUMS, read_pack_json, sha256, verify_pack
from reporter.period import span_names, uncovered

SNAPSHOT = "snapshot.yaml"
ARCHIVE_PROVENANCE = "archive"
"""``provenance.archive`` of a pack made by ``reporter run``."""
PARTIAL = ".partial"


@dataclass(frozen=True, slots=True)
class ArchiveCheck:
    """What ``verify`` found in an archive."""

    entries: tuple[IndexEntry, ...]
    broken: list[Problem] = field(default_factory=list)
    """Integrity: a pack, an entry or a link that does not verify."""
    gaps: list[Problem] = field(default_factory=list)
    """Periods with no run between two runs."""
    accepted: list[tuple[Problem, str]] = field(default_factory=list)
    """Problems a later run accepted with ``--accept-broken-chain``, with its reason."""
    leftovers: list[str] = field(default_factory=list)
    """``.partial`` files and folders of runs that were killed (relative paths)."""
    signed: int = 0
    """Entries whose signature verified."""
    facts: dict[str, RunFacts] = field(default_factory=dict)
    """Per pack folder, what its pack.json says for the history (read while verifying)."""

    @property
    def ok(self) -> bool:
        return not self.broken and not self.gaps


def is_archive(root: Path) -> bool:
    return (root / INDEX).is_file()


def leftovers(root: Path) -> list[str]:
    """What killed runs left: ``.partial`` names in the archive and in its period folders."""
    found = [*root.glob(f"*{PARTIAL}"), *root.glob(f"*/*{PARTIAL}")]
    return sorted(p.relative_to(root).as_posix() for p in found)


def pack_folders(root: Path) -> list[str]:
    """Every ``<period>/<run>`` folder that looks like a pack (hidden names are not packs)."""
    return sorted({p.parent.relative_to(root).as_posix()
                   for pattern in (SUMS, PACK_JSON, f"{PACK_JSON}.gz")
                   for p in root.glob(f"[!.]*/[!.]*/{pattern}")})


def _relative(problem: Problem, root: Path) -> Problem:
    if problem.file is None:
        return problem
    return replace(problem, file=os.path.relpath(problem.file, root))


def _pack_json(folder: Path, where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        data = json.loads(read_pack_json(folder))
    except (OSError, ValueError):
        return None, [Problem("cannot be read as JSON", file=f"{where}/{PACK_JSON}")]
    if not isinstance(data, dict):
        return None, [Problem("not a pack.json", file=f"{where}/{PACK_JSON}")]
    return data, []


def framework_counts(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Framework ID -> requirement status -> count, from a pack.json."""
    counts: dict[str, dict[str, int]] = {}
    for framework in data.get("frameworks") or []:
        statuses = Counter(str(r.get("status")) for r in framework.get("requirements") or [])
        counts[str(framework.get("id"))] = dict(sorted(statuses.items()))
    return counts


def _differences(entry: IndexEntry, data: dict[str, Any], folder_name: str) -> Iterator[str]:
    provenance = data.get("provenance") or {}
    recorded = provenance.get(ARCHIVE_PROVENANCE) or {}
    previous = (recorded.get("previous") or {}).get("entry_hash")
    accepted = recorded.get("accepted_broken_chain")
    given = entry.accepted_broken_chain.reason if entry.accepted_broken_chain else None
    pairs = (
        ("run ID", (provenance.get("report") or {}).get("run_id"), entry.run_id),
        ("folder name", folder_name, entry.run_id),
        ("time", data.get("generated_at"), time_text(entry.time)),
        ("period start", data.get("period_start"), entry.period_start.isoformat()),
        ("period end", data.get("period_end"), entry.period_end.isoformat()),
        ("status counts", framework_counts(data), entry.counts),
        ("previous run", previous, entry.previous),
        ("accepted broken chain", accepted, given),
    )
    for what, in_pack, in_index in pairs:
        if in_pack != in_index:
            yield f"{what}: the pack says {in_pack!r}, index.json says {in_index!r}"


def _signature_problem(entry: IndexEntry, folder: Path,
                       public_key: Path | None) -> Problem | None:
    from reporter.signing import fingerprint, load_public_key, signature_matches

    key_path = public_key or folder / PUBLIC_KEY
    if entry.signature is None or not key_path.is_file():
        return Problem(f"run {entry.run_id}: index.json names signer {entry.signer} but the "
                       "entry's signature or the public key is missing", file=INDEX)
    key = load_public_key(key_path.read_bytes(), str(key_path))
    if fingerprint(key) != entry.signer or not signature_matches(
            key, entry.hash.encode(), entry.signature.encode()):
        return Problem(f"run {entry.run_id}: the entry's signature does not verify with key "
                       f"{fingerprint(key)}", file=INDEX)
    return None


def _entry_problems(root: Path, entry: IndexEntry, public_key: Path | None
                    ) -> tuple[list[Problem], RunFacts]:
    folder, where = root / entry.pack, entry.pack
    if not folder.is_dir():
        return [Problem(f"run {entry.run_id} of {entry.period}: its pack is missing "
                        "(deleted or moved)", file=where)], RunFacts()
    problems: list[Problem] = []
    verified = None
    try:
        verified = verify_pack(folder, public_key)
    except PackError as error:
        problems += [_relative(p, root) for p in error.problems]
    if (folder / SUMS).is_file() and sha256((folder / SUMS).read_bytes()) != entry.sums_sha256:
        problems.append(Problem("differs from the digest index.json records for this run (the "
                                "pack was replaced or re-summed)", file=f"{where}/{SUMS}"))
    # Parsed once: a 5,000-workload pack.json is ~50 MB of JSON.
    data, unreadable = ((verified.pack_json, []) if verified and verified.pack_json is not None
                        else _pack_json(folder, where))
    problems += unreadable
    if data is not None:
        problems += [Problem(f"run {entry.run_id}: {difference}", file=f"{where}/{PACK_JSON}")
                     for difference in _differences(entry, data, folder.name)]
    snapshot = folder / SNAPSHOT
    recorded = sha256(snapshot.read_bytes()) if snapshot.is_file() else None
    if recorded != entry.snapshot_sha256:
        problems.append(Problem("differs from the snapshot index.json records for this run "
                                f"(sha256 {entry.snapshot_sha256})", file=f"{where}/{SNAPSHOT}"))
    if entry.signer is not None:
        problem = _signature_problem(entry, folder, public_key)
        problems += [problem] if problem else []
    return problems, run_facts(data)


def _link_problems(entries: tuple[IndexEntry, ...]) -> list[Problem]:
    problems = []
    for number, entry in enumerate(entries):
        label = f"entry {number + 1} (run {entry.run_id})"
        if recomputed_hash(entry) != entry.hash:
            problems.append(Problem(f"{label}: its content does not match its hash (the entry "
                                    "was edited)", file=INDEX))
        expected = entries[number - 1].hash if number else None
        if entry.previous != expected:
            what = ("names a previous run, but none precedes it: earlier runs were removed"
                    if expected is None else "does not link to the entry before it: runs "
                    "were removed, reordered or replaced")
            problems.append(Problem(f"{label} {what}", file=INDEX))
    followers = Counter(e.previous for e in entries if e.previous is not None)
    problems += [Problem(f"fork: {count} runs follow the same run (entry hash {link[:12]})",
                         file=INDEX) for link, count in followers.items() if count > 1]
    repeated = Counter(e.run_id for e in entries)
    problems += [Problem(f"run {run} appears {count} times", file=INDEX)
                 for run, count in repeated.items() if count > 1]
    return problems


def _gaps(entries: tuple[IndexEntry, ...]) -> list[Problem]:
    """What no run covers between the first run's period and the last one's (as
    ``reporter history`` and the pack's history chapter name them)."""
    ordered = sorted(entries, key=lambda e: (e.period_start, e.period_end))
    found = uncovered([e.review_period for e in ordered])
    return [Problem(f"gap: no run for {', '.join(span_names(missing))} (between "
                    f"{ordered[a].period} run {ordered[a].run_id} and {ordered[b].period} run "
                    f"{ordered[b].run_id})") for a, b, missing in found]


def verify_archive(root: Path, public_key: Path | None = None) -> ArchiveCheck:
    """Everything ``reporter verify ARCHIVE`` checks; raises PackError only when ``root`` is
    not an archive at all."""
    if not is_archive(root):
        raise PackError([Problem("no index.json: not an archive", file=str(root))],
                        hint="name the folder `reporter run --archive` writes")
    try:
        entries = load_index(root).entries
    except PackError as error:
        return ArchiveCheck((), broken=[_relative(p, root) for p in error.problems],
                            leftovers=leftovers(root))
    broken = _link_problems(entries)
    facts: dict[str, RunFacts] = {}
    for entry in entries:
        problems, facts[entry.pack] = _entry_problems(root, entry, public_key)
        broken += problems
    indexed = {e.pack for e in entries}
    broken += [Problem("a pack that index.json does not list (a fork, or a run stopped "
                       "between writing its pack and chaining it)", file=folder)
               for folder in pack_folders(root) if folder not in indexed]
    check = ArchiveCheck(entries, gaps=_gaps(entries), leftovers=leftovers(root),
                         signed=sum(1 for e in entries if e.signer), facts=facts)
    _accept(check, broken)
    return check


def _accept(check: ArchiveCheck, problems: list[Problem]) -> None:
    """Sort ``problems`` into broken and accepted (by a later run, word for word)."""
    accepted = {text: entry.accepted_broken_chain.reason for entry in check.entries
                if entry.accepted_broken_chain for text in entry.accepted_broken_chain.problems}
    for problem in problems:
        reason = accepted.get(problem.render())
        if reason is None:
            check.broken.append(problem)
        else:
            check.accepted.append((problem, reason))
