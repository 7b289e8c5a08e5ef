"""Sides from what the user names: an earlier pack, manifests on disk, or manifests at a Git ref.

Manifest sides are assessed by :class:`reporter.pipeline.Assessor` (one config, catalog and
clock for both sides), so their control status can be compared with a pack's.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reporter.diff.compute import compute_delta
from reporter.diff.model import Delta, PolicyText, Row, Side, SideInfo, SideKind
from reporter.diff.record import connection_rows
from reporter.diff.spec import normalised_spec
from reporter.errors import GitError, InputError, Problem
from reporter.git import repo_relative
from reporter.inputs import LoadedInputs
from reporter.inventory.classify import not_examined
from reporter.model import Assessment
from reporter.netpol.engine import Reachability
from reporter.pack import (
    CONNECTIVITY_JSON,
    PACK_JSON,
    SUMS,
    Verified,
    read_pack_json,
    verify_pack,
)
from reporter.pipeline import Assessed, Assessor, PipelineOptions, read_inputs
from reporter.render.pairmap import PairMapError, read_pair_map
from reporter.wording import counted

EXACT_DIFF_LIMIT = 200_000
"""Manifest sides with more allowed pairs than this are compared between zones only."""
PACK_HINT = "name the pack.json (or pack folder) of an earlier `reporter check -o json` or report"


@dataclass(frozen=True, slots=True)
class SideOptions(PipelineOptions):
    """How manifest sides are read and assessed: the options ``reporter check`` takes."""

    assess: bool = True
    """False: policy text and the map, without checks (drift)."""


# -- sides from values -----------------------------------------------------------------------

def _zones(assessment: Assessment) -> dict[str, tuple[str, ...]]:
    zones: dict[str, list[str]] = defaultdict(list)
    for zone in assessment.zones:
        for workload in zone.workloads:
            zones[workload].append(zone.name)
    return {workload: tuple(names) for workload, names in zones.items()}


def _recorded_commit(assessment: Assessment) -> str | None:
    commit = (assessment.git_provenance or {}).get("commit")
    return commit if isinstance(commit, str) else None


def side_from_assessment(assessment: Assessment, label: str, kind: SideKind = "pack") -> Side:
    """A side that is an assessment alone: an earlier pack, or the current run's result."""
    policies = {
        p.key: PolicyText(spec=p.spec or None, file=p.location.file,
                          location=p.location.place)
        for p in assessment.policies
    }
    rows = assessment.connections
    return Side(
        info=SideInfo(label=label, kind=kind, commit=_recorded_commit(assessment)),
        policies=policies,
        connections=None if rows is None else [(r.src, r.dst, r.conn) for r in rows],
        zone_flows=assessment.zone_flows, zones=_zones(assessment), assessment=assessment,
        not_examined=not_examined((i.kind, i.reason) for i in assessment.completeness.skipped))


def side_from_run(run: LoadedInputs, label: str, kind: SideKind, *,
                  reach: Reachability | None = None, assessment: Assessment | None = None
                  ) -> Side:
    """A side read from manifests: policies from the inventory, the map from ``reach`` (also
    as rows when assessed: drift, which assesses nothing, compares ``reach`` itself),
    provenance from the inputs."""
    repository, provenance = run.repository, run.provenance

    def file_of(path: str) -> str:
        if repository is None or run.ref is not None or not os.path.exists(path):
            return path  # at a ref, already relative to the repository
        return repo_relative(repository, os.path.abspath(path))

    policies = {
        p.key: PolicyText(spec=normalised_spec(p.spec), location=str(p.origin),
                          file=file_of(p.origin.file))
        for p in run.inventory.policies
    }
    return Side(
        info=SideInfo(label=label, kind=kind,
                      commit=provenance.commit if provenance else None),
        policies=policies,
        connections=None if reach is None or assessment is None else _rows(reach, assessment),
        zone_flows=assessment.zone_flows if assessment else None,
        zones=_zones(assessment) if assessment else {}, connectivity=reach,
        assessment=assessment,
        repository=repository if provenance else None, input_paths=run.input_paths,
        dirty_files=provenance.repository.dirty_paths if provenance else (),
        not_examined=not_examined((s.kind, s.reason) for s in run.inventory.all_skipped()))


