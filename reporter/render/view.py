"""The report's view model: everything the templates show, computed from the Assessment and the
facts of the pack being written. Templates hold presentation only."""

from __future__ import annotations

import os
import re
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from reporter.inventory.model import COPY_REASON
from reporter.model import (
    NAMESPACE_ZONE,
    Assessment,
    ExceptionResult,
    ExceptionState,
    PolicySummary,
    ScopeEntry,
    SkippedItem,
    Status,
    ZoneSummary,
)
from reporter.pack import INPUTS
from reporter.render.changes import changes_since
from reporter.render.diagram import Diagram, fold_namespace_zones, network_diagram
from reporter.render.evidence import location_text
from reporter.render.findings import ZONES_NAMED, Findings, build_findings
from reporter.render.history import GitHistory, git_history
from reporter.render.key_findings import KeyFindings, key_findings
from reporter.render.lateral import LateralView, lateral_view
from reporter.render.limitations import HOST_NETWORK_SHOWN, limitations
from reporter.render.period_states import StatesTable, states_table
from reporter.render.review import ReviewView, review_view
from reporter.render.skipped import general_reason
from reporter.wording import counted

if TYPE_CHECKING:
    from reporter.diff.model import Delta
    from reporter.render.pairmap import PairMap
    from reporter.render.trend import HistoryView

PRINTED_POLICIES = 60
"""Up to this many policies the register prints every one; above (a large estate's hundreds of
pages), the ones the printed findings cite."""
SHOWN_WORKLOADS = 12
"""Zones with up to this many workloads list them; larger ones count them per namespace."""
SHOWN_SCOPE_NAMESPACES = 20
"""Namespaces in no zone that the PCI DSS scope table shows with their connections to the CDE;
the rest are named in one row (a large estate has hundreds)."""
STATUS_LOOK: Mapping[Status, tuple[str, str]] = {
    Status.PASS: ("✔", "PASS"),
    Status.FAIL: ("✘", "FAIL"),
    Status.ERROR: ("!", "ERROR"),
    Status.MANUAL: ("✎", "MANUAL"),
    Status.EXCEPTED: ("⊘", "EXCEPTED"),
    Status.NOT_APPLICABLE: ("–", "N/A"),
    Status.NOT_ASSESSED: ("∅", "NOT ASSESSED"),
}
"""Icon and word for each status: the report never relies on colour alone."""
HEADER_LENGTH = 90
"""Characters of the running header: it has one line."""
OWNER_SHORTEST = 12
"""Characters an owner is shortened to at the least to keep the header's scope and period
whole; with less room the line itself is cut."""
SHOWN_AFFECTED = 6
"""Workloads printed per finding grouped by cause; the rest are counted, and listed in
pack.json and the evidence index (the page budget of a large estate)."""
WHOLE_TABLE_ROWS = 12
"""A framework's requirement table up to this many rows is kept on one page (moved whole to the
next rather than split, e.g. a single row left on a page before the next chapter)."""


@dataclass(frozen=True, slots=True)
class PackFacts:
    """What the pack writer knows beyond the Assessment when the report is rendered."""

    run_id: str
    tool_sha256: str
    files: tuple[tuple[str, str], ...]
    """(path in the pack, sha256) of the files written before the report."""
    inputs_attached: Mapping[str, str]
    """Input path -> the path of its copy (redacted in place) in the pack."""
    connectivity: PairMap
    """The workload-level map, grouped."""
    connectivity_file: str
    evidence_file: str
    pack_file: str = "pack.json"
    """``pack.json``, or ``pack.json.gz`` in a pack that stores it compressed."""
    signing_key: str | None = None
    """Fingerprint of the key that signs SHA256SUMS."""
    previous: Assessment | None = None
    delta: Delta | None = None
    archive_history: HistoryView | None = None
    """``reporter run``: the archive's runs, for the chapter "History of the archive"."""


@dataclass(frozen=True, slots=True)
class ZoneView:
    zone: ZoneSummary
    listed_workloads: tuple[str, ...]
    """Every workload of a small zone; empty for a large one, counted by namespace instead."""
    per_namespace: tuple[tuple[str, int], ...]
    folded: bool = False
    """The one row for many namespaces in no zone that PCI DSS scoping made zones: its
    namespaces are named in the PCI DSS scope table, its workloads only counted."""


@dataclass(frozen=True, slots=True)
class SkippedGroup:
    kind: str
    reason: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttachedInput:
    """An input's copy in the pack, from ``provenance.report.attachments``."""

    attached: str
    sha256_attached: str
    redacted: str
    """The lines redacted, as ranges (``8, 12-14``), or ``none``."""
    at_own_path: bool = True
    """Attached as ``inputs/`` and the path as read (the inputs table names it only when not)."""


