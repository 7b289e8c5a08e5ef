"""The stages every assessing command runs: inputs -> Inventory -> reachability -> Assessment.

``reporter check``, ``reporter report`` and the manifest sides of ``reporter diff`` all assess
here, so the same inputs give the same assessment whichever command reads them: the config
file is never a manifest, the clock honours SOURCE_DATE_EPOCH, and the Git provenance of the
inputs is recorded under ``provenance.git`` (:data:`reporter.model.GIT_PROVENANCE`), with
``repository_paths`` naming each input's path in the repository, so a finding's file can be
traced to its commit whatever directory the command ran in.
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from functools import cached_property, partial
from typing import TYPE_CHECKING, TextIO, cast

from reporter.collection import settled
from reporter.config.discover import GIVEN, discover_config
from reporter.errors import GitError, InputError
from reporter.git import repo_relative
from reporter.inputs import GitOptions, LoadedInputs, ReadOptions, load_inputs
from reporter.inventory.sources import STDIN_NAME
from reporter.model import (
    GIT_PROVENANCE,
    IPBLOCK_FLAG,
    Assessment,
    CheckResult,
    Location,
    SkippedItem,
)
from reporter.timeline import point_in_time
from reporter.wording import counted
from reporter.workers import processes

if TYPE_CHECKING:
    from reporter.catalog import Catalog
    from reporter.config import LoadedConfig
    from reporter.inventory.model import Inventory
    from reporter.netpol.engine import Reachability
    from reporter.render.pairmap import PairMap

CONFIG_SKIPPED = "the reporter configuration (kind ReporterConfig), not a manifest"


def clock(environ: dict[str, str] | None = None) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds): the same inputs, the same JSON."""
    value = (environ if environ is not None else dict(os.environ)).get("SOURCE_DATE_EPOCH")
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    if not value.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds",
                         hint="set it to a Unix timestamp, e.g. $(git log -1 --format=%ct)")
    return datetime.fromtimestamp(int(value), UTC)


def tool_version() -> str:
    try:
        return importlib.metadata.version("compliance-reporter")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """What shapes an assessment besides the paths: the options ``reporter check`` takes."""

    config_path: str | None = None
    reading: ReadOptions = ReadOptions()
    """``--exclude`` and ``--strict``."""
    frameworks: tuple[str, ...] = ()
    """Overrides the config's ``frameworks``; empty: the config's, else every framework."""
    ipblock_matches_pod_ips: bool = False
    require_clean: bool = False
    """Refuse inputs read from a work tree with uncommitted changes (ignored at a ref)."""
    git: GitOptions = field(default_factory=GitOptions)
    """Provenance options; without a period of their own, the config's ``period`` is used."""
    now: datetime | None = None
    """The assessment's clock (exception expiry, ``generated_at``); None: :func:`clock`."""
    config_found: str | None = None
    """How ``config_path`` was chosen when not given (reporter.config.discover)."""
    discover_config: bool = True
    """Without ``config_path``, use a ReporterConfig found among the inputs or at the root of
    their repository."""
    apply: tuple[str, ...] = ()
    """NetworkPolicy manifests applied over the inputs as ``kubectl apply`` would (a policy with
    the same namespace and name replaces the input's), e.g. ``reporter fix`` output."""
    period: tuple[date, date] | None = None
    """``--period``: overrides the config's ``period``."""
    processes: int | None = None
    """How many processes may run the checks; None: :func:`reporter.workers.processes`."""

    def process_count(self) -> int:
        """How many processes may run the checks: ``processes``, else as many as
        :func:`reporter.workers.processes` allows."""
        return self.processes or processes()

    def command_line(self, command: str, paths: Sequence[str], *, git_ref: str | None = None,
                     extra: Sequence[str] = ()) -> list[str]:
        """The command line as run, rebuilt from the options (so the JSON never depends on how
        the shell called it); ``extra`` holds the command's own options."""
        argv = ["reporter", command, *paths]
        argv += ["--config", self.config_path] if self.config_path else []
        argv += [a for f in self.frameworks for a in ("--framework", f)]
        argv += extra
        argv += [IPBLOCK_FLAG] if self.ipblock_matches_pod_ips else []
        argv += ["--git-ref", git_ref] if git_ref else []
        argv += [a for g in self.reading.exclude for a in ("--exclude", g)]
        argv += ["--strict"] if self.reading.strict else []
        argv += ["--require-clean"] if self.require_clean else []
        argv += [a for path in self.apply for a in ("--apply", path)]
        argv += ["--period", f"{self.period[0]}..{self.period[1]}"] if self.period else []
        return argv


def redacting(options: PipelineOptions) -> PipelineOptions:
    """``options`` for a command that writes a pack: each input's redacted copy is found while
    it is parsed (ReadOptions.redact)."""
    return replace(options, reading=replace(options.reading, redact=True))