def _rows(reach: Reachability, assessment: Assessment) -> list[Row] | None:
    """The rows pack.json records, else (more pairs than it records) the map's, up to
    EXACT_DIFF_LIMIT pairs: beyond, the maps themselves are compared (PairComparison)."""
    if assessment.connections is not None:
        return [(r.src, r.dst, r.conn) for r in assessment.connections]
    pairs = int(assessment.connectivity["connected_pairs"])
    return list(connection_rows(reach)) if pairs <= EXACT_DIFF_LIMIT else None


# -- sides from what the user names ----------------------------------------------------------

def read_pack(path: str) -> Assessment | None:
    """The assessment in a pack folder or pack.json; None when ``path`` is not a pack."""
    from pydantic import ValidationError

    given = Path(path)
    file = given / PACK_JSON if given.is_dir() else given
    if not given.is_dir() and not given.name.lower().endswith((".json", ".json.gz")):
        return None
    gzipped = given.is_file() and given.name.lower().endswith(".gz")
    try:  # a large estate's pack stores pack.json compressed (pack.json.gz)
        raw = read_pack_json(given) if given.is_dir() else given.read_bytes()
        data = json.loads(gzip.decompress(raw) if gzipped else raw)
    except (OSError, ValueError, EOFError) as error:
        if gzipped:  # no manifest reader takes .gz: say what is wrong here
            raise InputError([Problem(f"not a gzip-compressed pack.json: {error}",
                                      file=str(given))], hint=PACK_HINT) from None
        return None  # not JSON: a manifest reader gives the precise error
    if not isinstance(data, dict) or "schema_version" not in data:
        return None  # a JSON manifest (e.g. a kubectl dump)
    try:
        return Assessment.model_validate(data)
    except ValidationError as error:
        raise InputError([Problem(f"not a pack.json of this schema ({error.error_count()} "
                                  "problems)", file=str(file))], hint=PACK_HINT) from None


def load_side(path: str, options: SideOptions, assessor: Assessor | None = None, *,
              kind: SideKind = "manifests") -> Side:
    """A pack (folder or pack.json), or the manifests at ``path``."""
    pack = read_pack(path)
    if pack is not None:
        return pack_side(path, pack, drift=not options.assess)
    return manifest_side([path], path, options, assessor, kind=kind)


def pack_side(path: str, pack: Assessment, *, drift: bool = False) -> Side:
    """A pack named by the user (``pack`` its assessment), checked as ``reporter verify``
    checks it, with its exact map: the one verify decoded, else its folder's, read when
    pack.json does not record the map (beyond PACK_CONNECTIONS_LIMIT pairs) or for ``drift``,
    which compares the maps themselves."""
    verified = verify_named_pack(path)
    side = side_from_assessment(pack, path)
    if verified is not None and verified.pair_map is not None:
        return replace(side, connectivity=verified.pair_map)
    if (drift or side.connections is None) and Path(path).is_dir():
        return with_stored_map(side, Path(path))
    return side


def verify_named_pack(path: str) -> Verified | None:
    """A pack folder, or a pack.json in one, is checked as ``reporter verify`` checks it before
    it is compared: evidence altered since it was written is refused (PackError), not compared
    as if it were the review's. A pack.json without SHA256SUMS beside it (``check -o json``)
    has nothing to verify against: None."""
    given = Path(path)
    folder = given if given.is_dir() else given.parent
    return verify_pack(folder) if (folder / SUMS).is_file() else None


def with_stored_map(side: Side, folder: Path) -> Side:
    """``side`` (a pack) with the map its folder stores, read here: a pack verified already
    (an archive's), or one without SHA256SUMS. Unchanged for a pack older than the stored map."""
    file = folder / CONNECTIVITY_JSON
    if not file.is_file():
        return side
    try:
        return replace(side, connectivity=read_pair_map(file.read_bytes()))
    except (OSError, PairMapError) as error:
        raise InputError([Problem(f"the pack's map cannot be read: {error}", file=str(file))],
                         hint="verify the pack (reporter verify): it may have been altered"
                         ) from None