@dataclass(frozen=True, slots=True)
class ReportView:
    assessment: Assessment
    facts: PackFacts
    title: str
    subject: str
    keywords: str
    scope: str
    period: str
    state: str
    """What the evidence is a picture of: a commit and its date, or the files as read."""
    generated: str
    run_by: str
    """Who or what ran it: a CI job, a pod's service account, or a user on a host."""
    running_header: str
    findings: Findings
    changes: tuple[str, ...] | None
    """The executive summary's three lines on the previous review."""
    review: ReviewView | None
    """The chapter "Changes since the previous review"."""
    number: Mapping[str, int]
    """Chapter ID -> its number (the changes chapter, when present, is the second)."""
    zones: tuple[ZoneView, ...]
    pci_scope: tuple[ScopeEntry, ...]
    pci_scope_named: tuple[str, ...]
    """Connected-to namespaces beyond ``SHOWN_SCOPE_NAMESPACES``: named, their connections in
    pack.json."""
    kinds_read: tuple[tuple[str, int], ...]
    skipped: tuple[SkippedGroup, ...]
    command: str
    diagram: Diagram
    exceptions: tuple[tuple[ExceptionState, tuple[ExceptionResult, ...]], ...]
    """Non-empty states only."""
    exception_findings: Mapping[str, tuple[str, ...]]
    """Exception ID -> IDs of the findings it excepted."""
    policies: tuple[PolicySummary, ...]
    printed_policies: tuple[PolicySummary, ...]
    """All of them up to ``PRINTED_POLICIES``; above, those the printed findings cite."""
    limitations: tuple[str, ...]
    hashes: tuple[tuple[str, str], ...]
    history: GitHistory
    """Where the inputs came from, the commit each file is at, each policy's last change."""
    key_findings: KeyFindings
    attachments: Mapping[str, AttachedInput]
    """Input path -> its attached copy."""
    lateral: LateralView
    """The chapter "Lateral movement" (templates/_lateral.html.j2)."""
    period_states: StatesTable | None
    """The states of the period examined, unchanged runs folded ("Time examined")."""
    status_look: Mapping[Status, tuple[str, str]] = field(default_factory=lambda: STATUS_LOOK)
    shown_host_network: int = HOST_NETWORK_SHOWN
    affected_shown: int = SHOWN_AFFECTED
    zones_named: int = ZONES_NAMED
    whole_table_rows: int = WHOLE_TABLE_ROWS


def anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)


def _zone_views(zones: Sequence[ZoneSummary]) -> tuple[ZoneView, ...]:
    kept, folded = fold_namespace_zones(zones)
    return tuple(ZoneView(z, (), (), folded=True) if z is folded else _zone_view(z)
                 for z in kept)


def _scope_text(in_scope: Sequence[ZoneSummary]) -> str:
    """The zones in scope by name; many namespaces that PCI DSS scoping made zones counted."""
    kept, folded = fold_namespace_zones(in_scope)
    names = [f"{z.name} (holds no workload the map models)" if z.unpopulated else z.name
             for z in kept if z is not folded]
    if folded is not None:
        names.append(f"{len(folded.namespaces)} connected-to namespaces (see the PCI DSS scope)")
    return ", ".join(names) or "no zone in scope"


def _pci_scope(entries: Sequence[ScopeEntry]) -> tuple[tuple[ScopeEntry, ...], tuple[str, ...]]:
    """The scope table's rows, and the namespaces beyond ``SHOWN_SCOPE_NAMESPACES`` it names."""
    namespaces = [e for e in entries if e.kind == NAMESPACE_ZONE]
    rest = {id(e) for e in namespaces[SHOWN_SCOPE_NAMESPACES:]}
    return (tuple(e for e in entries if id(e) not in rest),
            tuple(e.name for e in namespaces[SHOWN_SCOPE_NAMESPACES:]))


def _zone_view(zone: ZoneSummary) -> ZoneView:
    if len(zone.workloads) <= SHOWN_WORKLOADS:
        return ZoneView(zone, tuple(zone.workloads), ())
    counts = Counter(w.split("/", 1)[0] for w in zone.workloads)
    return ZoneView(zone, (), tuple(sorted(counts.items())))


def _skipped(items: Sequence[SkippedItem]) -> tuple[SkippedGroup, ...]:
    groups: dict[tuple[str, str], list[SkippedItem]] = {}
    for item in items:
        groups.setdefault((item.kind, general_reason(item.reason)), []).append(item)
    return tuple(
        SkippedGroup(kind, reason, len(members),
                     tuple(_skipped_example(m) for m in members[:3]))
        for (kind, reason), members in sorted(groups.items())
    )


