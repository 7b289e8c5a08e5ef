"""Catalog x checks x reachability -> :class:`Assessment`. Orchestration only: no I/O.

Each check runs once over every zone; a requirement is judged on the zones its framework (and
its own ``applies_to``) targets, from the findings of its checks in those zones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from reporter.catalog import Catalog, Framework
from reporter.catalog import Requirement as CatalogRequirement
from reporter.checks import REGISTRY, CheckContext, run_check
from reporter.checks.overview import policy_summaries, zone_flows, zone_summaries
from reporter.checks.registry import status_of
from reporter.checks.scope import ZoneScope
from reporter.config import ExceptionEntry, LoadedConfig
from reporter.diff.record import recorded_connections, with_specs
from reporter.errors import CatalogError
from reporter.inventory.model import Inventory
from reporter.model import (
    Assessment,
    CheckResult,
    Completeness,
    ExceptionResult,
    ExceptionState,
    Finding,
    FrameworkResult,
    InputSummary,
    Location,
    RequirementResult,
    SkippedItem,
    Status,
    roll_up,
)
from reporter.netpol.engine import Reachability
from reporter.netpol.pairs import summarise


def assess(
    reach: Reachability, catalog: Catalog, loaded: LoadedConfig, *, now: datetime,
    tool_version: str, frameworks: Sequence[str] = (), command: Sequence[str] = (),
    skipped: Sequence[SkippedItem] = (),
) -> Assessment:
    """Run the checks the selected frameworks need and judge every requirement.

    ``frameworks`` overrides the config's selection; ``skipped`` adds inputs left out before
    the inventory was built (e.g. the config file itself) to the completeness statement.
    """
    config = loaded.config
    selected = catalog.select(frameworks or config.frameworks)
    ctx = CheckContext(reach, config)
    check_ids = sorted({c for f in selected for r in f.requirements for c in r.checks})
    unknown = [c for c in check_ids if c not in REGISTRY]
    if unknown:
        raise CatalogError(f"the catalog names checks that do not exist: {', '.join(unknown)}")
    results = {c: run_check(REGISTRY[c], ctx) for c in check_ids}
    results, exceptions = apply_exceptions(results, config.exceptions, now)
    summary = summarise(reach)
    return Assessment(
        generated_at=now, tool_version=tool_version, organisation=config.organisation,
        cluster=config.cluster,
        period_start=config.period.start if config.period else None,
        period_end=config.period.end if config.period else None,
        command=list(command),
        frameworks=[framework_result(f, ctx.zones, results) for f in selected],
        checks=list(results.values()), exceptions=exceptions,
        zones=zone_summaries(ctx, selected), zone_flows=zone_flows(ctx),
        policies=with_specs(policy_summaries(ctx), reach.inventory),
        connectivity=summary.as_dict(),
        connections=recorded_connections(reach, summary.connected_pairs),
        completeness=completeness(reach.inventory, catalog, loaded, skipped),
    )


def target_matches(target: str, pattern: str) -> bool:
    """``*`` and ``?`` are wildcards; everything else, brackets included, is literal (targets
    such as ``ns/web[Deployment]`` are copied from findings as they are)."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                         for c in pattern)
    return re.fullmatch(expression, target) is not None


def apply_exceptions(
    results: dict[str, CheckResult], entries: Sequence[ExceptionEntry], now: datetime
) -> tuple[dict[str, CheckResult], list[ExceptionResult]]:
    """Active exceptions turn the FAIL findings they match into EXCEPTED; expired ones match
    but change nothing; each is reported with its state and the findings it matched."""
    today = now.date()
    updated = dict(results)
    states = []
    for entry in entries:
        result = updated.get(entry.check)
        matching = [f for f in (result.findings if result else [])
                    if f.status is Status.FAIL and target_matches(f.target, entry.target)]
        if entry.expires < today:
            state = ExceptionState.EXPIRED
        elif matching:
            state = ExceptionState.ACTIVE
            assert result is not None
            updated[entry.check] = _excepted(result, {f.fingerprint for f in matching}, entry.id)
        else:
            state = ExceptionState.UNUSED
        states.append(ExceptionResult(
            id=entry.id, check=entry.check, target=entry.target, reason=entry.reason,
            ticket=entry.ticket, approver=entry.approver, expires=entry.expires, state=state,
            matched=sorted(f.fingerprint for f in matching)))
    return updated, sorted(states, key=lambda e: e.id)


def _excepted(result: CheckResult, fingerprints: set[str], exception: str) -> CheckResult:
    findings = [
        f.model_copy(update={"status": Status.EXCEPTED, "exception": exception})
        if f.fingerprint in fingerprints and f.status is Status.FAIL else f
        for f in result.findings
    ]
    status = result.status if result.status is Status.NOT_APPLICABLE else status_of(
        findings, 1, result.error)
    return result.model_copy(update={"findings": findings, "status": status})


def _in_zones(finding: Finding, zones: set[str]) -> bool:
    return not finding.zones or bool(zones.intersection(finding.zones))


def requirement_result(framework: Framework, requirement: CatalogRequirement,
                       zones: Sequence[ZoneScope], results: dict[str, CheckResult]
                       ) -> RequirementResult:
    judged = [z.name for z in zones
              if z.judged_for(framework.id, framework.zone_kinds, requirement.applies_to)]
    base = RequirementResult(
        id=requirement.id, title=requirement.title, description=requirement.description,
        status=Status.MANUAL, checks=list(requirement.checks),
        manual=requirement.manual or None, maps_to=list(requirement.maps_to), zones=judged)
    if requirement.is_manual:
        return base
    if not judged:
        kinds = ", ".join(requirement.applies_to or framework.zone_kinds)
        return base.model_copy(update={
            "status": Status.NOT_APPLICABLE,
            "reason": f"no zone of kind {kinds} is configured, so nothing is in its scope"})
    names = set(judged)
    statuses: list[Status] = []
    fingerprints: list[str] = []
    for check_id in requirement.checks:
        result = results[check_id]
        relevant = [f for f in result.findings if _in_zones(f, names)]
        fingerprints += [f.fingerprint for f in relevant]
        if result.status in (Status.ERROR, Status.NOT_APPLICABLE):
            statuses.append(result.status)
        else:
            statuses.append(status_of(relevant, 1, None))
    errors = [f"{c}: {results[c].error}" for c in requirement.checks if results[c].error]
    return base.model_copy(update={"status": roll_up(statuses),
                                   "findings": sorted(set(fingerprints)),
                                   "reason": "; ".join(errors) or None})


def framework_result(framework: Framework, zones: Sequence[ZoneScope],
                     results: dict[str, CheckResult]) -> FrameworkResult:
    requirements = [requirement_result(framework, r, zones, results)
                    for r in framework.requirements]
    statuses = [r.status for r in requirements]
    return FrameworkResult(
        id=framework.id, name=framework.framework, version=framework.version,
        status=roll_up(statuses), counts={s: statuses.count(s) for s in Status},
        requirements=requirements)


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
            for s in inventory.skipped)],
        catalog_version=catalog.version, catalog_sha256=catalog.sha256,
        config_path=loaded.path, config_sha256=loaded.sha256,
    )