def manifest_side(paths: Sequence[str], label: str, options: SideOptions,
                  assessor: Assessor | None = None, *, git_ref: str | None = None,
                  kind: SideKind = "manifests") -> Side:
    """The manifests at ``paths`` (at ``git_ref`` when given), assessed unless told not to."""
    if not options.assess:
        from reporter.netpol.engine import analyse

        inputs = _some_manifests(read_inputs(paths, options, git_ref=git_ref), label)
        reach = analyse(inputs.inventory,
                        ipblock_matches_pod_ips=options.ipblock_matches_pod_ips)
        return side_from_run(inputs, label, kind, reach=reach)
    assessed = (assessor or Assessor(options)).run(paths, git_ref=git_ref)
    _some_manifests(assessed.inputs, label)
    return assessed_side(assessed, label, kind)


def _some_manifests(inputs: LoadedInputs, label: str) -> LoadedInputs:
    """Files named on disk where none was read as manifests (a text file named by mistake, a
    folder of templates) would compare as an empty cluster, every policy added or removed:
    refused. A manifest holding no objects (an empty ``kubectl get -o json`` list) is a side,
    and so is a Git ref from before the manifests existed (a gate's base)."""
    if inputs.sources or inputs.ref is not None:
        return inputs
    skipped = inputs.inventory.skipped_files
    reasons = sorted({f.reason for f in skipped})
    raise InputError(
        [Problem(f"no manifests to compare: {counted(len(skipped), 'file or document')} read, none "
                 f"of them Kubernetes manifests ({'; '.join(reasons) or 'nothing found'})",
                 file=label)],
        hint=f"name the manifests of this side, or {PACK_HINT.removeprefix('name ')}")


def assessed_side(assessed: Assessed, label: str, kind: SideKind) -> Side:
    """A side that is one run of the pipeline."""
    return side_from_run(assessed.inputs, label, kind, reach=assessed.reach,
                         assessment=assessed.assessment)


def parse_range(text: str) -> tuple[str, str]:
    """``A..B`` -> (A, B); ``A..`` means ``A..HEAD``."""
    old, dots, new = text.partition("..")
    if not dots or not old or new.startswith("."):
        raise GitError(f"--git-range {text!r} is not of the form OLD..NEW",
                       hint="e.g. --git-range v1.2..main, or --git-range HEAD~5.. (up to HEAD)")
    return old, new or "HEAD"


def git_range_sides(text: str, paths: Sequence[str], options: SideOptions) -> tuple[Side, Side]:
    """Both sides of ``--git-range OLD..NEW PATH...``, read from the repository's objects."""
    old, new = parse_range(text)
    assessor = Assessor(options)
    inputs = list(paths) or ["."]
    return (manifest_side(inputs, old, options, assessor, git_ref=old, kind="git"),
            manifest_side(inputs, new, options, assessor, git_ref=new, kind="git"))


def since_side(since: str, paths: Sequence[str], assessor: Assessor) -> Side:
    """``--since REF|PACK``: an earlier pack, or the same ``paths`` as committed at REF and
    assessed by ``assessor`` (the current run's: same config, catalog and clock)."""
    pack = read_pack(since)
    if pack is not None:
        return pack_side(since, pack)
    if os.path.exists(since):
        raise InputError([Problem("not a pack: neither a pack folder nor a pack.json",
                                  file=since)],
                         hint=f"{PACK_HINT}, or a Git ref (refs/heads/NAME if a file has the "
                              "same name)")
    return assessed_side(assessor.run(paths, git_ref=since, packed=False), since, "git")


# -- the report's "Changes since the previous review" ----------------------------------------

def delta_since(old: Side, current: Assessed, *, allowed_signers: Path | None = None) -> Delta:
    """``reporter report --since``: the previous review (a :func:`since_side`) against the
    current run, with its inputs and reachability (exact map, authorship)."""
    kind: SideKind = "git" if current.inputs.ref is not None else "manifests"
    return compute_delta(old, assessed_side(current, "current run", kind),
                         allowed_signers=allowed_signers)