def _skipped_example(item: SkippedItem) -> str:
    """``name (file:line)``, or only ``file`` for a whole file (named by its path)."""
    if item.name == item.location.file:
        return item.location.file
    original = item.reason.removeprefix(COPY_REASON)
    copied = f", a copy of {original.strip()}" if original != item.reason else ""
    return f"{item.name} ({location_text(item.location)}{copied})"


def _exceptions(assessment: Assessment, ids: Mapping[str, str]) -> tuple[
        tuple[tuple[ExceptionState, tuple[ExceptionResult, ...]], ...], dict[str, tuple[str, ...]]]:
    by_state = tuple(
        (state, items) for state in (ExceptionState.ACTIVE, ExceptionState.EXPIRED,
                                     ExceptionState.UNUSED)
        if (items := tuple(e for e in assessment.exceptions if e.state is state))
    )
    findings = {e.id: tuple(sorted(ids[fp] for fp in e.matched if fp in ids))
                for e in assessment.exceptions}
    return by_state, findings


def _short_list(names: Sequence[str], shown: int = 3) -> str:
    """At most ``shown`` names, then how many more: the running header has one line."""
    if not names:
        return "none"
    more = f" +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _period(assessment: Assessment) -> str:
    """The period examined; a period only configured is said to be not examined."""
    if assessment.period is not None:
        return "; ".join([assessment.period.label, *assessment.period.notes])
    start, end = assessment.period_start, assessment.period_end
    if start and end:
        return f"{start.isoformat()} to {end.isoformat()}"
    if start or end:
        return f"from {start.isoformat()}" if start else f"until {end.isoformat()}"  # type: ignore[union-attr]
    return "not stated (point-in-time)"


def _period_brief(assessment: Assessment) -> str:
    """For the running header: the period only when it was examined, and only up to the run
    when it had not ended then."""
    period = assessment.period
    if period is not None and period.examined and period.start and period.end:
        if period.examined_to is not None:
            return f"{period.start.isoformat()} to {period.examined_to.isoformat()}, to date"
        return f"{period.start.isoformat()} to {period.end.isoformat()}"
    return "point in time" if period is not None else _period(assessment)


def _hashes(assessment: Assessment, facts: PackFacts) -> tuple[tuple[str, str], ...]:
    # The inputs and their attached copies are in the scope chapter's inputs table.
    done = assessment.completeness
    rows = [(f"catalog {done.catalog_version}", done.catalog_sha256)]
    if done.config_path and done.config_sha256:
        rows.append((f"configuration {done.config_path}", done.config_sha256))
    rows.append((f"tool compliance-reporter {assessment.tool_version}", facts.tool_sha256))
    rows += [(f"pack {path}", digest) for path, digest in facts.files
             if path not in facts.inputs_attached.values()]
    return tuple(rows)


def line_ranges(lines: Sequence[int]) -> str:
    """``1, 2, 3, 7`` as ``1-3, 7``; ``none`` when empty."""
    ranges: list[list[int]] = []
    for line in sorted(lines):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges) or "none"


SHOWN_RANGES_LENGTH = 40
"""Redacted line ranges longer than this are counted in print (pack.json lists each line)."""


def redacted_text(lines: Sequence[int], pack_file: str) -> str:
    ranges = line_ranges(lines)
    if len(ranges) <= SHOWN_RANGES_LENGTH:
        return ranges
    return f"{len(lines)} lines in {ranges.count(',') + 1} places (each in {pack_file})"


def _attachments(assessment: Assessment, pack_file: str) -> dict[str, AttachedInput]:
    records = ((assessment.provenance or {}).get("report") or {}).get("attachments") or []
    return {r["path"]: AttachedInput(r["attached"], r["sha256_attached"],
                                     redacted_text(r["redacted_lines"], pack_file),
                                     r["attached"] == f"{INPUTS}/{r['path']}")
            for r in records}


def _chapter_numbers(with_changes: bool) -> dict[str, int]:
    chapters = ["summary", "findings", "manual", *(["changes"] if with_changes else []),
                "scope", "network", "lateral", "registers", "appendix"]
    return {chapter: number for number, chapter in enumerate(chapters, start=1)}


def _owner(assessment: Assessment) -> str:
    """The organisation and cluster; else the folder the inputs were read from, the Git
    repository when that is its root, or the files themselves when they are one or two."""
    named = " / ".join(n for n in (assessment.organisation, assessment.cluster) if n)
    if named:
        return named
    paths = sorted({i.path for i in assessment.completeness.inputs if not i.path.startswith("<")})
    if not paths:
        return "standard input"
    folders = [PurePosixPath(p.split(":", 1)[-1]).parent.as_posix() for p in paths]
    common = PurePosixPath(os.path.commonpath(folders)).as_posix() if folders else "."
    if common not in ("", "."):
        return common
    if len(paths) <= 2:
        return ", ".join(paths)
    remote = ((assessment.git_provenance or {}).get("repository") or {}).get("remote_url")
    where = f" of {_repository_name(remote)}" if remote else ""
    return f"{counted(len(paths), 'input file')}{where}"


