"""Whether a pull request makes the estate worse: BASE and HEAD assessed by one pipeline, their
Delta (``reporter diff``'s), the new connections with the rules allowing them, and the attack
paths on both sides.

HEAD is worse when a requirement that passed now fails, a new connection into a CDE/PHI zone or
from the internet is not covered by a declared flow, a data store gets a new (or shorter) path
from the internet, or a new finding is rated high or critical (or a failing one's cause now
affects more workloads). Findings that were there before, on the same workloads, do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reporter.checks import CheckContext
from reporter.config import Config
from reporter.diff import ConnectionChange, Delta, compute_delta
from reporter.diff.connections import parse_connection_set
from reporter.diff.model import FindingChange
from reporter.diff.render import widened_text
from reporter.diff.sides import assessed_side, parse_range
from reporter.model import Severity, Status
from reporter.netpol.connset import ConnectionSet
from reporter.paths import PathFinder, PathReport, Selection, datastores, endpoint_indices
from reporter.pipeline import Assessed, Assessor, PipelineOptions
from reporter.wording import counted

SENSITIVE_KINDS = ("cde", "phi")
SEVERE = (Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True, slots=True)
class NewConnection:
    """A connection HEAD allows and BASE did not (or on more ports)."""

    src: str
    dst: str
    opened: str
    """The ports newly allowed."""
    into: tuple[str, ...]
    """The CDE/PHI zones it enters from outside (``internet`` when it comes from there)."""
    undeclared: str | None
    """The part of ``opened`` no declared flow approves; None when all is declared."""
    rules: tuple[str, ...]
    """The rules on each side that allow it, with file:line."""

    @property
    def worse(self) -> bool:
        return bool(self.into) and self.undeclared is not None


@dataclass(frozen=True, slots=True)
class Reason:
    """One way HEAD is worse or better."""

    kind: str
    """requirement, connection, path or finding."""
    text: str


@dataclass(frozen=True, slots=True)
class GateResult:
    base: str
    head: str
    worse: tuple[Reason, ...]
    better: tuple[Reason, ...]
    connections: tuple[NewConnection, ...]
    delta: Delta
    max_hops: int
    notes: tuple[str, ...]
    """What the comparison could not judge."""
    config: str
    """The config both sides were assessed with, and how it was chosen."""

    @property
    def failed(self) -> bool:
        return bool(self.worse)


def run_gate(range_text: str, paths: Sequence[str], options: PipelineOptions,
             max_hops: int) -> GateResult:
    """Assess both ends of ``BASE..HEAD`` and judge HEAD against BASE."""
    old_ref, new_ref = parse_range(range_text)
    assessor = Assessor(options)
    inputs = list(paths) or ["."]
    base, head = (assessor.run(inputs, git_ref=ref) for ref in (old_ref, new_ref))
    delta = compute_delta(assessed_side(base, old_ref, "git"), assessed_side(head, new_ref, "git"))
    loaded = assessor.loaded_config  # --config, else the one discovered among the inputs
    config = loaded.config
    head_ctx = CheckContext(head.reach, config)
    connections = _new_connections(delta, head_ctx)
    worse, better = _status_reasons(delta)
    worse += _severe_findings(delta, head)
    worse += [Reason("connection", _connection_text(c)) for c in connections if c.worse]
    better += [Reason("connection", f"{c.src} -> {c.dst}: {c.closed} no longer allowed")
               for c in _changes(delta) if c.closed]
    path_worse, path_better = _path_reasons(_paths(base, config, max_hops),
                                            _paths(head, config, max_hops, head_ctx))
    notes = list(delta.notes)
    if delta.reachability is None or delta.reachability.level != "workload":
        notes.append("new connections were not judged: the exact map is missing or too large; "
                     "requirements and paths were")
    return GateResult(old_ref, new_ref, tuple(worse + path_worse), tuple(better + path_better),
                      tuple(connections), delta, max_hops, tuple(notes), loaded.describe())


def _status_reasons(delta: Delta) -> tuple[list[Reason], list[Reason]]:
    worse: list[Reason] = []
    better: list[Reason] = []
    if delta.status is None:
        return worse, better
    for req in delta.status.requirements:
        text = f"{req.framework} {req.id} {req.title}: {req.old} -> {req.new}"
        if req.change == "newly-failing" and req.old == Status.PASS:
            worse.append(Reason("requirement", text))
        elif req.change == "newly-passing":
            better.append(Reason("requirement", text))
    better += [Reason("finding", f"{f.check_id} {f.target}: resolved")
               for f in delta.status.findings if f.change == "newly-passing"]
    return worse, better


def _severe_findings(delta: Delta, head: Assessed) -> list[Reason]:
    """Findings failing at HEAD and not at BASE, or whose cause now affects more workloads,
    rated high or critical."""
    if delta.status is None:
        return []
    findings = {f.fingerprint: f for r in head.assessment.checks for f in r.findings}

    def new_harm(change: FindingChange) -> bool:
        finding = findings.get(change.fingerprint)
        if finding is None or finding.severity not in SEVERE:
            return False
        # A cause renamed (e.g. one more policy selects its workloads) with every workload
        # already failing the check is no new harm.
        return change.change == "widened" or (
            change.change == "newly-failing" and (not finding.affected or bool(change.added)))

    return [Reason("finding", f"{findings[f.fingerprint].severity}: {f.check_id} {f.target}: "
                              f"{f.message}" + widened_text(f))
            for f in delta.status.findings if new_harm(f)]


def _connection_text(c: NewConnection) -> str:
    where = ", ".join(f"zone {z}" if z != "internet" else "from the internet" for z in c.into)
    return f"new connection {c.src} -> {c.dst} ({c.undeclared}) {where}, not declared"


def _changes(delta: Delta) -> list[ConnectionChange]:
    if delta.reachability is None or delta.reachability.level != "workload":
        return []
    changes = list(delta.reachability.internet_exposure)
    return changes + [c for g in delta.reachability.groups for c in g.changes]


def _new_connections(delta: Delta, ctx: CheckContext) -> list[NewConnection]:
    finder = PathFinder(ctx)
    kinds = {z.name: z.kind for z in ctx.zones}
    found = []
    for change in (c for c in _changes(delta) if c.opened):
        opened = parse_connection_set(change.opened or "")
        sources, destinations = endpoint_indices(ctx, change.src), endpoint_indices(ctx, change.dst)
        undeclared, rules = ConnectionSet.empty(), []
        into: set[str] = set()
        for s in sources:
            if ctx.is_internet(s):
                into.add("internet")
            for d in destinations:
                zones = set(ctx.zones_of(d)) - set(ctx.zones_of(s))
                into |= {z for z in zones if kinds.get(z) in SENSITIVE_KINDS}
                mask = finder.graph.mask(s, d)
                if not mask:
                    continue
                gap = ctx.flows.coverage(s, d, mask).undeclared.intersection(opened)
                undeclared = undeclared.union(gap)
                rules += [r for r in finder.hop(s, d).rules if r not in rules]
        found.append(NewConnection(change.src, change.dst, str(opened), tuple(sorted(into)),
                                   None if undeclared.is_empty else str(undeclared),
                                   tuple(rules)))
    return found


def _paths(assessed: Assessed, config: Config, max_hops: int,
           ctx: CheckContext | None = None) -> PathReport:
    ctx = ctx or CheckContext(assessed.reach, config)
    stores = datastores(ctx)
    return PathFinder(ctx).search(Selection("internet", ctx.endpoints(internet=True),
                                            internet=True),
                                  Selection("data stores", ctx.endpoints(stores)), max_hops,
                                  limit=1)


def _path_reasons(base: PathReport, head: PathReport) -> tuple[list[Reason], list[Reason]]:
    before = {t.target: t for t in base.targets}
    worse, better = [], []
    for target in head.targets:
        was = before.get(target.target)
        old_hops = was.min_hops if was else None
        old_entries = was.entries if was else 0
        example = " -> ".join(target.paths[0].nodes) if target.paths else ""
        if target.min_hops is not None and (old_hops is None or target.min_hops < old_hops):
            hops = counted(target.min_hops, "hop")
            worse.append(Reason("path", f"new path to {target.target}: {hops} "
                                        f"(before: {old_hops or 'none'}), e.g. {example}"))
        elif target.entries > old_entries:
            worse.append(Reason("path", f"{target.target}: {target.entries} entry workloads "
                                        f"reach it (before: {old_entries}), e.g. {example}"))
        elif old_hops is not None and (target.min_hops is None or target.min_hops > old_hops):
            better.append(Reason("path", f"{target.target}: {target.min_hops or 'no path'} "
                                         f"within {head.max_hops} hops (before: {old_hops})"))
    return worse, better
