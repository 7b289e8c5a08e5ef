"""Sides from what the user names: an earlier pack, manifests on disk, or manifests at a Git ref.

Manifest sides are assessed with the same stages as ``reporter check`` (one config and catalog
for both sides), so their control status can be compared with a pack's.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.diff.compute import compute_delta
from reporter.diff.model import Delta, PolicyText, Row, Side, SideInfo, SideKind
from reporter.diff.record import connection_rows
from reporter.diff.spec import normalised_spec
from reporter.errors import GitError, InputError, Problem
from reporter.git import repo_relative
from reporter.inputs import GitOptions, LoadedInputs, load_inputs
from reporter.model import Assessment, Location, SkippedItem
from reporter.netpol.engine import Reachability

if TYPE_CHECKING:
    from reporter.catalog import Catalog
    from reporter.config import LoadedConfig

PACK_JSON = "pack.json"
EXACT_DIFF_LIMIT = 200_000
"""Manifest sides with more allowed pairs than this are compared between zones only."""
PACK_HINT = "name the pack.json (or pack folder) of an earlier `reporter check -o json` or report"


@dataclass(frozen=True, slots=True)
class SideOptions:
    """How manifest sides are read and assessed: the options ``reporter check`` takes."""

    config_path: str | None = None
    frameworks: tuple[str, ...] = ()
    ipblock_matches_pod_ips: bool = False
    assess: bool = True
    """False: policy text only (drift), without reachability or checks."""
    require_clean: bool = False
    git: GitOptions = field(default_factory=GitOptions)
    now: datetime | None = None
    """The assessment's clock (exception expiry); None: SOURCE_DATE_EPOCH or now."""


class Assessor:
    """The stages of ``reporter check`` for manifest sides; config and catalog read once."""

    def __init__(self, options: SideOptions) -> None:
        self.options = options

    @cached_property
    def _setup(self) -> tuple[LoadedConfig, Catalog]:
        from reporter.catalog import load_catalog
        from reporter.checks import REGISTRY
        from reporter.config import check_references, load_config

        loaded = load_config(self.options.config_path)
        catalog = load_catalog(known_checks=REGISTRY)
        check_references(loaded, catalog.framework_ids, REGISTRY)
        return loaded, catalog

    def __call__(self, run: LoadedInputs) -> tuple[Reachability, Assessment]:
        from reporter.assess import assess
        from reporter.commands.check import clock, tool_version
        from reporter.netpol.engine import analyse

        loaded, catalog = self._setup
        reach = analyse(run.inventory,
                        ipblock_matches_pod_ips=self.options.ipblock_matches_pod_ips)
        skipped = [SkippedItem(kind="File", name=s.path, location=Location(file=s.path),
                               reason="the reporter configuration (--config), not a manifest")
                   for s in run.excluded]
        assessment = assess(reach, catalog, loaded, now=self.options.now or clock(),
                            tool_version=tool_version(), frameworks=self.options.frameworks,
                            skipped=skipped)
        return reach, assessment


# -- sides from values -----------------------------------------------------------------------

def _zones(assessment: Assessment) -> dict[str, tuple[str, ...]]:
    zones: dict[str, list[str]] = defaultdict(list)
    for zone in assessment.zones:
        for workload in zone.workloads:
            zones[workload].append(zone.name)
    return {workload: tuple(names) for workload, names in zones.items()}


def _recorded_commit(assessment: Assessment) -> str | None:
    commit = (assessment.provenance or {}).get("commit")
    return commit if isinstance(commit, str) else None


def side_from_assessment(assessment: Assessment, label: str, kind: SideKind = "pack") -> Side:
    """A side that is an assessment alone: an earlier pack, or the current run's result."""
    policies = {
        p.key: PolicyText(spec=p.spec or None, file=p.location.file,
                          location=f"{p.location.file}:{p.location.line}")
        for p in assessment.policies
    }
    rows = assessment.connections
    return Side(
        info=SideInfo(label=label, kind=kind, commit=_recorded_commit(assessment)),
        policies=policies,
        connections=None if rows is None else [(r.src, r.dst, r.conn) for r in rows],
        zone_flows=assessment.zone_flows, zones=_zones(assessment), assessment=assessment)