def _repository_name(remote_url: str) -> str:
    """``owner/name`` of a remote URL (https, ssh or a path), without ``.git``."""
    parts = [p for p in remote_url.replace(":", "/").rstrip("/").split("/") if p]
    return "/".join(parts[-2:]).removesuffix(".git")


def _state(assessment: Assessment, history: GitHistory) -> str:
    git = assessment.git_provenance or {}
    commit = git.get("commit") or (git.get("repository") or {}).get("head")
    if history.tracked and commit:
        date = next((str(c["committer"]["date"]) for c in git.get("commits", [])
                     if c.get("sha") == commit), "")
        when = f" ({date[:10]})" if date else ""
        dirty = "; some inputs differ from it" if history.uncommitted_policy_files else ""
        return f"state as of commit {commit[:12]}{when}{dirty}"
    return f"files as read on {assessment.generated_at:%Y-%m-%d} (not under version control)"


def _run_by(assessment: Assessment) -> str:
    runner = ((assessment.provenance or {}).get("report") or {}).get("runner") or {}
    return str(runner.get("description") or "not recorded")


def _header(owner: str, zones: Sequence[str], period: str) -> str:
    """One line: the scope lists fewer zones before anything is cut, so the period stays
    whole; only an owner too long for the line is shortened."""
    for shown in (3, 2, 1):
        rest = " · ".join((f"scope: {_short_list(zones, shown)}", period))
        text = f"{owner} · {rest}"
        if len(text) <= HEADER_LENGTH:
            return text
    room = HEADER_LENGTH - len(rest) - len(" · ")
    if room >= OWNER_SHORTEST:
        return f"{owner[:room - 1].rstrip()}… · {rest}"
    return text[:HEADER_LENGTH - 1].rstrip() + "…"


def build_view(assessment: Assessment, facts: PackFacts) -> ReportView:
    findings = build_findings(assessment)
    in_scope = [z for z in assessment.zones if z.frameworks]
    scope = _scope_text(in_scope)
    owner = _owner(assessment)
    period = _period(assessment)
    exceptions, exception_findings = _exceptions(assessment, findings.ids)
    names = [f"{f.name} {f.version}" for f in assessment.frameworks]
    policies = tuple(sorted(assessment.policies, key=lambda p: p.key))
    history = git_history(assessment.git_provenance, policies)
    printed = policies
    if len(policies) > PRINTED_POLICIES:  # pack.json and the input copies hold every one
        cited = {key for view in findings.shown for key in view.finding.policies}
        printed = tuple(p for p in policies if p.key in cited)[:PRINTED_POLICIES]
    pci_scope, pci_scope_named = _pci_scope(assessment.pci_scope)
    return ReportView(
        assessment=assessment, facts=facts,
        title=f"Network segmentation evidence: {owner}",
        subject=f"Kubernetes NetworkPolicy evidence for {', '.join(names) or 'no framework'}; "
                f"scope {scope}; period {period}",
        keywords=", ".join([*names, "NetworkPolicy", "network segmentation", "evidence pack"]),
        scope=scope, period=period, state=_state(assessment, history),
        generated=assessment.generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        run_by=_run_by(assessment),
        running_header=_header(owner, [z.name for z in in_scope],
                               _period_brief(assessment)),
        findings=findings,
        changes=changes_since(facts.previous, assessment) if facts.previous else None,
        review=review_view(facts.delta) if facts.delta else None,
        number=_chapter_numbers(facts.delta is not None),
        zones=_zone_views(assessment.zones),
        pci_scope=pci_scope, pci_scope_named=pci_scope_named,
        kinds_read=tuple(sorted(assessment.completeness.kinds_read.items())),
        skipped=_skipped(assessment.completeness.skipped),
        command=shlex.join(assessment.command),
        diagram=network_diagram(assessment.zones, assessment.zone_flows,
                                facts.connectivity.rows()),
        exceptions=exceptions, exception_findings=exception_findings,
        policies=policies, printed_policies=printed,
        limitations=limitations(assessment, history.tracked),
        hashes=_hashes(assessment, facts),
        history=history,
        key_findings=key_findings(assessment, findings.ids),
        attachments=_attachments(assessment, facts.pack_file),
        lateral=lateral_view(assessment),
        period_states=states_table(assessment.period) if assessment.period else None,
    )
