"""The engineer's view of an assessment (rich): per framework and requirement the status, the
failing findings with their one-line reason and where to look; ``verbose`` adds the evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from reporter.inventory.classify import not_examined
from reporter.model import (
    SEVERITY_ORDER,
    Assessment,
    AttestationState,
    CheckResult,
    Coverage,
    ExceptionState,
    Finding,
    FrameworkResult,
    ManualState,
    RequirementResult,
    Severity,
    Status,
)
from reporter.render.findings import NAMED_PER_STATUS, ZONES_NAMED, zones_by_status
from reporter.render.history import DIRTY_SHOWN
from reporter.render.limitations import HOST_NETWORK_SHOWN
from reporter.render.skipped import RENDER_HINT, overlay_lines, skip_summary
from reporter.timeline import describe_window
from reporter.wording import counted, listed

STYLE = {
    Status.PASS: ("✓", "green"), Status.FAIL: ("✗", "bold red"), Status.MANUAL: ("?", "yellow"),
    Status.NOT_APPLICABLE: ("-", "dim"), Status.ERROR: ("!", "magenta"),
    Status.EXCEPTED: ("~", "cyan"), Status.NOT_ASSESSED: ("∅", "bold yellow"),
}
SEVERITY_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red",
                  Severity.MEDIUM: "yellow", Severity.LOW: "dim"}
SHOWN = (Status.FAIL, Status.ERROR, Status.EXCEPTED)
"""Finding statuses listed under a requirement."""
BRIEF_LIMIT = 5
"""Findings listed per requirement without --verbose."""
AFFECTED_LIMIT = 25
"""Affected workloads of a finding listed with --verbose; -o json has all of them."""


def status_text(status: Status) -> Text:
    mark, style = STYLE[status]
    return Text(f"{mark} {status.value:<14}", style=style) + " "  # never run into the ID


def _where(finding: Finding) -> str:
    return f"  ({finding.locations[0].place})" if finding.locations else ""


def _finding_lines(finding: Finding, verbose: bool) -> Iterator[Text]:
    line = Text("      ")
    line.append(finding.status.value, style=STYLE[finding.status][1])
    if finding.severity:
        line.append(f" [{finding.severity.value}]", style=SEVERITY_STYLE[finding.severity])
    line.append(f" {finding.check_id}: {finding.message}")
    if finding.exception:
        line.append(f" [exception {finding.exception}]", style="cyan")
    line.append(_where(finding), style="dim")
    yield line
    if not verbose:
        return
    if finding.fix:
        yield Text(f"          fix: {finding.fix}", style="dim")
    if finding.affected:
        rest = len(finding.affected) - AFFECTED_LIMIT
        more = f" and {rest} more (-o json lists them all)" if rest > 0 else ""
        yield Text(f"          affects {len(finding.affected)}: "
                   f"{', '.join(finding.affected[:AFFECTED_LIMIT])}{more}", style="dim")
    for location in finding.locations[1:]:
        yield Text(f"          at {location.place} {location.subject}".rstrip(), style="dim")
    if finding.ports:
        yield Text(f"          ports: {finding.ports}", style="dim")
    for detail in finding.details:
        yield Text(f"          {detail}", style="dim")


def parts_text(requirement: RequirementResult) -> str:
    """The two parts in brief: ``automated PASS (partial) · manual PENDING``."""
    parts = []
    if requirement.automated is not None:
        role = ("supporting only" if requirement.coverage is Coverage.NONE
                else requirement.coverage.value)
        parts.append(f"automated {requirement.automated.value} ({role})")
    if requirement.manual_state is not None:
        parts.append(f"manual {requirement.manual_state.value}")
    return " · ".join(parts)


def _severity_rank(finding: Finding) -> int:
    return SEVERITY_ORDER.index(finding.severity) if finding.severity else len(SEVERITY_ORDER)


def _zones_text(requirement: RequirementResult) -> str:
    """Each zone, with its status when they differ; beyond ``ZONES_NAMED`` zones, as the pack's
    matrix says it: how many zones per status, the first few named (a 5,000-workload estate's
    requirement has ~160 zones)."""
    zones, by_zone = requirement.zones, requirement.zone_status
    by_status = zones_by_status(by_zone)
    if len(zones) <= ZONES_NAMED:
        return ", ".join(f"{z} {by_zone[z].value}" if by_status and z in by_zone else z
                         for z in zones)
    if not by_status:
        return listed(zones, NAMED_PER_STATUS, "zone")
    return "; ".join(
        f"{count} {status.value} ({', '.join(named)}"
        f"{f' and {count - len(named)} more' if count > len(named) else ''})"
        for status, named, count in by_status)


def _requirement_lines(requirement: RequirementResult, findings: dict[str, Finding],
                       verbose: bool, banner: str | None) -> Iterator[Text]:
    line = Text("  ")
    line.append_text(status_text(requirement.status))
    line.append(f"{requirement.id:<22} {requirement.title}")
    if parts := parts_text(requirement):
        line.append(f"  [{parts}]", style="dim")
    if requirement.zones and requirement.automated is not None:
        line.append(f"  [zones: {_zones_text(requirement)}]", style="dim")
    yield line
    if requirement.reason and requirement.reason != banner:  # the framework's, said once
        yield Text(f"      {requirement.reason}", style="dim")
    if requirement.attestation is not None:
        a = requirement.attestation
        yield Text(f"      attested: {a.evidence} ({a.by}, {a.date})", style="dim")
    for caveat in requirement.caveats:
        yield Text(f"      caveat: {caveat}", style="yellow")
    shown = [findings[f] for f in requirement.findings
             if f in findings and findings[f].status in SHOWN]
    shown.sort(key=lambda f: (SHOWN.index(f.status), _severity_rank(f), f.check_id, f.target))
    limit = len(shown) if verbose else BRIEF_LIMIT
    for finding in shown[:limit]:
        yield from _finding_lines(finding, verbose)
    if len(shown) > limit:
        yield Text(f"      … and {len(shown) - limit} more (--verbose lists them)", style="dim")
    if verbose and requirement.manual_state is ManualState.PENDING and requirement.manual:
        yield Text(f"      manual evidence: {requirement.manual}", style="dim")


def _framework_lines(framework: FrameworkResult, findings: dict[str, Finding],
                     verbose: bool) -> Iterator[Text]:
    title = Text(f"{framework.name} {framework.version} ({framework.id}): ", style="bold")
    title.append_text(status_text(framework.status))
    counts = [f"{n} {s.value}" for s, n in framework.counts.items() if n]
    title.append(" · ".join(counts), style="dim")
    yield title
    if framework.reason:
        yield Text(f"  NOT ASSESSED: {framework.reason}", style="bold yellow")
    for requirement in framework.requirements:
        yield from _requirement_lines(requirement, findings, verbose, framework.reason)
    yield Text("")


def _check_errors(checks: list[CheckResult]) -> Iterator[Text]:
    for result in checks:
        if result.error:
            yield Text(f"! {result.check_id} could not judge: {result.error}", style="magenta")
        elif (unjudged := result.not_judged()) is not None:
            yield Text(f"! {result.check_id} {unjudged}", style="magenta")


def _exception_lines(assessment: Assessment) -> Iterator[Text]:
    if not assessment.exceptions:
        return
    yield Text("Exceptions", style="bold")
    styles = {ExceptionState.ACTIVE: "cyan", ExceptionState.EXPIRED: "bold red",
              ExceptionState.UNUSED: "yellow"}
    notes = {ExceptionState.ACTIVE: "excepts", ExceptionState.EXPIRED: "EXPIRED, no longer "
             "applies; it would match", ExceptionState.UNUSED: "UNUSED: matches no failing finding"}
    for entry in assessment.exceptions:
        count = ("" if entry.state is ExceptionState.UNUSED
                 else f" {counted(len(entry.matched), 'finding')}")
        yield Text(f"  {entry.id} {entry.check} {entry.target}: {notes[entry.state]}{count} "
                   f"(expires {entry.expires}, ticket {entry.ticket}, approved by "
                   f"{entry.approver})", style=styles[entry.state])
        if entry.applied_until:
            yield Text(f"    applied until {entry.applied_until}, inside the period",
                       style="yellow")
        for flag in entry.flags:
            yield Text(f"    FLAGGED: {flag}", style="yellow")
    yield Text("")


def _attestation_lines(assessment: Assessment) -> Iterator[Text]:
    stale = [a for a in assessment.attestations if a.state is not AttestationState.ACTIVE]
    if not stale:
        return
    yield Text("Attestations", style="bold")
    for entry in stale:
        yield Text(f"  {entry.framework} {entry.requirement}: {entry.state.value.upper()}, "
                   f"{entry.reason} ({entry.evidence}, {entry.by})", style="yellow")
    yield Text("")


def _scope_lines(assessment: Assessment) -> Iterator[Text]:
    """PCI DSS scope: the CDE, what is connected to it and by which flows, what is not."""
    if not assessment.pci_scope:
        return
    yield Text("PCI DSS scope", style="bold")
    for entry in assessment.pci_scope:
        what = entry.name if entry.kind != "namespace" else f"namespace {entry.name}"
        yield Text(f"  {entry.category}: {what}",
                   style="bold" if entry.category != "out-of-scope" else "dim")
        for flow in entry.flows:
            yield Text(f"    {flow}", style="dim")
    yield Text("")


def _period_lines(assessment: Assessment) -> Iterator[Text]:
    """What time the evidence covers; every failure of the period with its commits."""
    period = assessment.period
    if period is None:
        return
    yield Text("Period", style="bold")
    yield Text(f"  {period.label}", style="" if period.examined else "yellow")
    for note in period.notes:
        yield Text(f"  {note}", style="yellow")
    for window in period.windows:
        severity = f"{window.severity.value} " if window.severity else ""
        yield Text(f"  FAIL {severity}{describe_window(window)}", style="bold red")
        if window.fix:
            yield Text(f"    fix: {window.fix}", style="dim")
    yield Text("")


def _completeness_lines(assessment: Assessment, verbose: bool) -> Iterator[Text]:
    c = assessment.completeness
    yield Text("Completeness", style="bold")
    kinds = ", ".join(f"{k} {n}" for k, n in c.kinds_read.items()) or "no Kubernetes objects"
    # A file of comments only is read (an empty manifest): said, or "read 2 files" among
    # dozens skipped reads as if two held something.
    empty = sum(1 for i in c.inputs if not i.documents)
    holding = f" ({empty} with no YAML document)" if empty else ""
    yield Text(f"  read {counted(len(c.inputs), 'file')}{holding}: {kinds}")
    yield Text(f"  modelled {counted(c.namespaces, 'namespace')}, "
               f"{counted(c.workloads, 'workload')}, "
               f"{counted(c.policies, 'NetworkPolicy', 'NetworkPolicies')}")
    if c.host_network_workloads:
        names = c.host_network_workloads
        shown = listed(names, len(names) if verbose else HOST_NETWORK_SHOWN, "workload")
        more = "" if verbose or len(names) <= HOST_NETWORK_SHOWN else " (--verbose lists each)"
        yield Text(f"  hostNetwork (outside the policy model): {shown}{more}")
    for item in c.not_modelled:
        where = "every namespace" if item.namespaces == ["*"] else ", ".join(item.namespaces)
        yield Text(f"  present, not modelled: {item.kind} {item.name} "
                   f"({item.location.place}): the map may be wrong in {where}",
                   style="bold yellow")
    if verbose:
        for skipped in c.skipped:
            where = skipped.location.place
            yield Text(f"  skipped {skipped.kind} {skipped.name} ({where}): {skipped.reason}",
                       style="yellow")
    else:
        summary = skip_summary((s.kind, s.reason) for s in c.skipped)
        if summary:
            yield Text(f"  {summary}; --verbose lists each with its reason", style="yellow")
        for line in overlay_lines((s.kind, s.name, s.reason) for s in c.skipped):
            yield Text(f"  {line}", style="bold yellow")
    not_rendered = not_examined((s.kind, s.reason) for s in c.skipped)
    if not_rendered:
        yield Text(f"  {not_rendered}; {RENDER_HINT.format(command='check')}",
                   style="bold yellow")
    yield Text(f"  catalog {c.catalog_version} (sha256 {c.catalog_sha256[:12]})", style="dim")
    found = f", {c.config_found}" if c.config_found else ""
    config = f"{c.config_path} (sha256 {(c.config_sha256 or '')[:12]}{found})" if (
        c.config_path) else "none (defaults: the whole cluster is one zone)"
    yield Text(f"  config {config}", style="dim")


def _verdict(assessment: Assessment) -> Text:
    failing = Counter(fw.id for fw in assessment.frameworks for r in fw.requirements
                      if r.status is Status.FAIL)
    if failing:
        per_framework = ", ".join(f"{fw} {n}" for fw, n in failing.items())
        return Text(f"FAIL: {counted(sum(failing.values()), 'automated requirement')} fail "
                    f"({per_framework})", style="bold red")
    statuses = Counter(r.status for fw in assessment.frameworks for r in fw.requirements)
    rest = ", ".join(f"{statuses[s]} {s.value}" for s in (
        Status.PASS, Status.MANUAL, Status.NOT_ASSESSED, Status.EXCEPTED, Status.ERROR,
        Status.NOT_APPLICABLE) if statuses[s])
    return Text(f"no requirement fails ({rest}); PASS is claimed only where the checks pass "
                "and nothing manual is pending", style="bold green")


def _source_lines(git: Mapping[str, Any] | None) -> Iterator[Text]:
    """Where the inputs came from; uncommitted inputs stand out: the result names no commit."""
    if git is None:
        return
    repository = git["repository"]
    where = repository.get("remote_url") or "local repository"
    branch = f" on branch {repository['branch']}" if repository.get("branch") else ""
    read_at = f", read at {git['ref']}" if git.get("ref") else ""
    yield Text("Source", style="bold")
    yield Text(f"  Git {where}, commit {git['commit'][:12]}{branch}{read_at}")
    if git.get("history_unavailable"):
        yield Text(f"  history not available: {git['history_unavailable']}", style="yellow")
    if repository.get("dirty_paths"):
        yield Text(f"  DIRTY: these inputs are not as committed: "
                   f"{listed(repository['dirty_paths'], DIRTY_SHOWN, 'file')}", style="bold red")
    elif repository.get("dirty") and not git.get("ref"):
        yield Text("  the work tree has uncommitted changes, none in these inputs",
                   style="yellow")


def _banner_lines(assessment: Assessment) -> Iterator[Text]:
    """Frameworks that could not be assessed, first, where nobody misses them."""
    for framework in assessment.frameworks:
        if framework.reason:
            yield Text(f"NOT ASSESSED {framework.name} {framework.version}: {framework.reason}",
                       style="bold yellow")
    if any(f.reason for f in assessment.frameworks):
        yield Text("")


def render_terminal(assessment: Assessment, console: Console, *, verbose: bool = False) -> None:
    findings = {f.fingerprint: f for c in assessment.checks for f in c.findings}
    lines: list[Text] = [*_banner_lines(assessment)]
    for framework in assessment.frameworks:
        lines += _framework_lines(framework, findings, verbose)
    lines += _check_errors(assessment.checks)
    lines += _exception_lines(assessment)
    lines += _attestation_lines(assessment)
    lines += _scope_lines(assessment)
    lines += _period_lines(assessment)
    lines += _completeness_lines(assessment, verbose)
    lines += _source_lines(assessment.git_provenance)
    lines += [Text(""), _verdict(assessment)]
    for line in lines:
        console.print(line, soft_wrap=True)