@dataclass(frozen=True, slots=True)
class Assessed:
    """One run of the pipeline: what was read, the reachability computed, the assessment."""

    inputs: LoadedInputs
    reach: Reachability
    assessment: Assessment
    """With the command line and, when the inputs are in Git, ``provenance.git``."""
    connectivity: PairMap | None = None
    """The pack's map of every allowed pair, when asked for (``with_map``)."""


def read_inputs(paths: Sequence[str], options: PipelineOptions, *, git_ref: str | None = None,
                stdin: TextIO | None = None, git: GitOptions | None = None) -> LoadedInputs:
    """``paths`` (at ``git_ref`` when given) without the config file."""
    return load_inputs(paths, git_ref=git_ref, require_clean=options.require_clean,
                       exclude=[options.config_path] if options.config_path else [],
                       stdin=stdin, options=git or options.git, reading=options.reading,
                       processes=options.process_count())


def repository_paths(inputs: LoadedInputs) -> dict[str, str]:
    """Input path as findings name it -> its path in the repository (``provenance.git.files``);
    inputs outside the repository (standard input, another folder) are left out."""
    if inputs.repository is None:
        return {}
    if inputs.ref is not None:  # read from the repository's objects: already its paths
        return {s.path: s.path for s in inputs.sources}
    paths = {}
    for source in (s for s in inputs.sources if s.path != STDIN_NAME):
        try:
            paths[source.path] = repo_relative(inputs.repository, os.path.abspath(source.file))
        except GitError:  # outside the repository: no history to point to
            continue
    return paths


@contextmanager
def _collecting_no_cycles() -> Iterator[None]:
    """No automatic garbage collection while assessing. The checks make and drop many small
    objects (evidence, causes, findings) and large lists, freed by reference counting: they
    make few cycles. Each collection still walks every young container, lists of millions of
    numbers included; a 10,000-workload check spent ~2.3 s in ~270 collections, and peaked
    ~330 MB higher with them than without (5,000 workloads: ~0.5 s, ~90 MB). What outlives
    the assessment is then frozen (:func:`reporter.collection.settled`)."""
    previous = gc.get_threshold()
    gc.set_threshold(0)
    try:
        yield
    finally:
        settled()
        gc.set_threshold(*previous)


