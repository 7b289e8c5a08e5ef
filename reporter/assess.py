"""Catalog x checks x reachability -> :class:`Assessment`. Orchestration only: no I/O.

Each check runs once over every zone; a requirement is judged on the zones its framework (and
its own ``applies_to``) targets, from the findings of its checks in those zones
(:mod:`reporter.judge`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import cast

from reporter.catalog import Catalog, Framework
from reporter.checks import REGISTRY, CheckContext, CheckSpec, run_check
from reporter.checks.overview import policy_summaries, zone_flows, zone_summaries
from reporter.checks.pci_scope import pci_scope
from reporter.checks.registry import status_of
from reporter.checks.severity import SeverityRater
from reporter.checks.traffic import summary as pair_summary
from reporter.config import ExceptionEntry, LoadedConfig, Period
from reporter.diff.record import recorded_connections, with_specs
from reporter.errors import CatalogError
from reporter.inventory.model import Inventory
from reporter.judge import attestation_results, framework_result, zone_statuses
from reporter.model import (
    Assessment,
    CheckResult,
    Completeness,
    ExceptionResult,
    ExceptionState,
    Finding,
    InputSummary,
    Location,
    NotModelledItem,
    PolicySummary,
    SkippedItem,
    Status,
    ZoneFlow,
)
from reporter.netpol.engine import Reachability
from reporter.netpol.pairs import Summary
from reporter.workers import Task, run_tasks


def assess(
    reach: Reachability, catalog: Catalog, loaded: LoadedConfig, *, now: datetime,
    tool_version: str, frameworks: Sequence[str] = (), command: Sequence[str] = (),
    skipped: Sequence[SkippedItem] = (), processes: int = 1, beside: Sequence[Task] = (),
) -> tuple[Assessment, list[object]]:
    """Run the checks the selected frameworks need and judge every requirement.

    ``frameworks`` overrides the config's selection; ``skipped`` adds inputs left out before
    the inventory was built (e.g. the config file itself) to the completeness statement; the
    checks of a large estate run on up to ``processes`` (:mod:`reporter.workers`), and so do
    the tasks ``beside`` them (e.g. the pack's map), whose results come second.
    """
    config = loaded.config
    selected = catalog.select(frameworks or config.frameworks)
    ctx = CheckContext(reach, config, loaded.problem)
    try:
        return _assessed(ctx, selected, catalog, loaded, now=now, tool_version=tool_version,
                         command=command, skipped=skipped, processes=processes, beside=beside)
    finally:
        ctx.release()


def _assessed(ctx: CheckContext, selected: tuple[Framework, ...], catalog: Catalog,
              loaded: LoadedConfig, *, now: datetime, tool_version: str,
              command: Sequence[str], skipped: Sequence[SkippedItem], processes: int,
              beside: Sequence[Task]) -> tuple[Assessment, list[object]]:
    reach, config = ctx.reach, loaded.config
    check_ids = sorted({c for f in selected for r in f.requirements for c in r.checks})
    unknown = [c for c in check_ids if c not in REGISTRY]
    if unknown:
        raise CatalogError(f"the catalog names checks that do not exist: {', '.join(unknown)}")
    rater = SeverityRater(ctx)
    # The costly parts, computed side by side where processes allow (after the pair scan
    # they all read, made once before any of them starts).
    checks = [REGISTRY[c] for c in check_ids]
    done = run_tasks([
        *(Task(spec.id, partial(_rated, spec, ctx, rater), spec.heavy) for spec in checks),
        Task("zone flows", partial(zone_flows, ctx), local=True),
        Task("policies", partial(_policies, ctx), local=True),
        Task("summary", partial(pair_summary, reach)),  # no second pass over the matrix
        *beside,
    ], processes if ctx.traffic.size >= SHARED_FROM else 1)
    results = dict(zip(check_ids, cast(list[CheckResult], done[:len(checks)]), strict=True))
    flows, policies, counted = done[len(checks):len(checks) + 3]
    summary = cast(Summary, counted)
    results, exceptions = apply_exceptions(results, config.exceptions, now, config.period,
                                           split=Splitter(ctx, rater))
    results = {c: r.model_copy(update={"zones": zone_statuses(r, ctx.zones)})
               for c, r in results.items()}
    attested, attestations = attestation_results(config.attestations, selected, now.date())
    assessment = Assessment(
        generated_at=now, tool_version=tool_version, organisation=config.organisation,
        cluster=config.cluster,
        period_start=config.period.start if config.period else None,
        period_end=config.period.end if config.period else None,
        command=list(command),
        frameworks=[framework_result(f, ctx, results, attested) for f in selected],
        checks=list(results.values()), exceptions=exceptions, attestations=attestations,
        zones=zone_summaries(ctx, selected), pci_scope=pci_scope(ctx),
        zone_flows=cast(list[ZoneFlow], flows),
        policies=cast(list[PolicySummary], policies),
        connectivity=summary.as_dict(),
        connections=recorded_connections(reach, summary.connected_pairs),
        completeness=completeness(reach.inventory, catalog, loaded, skipped),
    )
    return assessment, done[len(checks) + 3:]


def check_results(reach: Reachability, loaded: LoadedConfig, check_ids: Collection[str], *,
                  now: datetime) -> list[CheckResult]:
    """Only the checks named, rated and with the exceptions applied as :func:`assess` does,
    in one process, with no requirement judged and nothing summarised."""
    config = loaded.config
    ctx = CheckContext(reach, config, loaded.problem)
    try:
        rater = SeverityRater(ctx)
        results = {c: _rated(REGISTRY[c], ctx, rater) for c in sorted(check_ids)}
        results, _ = apply_exceptions(results, config.exceptions, now, config.period,
                                      split=Splitter(ctx, rater))
        return list(results.values())
    finally:
        ctx.release()


SHARED_FROM = 1 << 20
"""Entries of the pair scan (allowed (source, destination column) pairs) from which the checks
are worth sharing between processes: about 1,500 workloads of the varied benchmark profile,
where they take a second. Below, a fork and the results' pickling cost more than they save."""


def _policies(ctx: CheckContext) -> list[PolicySummary]:
    return with_specs(policy_summaries(ctx), ctx.inventory)


def _rated(spec: CheckSpec, ctx: CheckContext, rater: SeverityRater) -> CheckResult:
    return rater.rate(run_check(spec, ctx))


def target_matches(target: str, pattern: str) -> bool:
    """``*`` and ``?`` are wildcards; everything else, brackets included, is literal (targets
    such as ``ns/web[Deployment]`` are copied from findings as they are)."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                         for c in pattern)
    return re.fullmatch(expression, target) is not None


MAX_EXCEPTION_TERM = timedelta(days=366)
"""An exception expiring later than this after the run is flagged: re-approve at least yearly."""


def exception_flags(entry: ExceptionEntry, today: date) -> list[str]:
    if entry.expires - today > MAX_EXCEPTION_TERM:
        return [f"expires {entry.expires}, more than a year after the run: exceptions should "
                "be re-approved at least once a year"]
    return []


def applied_until(entry: ExceptionEntry, period: Period | None) -> date | None:
    """The last day an exception that expired inside the period still applied."""
    if period is not None and period.start <= entry.expires < period.end:
        return entry.expires
    return None


class Splitter:
    """Splits a finding grouped by cause when an exception names some of its workloads: the
    named ones are excepted, the rest still fail; each part keeps the zones of its own
    workloads and is rated again."""

    def __init__(self, ctx: CheckContext, rater: SeverityRater) -> None:
        self._zones = {ctx.name(i): set(ctx.zones_of(i)) for i in range(ctx.n_workloads)}
        self._rater = rater

    def part(self, finding: Finding, affected: list[str], **update: object) -> Finding:
        own = {z for a in affected for z in self._zones.get(a, ())}
        members = {z for a in finding.affected for z in self._zones.get(a, ())}
        # Zones of the other end (a tenant reached) stay with both parts.
        zones = [z for z in finding.zones if z in own or z not in members]
        part = finding.model_copy(update={"affected": affected, "zones": zones, **update})
        return part.model_copy(update={"severity": self._rater.severity(part)})


def _named(finding: Finding, pattern: str) -> list[str] | None:
    """What of a finding an exception names: all of it (its target, or every workload it
    affects), some of its affected workloads, or nothing (None)."""
    if target_matches(finding.target, pattern):
        return list(finding.affected)
    named = [a for a in finding.affected if target_matches(a, pattern)]
    return named or None


def apply_exceptions(
    results: dict[str, CheckResult], entries: Sequence[ExceptionEntry], now: datetime,
    period: Period | None = None, split: Splitter | None = None,
) -> tuple[dict[str, CheckResult], list[ExceptionResult]]:
    """Active exceptions turn the FAIL findings they match into EXCEPTED; expired ones match
    but change nothing; each is reported with its state and the findings it matched.

    An exception naming some of the workloads a finding affects excepts those only: the
    finding is split into an EXCEPTED part (its own fingerprint) and a FAIL part (the cause's).
    """
    today = now.date()
    updated = dict(results)
    states = []
    for entry in entries:
        result = updated.get(entry.check)
        matching = [(f, named) for f in (result.findings if result else [])
                    if f.status is Status.FAIL
                    and (named := _named(f, entry.target)) is not None]
        matched = [f.fingerprint for f, _ in matching]
        if entry.expires < today:
            state = ExceptionState.EXPIRED
        elif matching:
            state = ExceptionState.ACTIVE
            assert result is not None
            updated[entry.check], matched = _excepted(result, matching, entry.id, split)
        else:
            state = ExceptionState.UNUSED
        states.append(ExceptionResult(
            id=entry.id, check=entry.check, target=entry.target, reason=entry.reason,
            ticket=entry.ticket, approver=entry.approver, expires=entry.expires, state=state,
            matched=sorted(matched),
            flags=exception_flags(entry, today), applied_until=applied_until(entry, period)))
    return updated, sorted(states, key=lambda e: e.id)


def _excepted(result: CheckResult, matching: list[tuple[Finding, list[str]]], exception: str,
              split: Splitter | None) -> tuple[CheckResult, list[str]]:
    """The result with the matched findings (or their named parts) EXCEPTED, and the
    fingerprints of what was excepted."""
    named = {f.fingerprint: workloads for f, workloads in matching}
    findings: list[Finding] = []
    excepted: list[str] = []
    for f in result.findings:
        workloads = named.get(f.fingerprint) if f.status is Status.FAIL else None
        if workloads is None:
            findings.append(f)
        elif len(workloads) == len(f.affected):
            findings.append(f.model_copy(update={"status": Status.EXCEPTED,
                                                 "exception": exception}))
            excepted.append(f.fingerprint)
        else:
            rest = [a for a in f.affected if a not in set(workloads)]
            update = {"status": Status.EXCEPTED, "exception": exception,
                      "fingerprint": _part_fingerprint(f.fingerprint, exception)}
            part = (split.part(f, workloads, **update) if split is not None
                    else f.model_copy(update={"affected": workloads, **update}))
            findings.append(part)
            findings.append(split.part(f, rest) if split is not None
                            else f.model_copy(update={"affected": rest}))
            excepted.append(part.fingerprint)
    status = result.status if result.status is Status.NOT_APPLICABLE else status_of(
        findings, 1, result.error)
    return result.model_copy(update={"findings": findings, "status": status}), excepted


def _part_fingerprint(fingerprint: str, exception: str) -> str:
    """The excepted part of a finding: stable while the same exception applies to it."""
    return hashlib.sha256(f"{fingerprint}\x1f{exception}".encode()).hexdigest()[:12]


def completeness(inventory: Inventory, catalog: Catalog, loaded: LoadedConfig,
                 skipped: Sequence[SkippedItem] = ()) -> Completeness:
    """What was read, how much of each kind, and what was left out and why."""
    return Completeness(
        inputs=[InputSummary(path=f.path, sha256=f.sha256, documents=f.documents)
                for f in inventory.inputs],
        kinds_read=dict(sorted(inventory.kinds_read.items())),
        namespaces=len(inventory.namespaces), workloads=len(inventory.workloads),
        host_network_workloads=sorted(w.key for w in inventory.host_network),
        policies=len(inventory.policies),
        skipped=[*skipped, *(
            SkippedItem(kind=s.kind, name=f"{s.namespace}/{s.name}" if s.namespace else s.name,
                        reason=s.reason,
                        location=Location(file=s.origin.file, line=s.origin.line))
            for s in inventory.all_skipped())],
        not_modelled=[
            NotModelledItem(kind=p.kind, api_version=p.api_version, name=p.name,
                            namespaces=[p.namespace or "*"],
                            location=Location(file=p.origin.file, line=p.origin.line),
                            effect=p.effect)
            for p in inventory.not_modelled],
        catalog_version=catalog.version, catalog_sha256=catalog.sha256,
        config_path=loaded.path, config_sha256=loaded.sha256, config_found=loaded.found,
    )