def side_from_run(run: LoadedInputs, label: str, kind: SideKind, *,
                  reach: Reachability | None = None,
                  assessment: Assessment | None = None) -> Side:
    """A side read from manifests: policies from the inventory, the map from ``reach`` (or
    the assessment), provenance from the inputs."""
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
        policies=policies, connections=_rows(reach, assessment),
        zone_flows=assessment.zone_flows if assessment else None,
        zones=_zones(assessment) if assessment else {}, assessment=assessment,
        repository=repository if provenance else None, input_paths=run.input_paths,
        dirty_files=provenance.repository.dirty_paths if provenance else ())


def _rows(reach: Reachability | None, assessment: Assessment | None) -> list[Row] | None:
    if assessment is not None and assessment.connections is not None:
        return [(r.src, r.dst, r.conn) for r in assessment.connections]
    if reach is None:
        return None
    if assessment is not None:
        pairs = int(assessment.connectivity.get("connected_pairs", 0))
    else:
        from reporter.netpol.pairs import summarise

        pairs = summarise(reach).connected_pairs
    return list(connection_rows(reach)) if pairs <= EXACT_DIFF_LIMIT else None


# -- sides from what the user names ----------------------------------------------------------

def read_pack(path: str) -> Assessment | None:
    """The assessment in a pack folder or pack.json; None when ``path`` is not a pack."""
    from pydantic import ValidationError

    given = Path(path)
    file = given / PACK_JSON if given.is_dir() else given
    if not file.is_file() or file.suffix.lower() != ".json":
        return None
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError):
        return None  # not JSON: a manifest reader gives the precise error
    if not isinstance(data, dict) or "schema_version" not in data:
        return None  # a JSON manifest (e.g. a kubectl dump)
    try:
        return Assessment.model_validate(data)
    except ValidationError as error:
        raise InputError([Problem(f"not a pack.json of this schema ({error.error_count()} "
                                  "problems)", file=str(file))], hint=PACK_HINT) from None


def load_side(path: str, options: SideOptions, assessor: Assessor | None = None, *,
              kind: SideKind = "directory") -> Side:
    """A pack (folder or pack.json), or the manifests at ``path``."""
    pack = read_pack(path)
    if pack is not None:
        return side_from_assessment(pack, path)
    return manifest_side([path], path, options, assessor, kind=kind)


def manifest_side(paths: Sequence[str], label: str, options: SideOptions,
                  assessor: Assessor | None = None, *, git_ref: str | None = None,
                  kind: SideKind = "directory") -> Side:
    """The manifests at ``paths`` (at ``git_ref`` when given), assessed unless told not to."""
    exclude = [options.config_path] if options.config_path else []
    run = load_inputs(paths, git_ref=git_ref, exclude=exclude, options=options.git,
                      require_clean=options.require_clean and git_ref is None)
    if not options.assess:
        return side_from_run(run, label, kind)
    reach, assessment = (assessor or Assessor(options))(run)
    return side_from_run(run, label, kind, reach=reach, assessment=assessment)


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


def since_side(since: str, paths: Sequence[str], options: SideOptions) -> Side:
    """``--since REF|PACK``: an earlier pack, or the same ``paths`` as committed at REF."""
    pack = read_pack(since)
    if pack is not None:
        return side_from_assessment(pack, since)
    if os.path.exists(since):
        raise InputError([Problem("not a pack: no pack.json here", file=since)],
                         hint=f"{PACK_HINT}, or a Git ref (refs/heads/NAME if a file has the "
                              "same name)")
    return manifest_side(paths, since, options, git_ref=since, kind="git")


# -- the report's "Changes since the previous review" ----------------------------------------

def delta_since(since: str, paths: Sequence[str], current: Assessment, *,
                run: LoadedInputs | None = None, reach: Reachability | None = None,
                options: SideOptions = SideOptions()) -> Delta:  # noqa: B008 (frozen)
    """``reporter report --since REF|PACK``: an earlier pack, or the same ``paths`` at a Git
    ref assessed with the same ``options``, against the current run (``current``, with the
    ``run`` and ``reach`` it was made from when available: exact map, authorship)."""
    old = since_side(since, paths, options)
    if run is not None:
        new = side_from_run(run, "current run", "directory", reach=reach, assessment=current)
    else:
        new = side_from_assessment(current, "current run", kind="directory")
    return compute_delta(old, new, allowed_signers=options.git.allowed_signers)


def delta_between(previous: Assessment, current: Assessment, *, previous_label: str = "previous",
                  current_label: str = "current run") -> Delta:
    """Two assessments alone (e.g. ``--previous PACK``): no authorship without a repository."""
    return compute_delta(side_from_assessment(previous, previous_label),
                         side_from_assessment(current, current_label, kind="directory"))