class Assessor:
    """The pipeline with one config, catalog and clock: every run it makes is comparable."""

    def __init__(self, options: PipelineOptions) -> None:
        self.options = options

    @cached_property
    def _setup(self) -> tuple[LoadedConfig, Catalog]:
        from reporter.catalog import load_catalog
        from reporter.checks import REGISTRY
        from reporter.config import check_references, load_config

        loaded = load_config(self.options.config_path, self.options.config_found or (
            GIVEN if self.options.config_path else None))
        catalog = load_catalog(known_checks=REGISTRY)
        check_references(loaded, catalog.framework_ids, REGISTRY,
                         {f.id: f.requirement_ids for f in catalog.frameworks})
        return loaded, catalog

    @property
    def loaded_config(self) -> LoadedConfig:
        """The config every run of this assessor uses (found by :meth:`discover` if not given)."""
        return self._setup[0]

    @cached_property
    def now(self) -> datetime:
        return self.options.now or clock()

    @cached_property
    def processes(self) -> int:
        return self.options.process_count()

    @cached_property
    def git_options(self) -> GitOptions:
        """The options' Git settings, with the period (``--period``, else the config's) when
        they name no window of their own."""
        given = self.options.git
        start, end = self.period_dates
        if start is None or end is None or given.since or given.until:
            return given
        return replace(given, since=datetime.combine(start, time.min, UTC),
                       until=datetime.combine(end, time.max, UTC))

    def read(self, paths: Sequence[str], *, git_ref: str | None = None,
             stdin: TextIO | None = None, packed: bool = True) -> LoadedInputs:
        """``packed=False``: these inputs' copies go into no pack (the side a report compares
        with), so no redaction is found while they are parsed, whatever the options say."""
        options = self.options if packed else replace(
            self.options, reading=replace(self.options.reading, redact=False))
        inputs = read_inputs(paths, options, git_ref=git_ref, stdin=stdin, git=self.git_options)
        if not self.options.apply:
            return inputs
        from reporter.fix.recheck import applied
        from reporter.inventory.manifests import load_paths

        changes = load_paths(self.options.apply).policies
        return replace(inputs, inventory=applied(inputs.inventory, changes))

    def assess(self, inputs: LoadedInputs, command: Sequence[str] = (), *,
               with_map: bool = False) -> Assessed:
        """Reachability and the assessment of ``inputs``, their Git provenance attached;
        ``with_map``: and the pack's map, made beside the checks (from the pair scan they
        share, while a process is free) rather than after them."""
        from reporter.assess import assess
        from reporter.render.pairmap import pair_map
        from reporter.workers import Task

        loaded, catalog = self._setup
        reach = self.analyse(inputs.inventory)
        skipped = [SkippedItem(kind="File", name=s.path, location=Location(file=s.path),
                               reason=CONFIG_SKIPPED) for s in inputs.excluded]
        with _collecting_no_cycles():
            assessment, beside = assess(
                reach, catalog, loaded, now=self.now, tool_version=tool_version(),
                frameworks=self.options.frameworks, command=command, skipped=skipped,
                processes=self.processes,
                beside=[Task("pair map", partial(pair_map, reach), heavy=True)] if with_map
                else [])
        label = _state_label(inputs, self.now)
        if self.options.apply:
            label += f", with the NetworkPolicies of {', '.join(self.options.apply)} applied"
        if inputs.inventory.proposals:
            label += (f", with {counted(len(inputs.inventory.proposals), 'proposal')} of "
                      "reporter fix read as deployed")
        update: dict[str, object] = {"period": point_in_time(label, *self.period_dates)}
        if inputs.provenance is not None:
            recorded = inputs.provenance.to_dict()
            recorded["repository_paths"] = repository_paths(inputs)
            update["provenance"] = {GIT_PROVENANCE: recorded}
        return Assessed(inputs, reach, assessment.model_copy(update=update),
                        cast("PairMap", beside[0]) if with_map else None)

    def analyse(self, inventory: Inventory) -> Reachability:
        """The map of ``inventory``, as :meth:`assess` makes it."""
        from reporter.netpol.engine import analyse

        return analyse(inventory, ipblock_matches_pod_ips=self.options.ipblock_matches_pod_ips)

    def check_results(self, inventory: Inventory, checks: Collection[str]) -> list[CheckResult]:
        """Only these checks' results on ``inventory``, exceptions applied (as :meth:`assess`
        judges them), with no requirement judged: for runs that only compare findings."""
        from reporter.assess import check_results

        return check_results(self.analyse(inventory), self._setup[0], checks, now=self.now)

    @property
    def period_dates(self) -> tuple[date | None, date | None]:
        """The period asked for: ``--period``, else the config's; (None, None) without one."""
        if self.options.period is not None:
            return self.options.period
        period = self._setup[0].config.period
        return (period.start, period.end) if period else (None, None)

    def discover(self, paths: Sequence[str]) -> None:
        """Without ``--config``, take the ReporterConfig among ``paths`` (or at the root of their
        repository); done once, before the config is first read, so every run shares it."""
        if (self.options.config_path is not None or not self.options.discover_config
                or "_setup" in self.__dict__):
            return
        found = discover_config(paths)
        if found is not None:
            self.options = replace(self.options, config_path=found.path,
                                   config_found=found.how)

    def run(self, paths: Sequence[str], *, git_ref: str | None = None,
            stdin: TextIO | None = None, command: Sequence[str] = (),
            history: bool = False, with_map: bool = False, packed: bool = True) -> Assessed:
        """Read ``paths`` and assess them; config and catalog errors come before input ones.
        ``history``: with a period (``--period`` or the config's) and inputs in Git, assess
        every state of the period (reporter.period); ``with_map``: the pack's map of the
        state at its end (:meth:`assess`); ``packed``: as :meth:`read` takes it, for the one
        state read without ``history`` (a period's end is always read for its pack)."""
        self.discover(paths)
        _ = self._setup
        start, end = self.period_dates
        note = None
        if history and start is not None and end is not None:
            if not self.options.apply:
                from reporter.timeline import assess_period

                return assess_period(self, paths, start, end, git_ref=git_ref, stdin=stdin,
                                     command=command, with_map=with_map)
            # A proposal has no history: only the state with it applied is examined.
            note = (f"the period {start} to {end} was not examined: --apply judges "
                    "NetworkPolicies that are not committed, so only this state, with them "
                    "applied, was")
        assessed = self.assess(self.read(paths, git_ref=git_ref, stdin=stdin, packed=packed),
                               command, with_map=with_map)
        if note is None:
            return assessed
        from reporter.timeline import with_note

        return with_note(assessed, note)


def _state_label(inputs: LoadedInputs, now: datetime) -> str:
    """Point in time: the commit the inputs were read at, or the run's time outside Git."""
    if inputs.provenance is None:
        return f"point in time: state as of {now.isoformat()} (the inputs are not in Git)"
    label = f"point in time: state as of commit {inputs.provenance.commit[:12]}"
    if inputs.ref is None and inputs.provenance.repository.dirty_paths:
        label += ", with uncommitted changes to the inputs"
    return label
