"""Geometry of the network diagram: workloads (up to ``WORKLOAD_LEVEL``) or zones, and the
addresses outside the cluster, on a ring, flows as curved arrows; a matrix instead when the
arrows would be too many to follow.

Only positions are computed here; ``templates/_diagram.svg.j2`` draws them. Each arrow carries a
number that the table under the diagram explains, so labels never overlap on the drawing.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from reporter.model import NAMESPACE_ZONE, ZONE_OVERLAP, ZoneFlow, ZoneSummary
from reporter.wording import counted

WIDTH = 760.0
NODE_W, NODE_H = 164.0, 50.0
_SEARCHED = 7
"""Up to this many nodes, every ring order is tried and the one with the shortest arrows kept."""
_BADGE_GAP = 26.0
_BADGE_AT = (0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75)
"""Where along its arrow a number may sit, in order of preference."""
OTHER_ADDRESSES = "other addresses"
SEPARATE_RANGES = 3
"""Up to this many address ranges outside the cluster get a node each; more share one."""
CONNECTED_NAMESPACES = "connected-to namespaces"
SEPARATE_NAMESPACES = 3
"""Up to this many namespaces in no zone that PCI DSS scoping made zones of their own (kind
``NAMESPACE_ZONE``) get a node each; more share one, or a large estate's diagram has a node
per namespace."""
ALL = "All Connections"
_BEND = 0.18
"""How far an arrow bows out, as a share of its length: A->B and B->A bow to opposite sides."""
_ARROW = 9.0
WORKLOAD_LEVEL = 30
"""Estates with up to this many workloads are drawn workload by workload; larger ones by zone."""
DENSE = 2.5
"""More arrows than this many per node (and more than 12 arrows): a matrix, not a drawing."""
PORTRAIT_COLUMNS = 16
"""Places a matrix may have on a portrait page (numbers up to 240); more: a landscape page."""
MATRIX_COLUMNS = 32
"""Places a matrix may have: 32 columns of numbers up to 992 (3 digits) fill a landscape A4
page. A workload-level map has up to WORKLOAD_LEVEL workloads and usually an address range or
two; more places: the table alone."""
LISTED_DESTINATIONS = 3
"""Destinations a row of the table beside a matrix names; more are pointed to in the matrix."""
EXTERNAL = "[External]"
_WORKLOAD = "workload:"
"""Marks the places of a workload-level drawing, whose subtitle is their kind and zone."""


def endpoint_key(name: str) -> tuple[int, int, int, str]:
    """Sorts address ranges numerically (IPv4 before IPv6), after cluster endpoints by name."""
    if not name.endswith(EXTERNAL):
        return (0, 0, 0, name)
    first = name.removesuffix(EXTERNAL).split("-", 1)[0]
    try:
        address = ipaddress.ip_address(first)
    except ValueError:
        return (1, 9, 0, name)
    return (1, address.version, int(address), name)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    label: str
    subtitle: str
    x: float
    y: float
    """Centre."""
    width: float
    in_scope: bool
    external: bool
    height: float = NODE_H

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2


@dataclass(frozen=True, slots=True)
class Edge:
    number: int
    flow: ZoneFlow
    """The zone flow drawn; several folded into one when they join the same two nodes."""
    path: str
    """SVG path data of the curve."""
    arrow: str
    """SVG points of the arrow head."""
    badge_x: float
    badge_y: float
    folded: int = 1
    """How many zone flows the edge stands for."""
    undeclared: int = 0
    """How many of those are undeclared."""


@dataclass(frozen=True, slots=True)
class _Curve:
    """A quadratic Bézier from ``start`` to ``end``, bent by ``control``."""

    start: tuple[float, float]
    control: tuple[float, float]
    end: tuple[float, float]

    def at(self, t: float) -> tuple[float, float]:
        (x0, y0), (cx, cy), (x1, y1) = self.start, self.control, self.end
        u = 1 - t
        return u * u * x0 + 2 * u * t * cx + t * t * x1, u * u * y0 + 2 * u * t * cy + t * t * y1


@dataclass(frozen=True, slots=True)
class Row:
    """A row of the connection table: the connections of one source on the same ports with the
    same verdict. Beside a drawing a row is one arrow; beside a matrix, or alone, it lists
    every destination the source reaches so (one row per connection filled 17 pages for a
    28-workload estate where nothing is declared)."""

    number: int
    destinations: tuple[str, ...]
    edge: Edge
    """The first connection's edge: its source, ports and verdict are the row's."""
    listed: bool = True
    """Whether the table names the destinations; else they are the matrix's cells marked with
    the row's number (more than LISTED_DESTINATIONS: the names would fill pages again)."""


@dataclass(frozen=True, slots=True)
class Diagram:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    folded_ranges: int = 0
    """Address ranges outside the cluster drawn as the one ``other addresses`` node."""
    level: str = "zone"
    """``workload`` or ``zone``: what a node is."""
    matrix: Matrix | None = None
    """Instead of the drawing, when it is dense."""
    drawn: bool = True
    """False when the drawing is left out (too dense): the matrix, or the table alone, stands
    for it."""
    folded_namespaces: ZoneSummary | None = None
    """The one node standing for many namespaces in no zone that PCI DSS puts in scope."""
    rows: tuple[Row, ...] = ()
    """The connection table."""


@dataclass(frozen=True, slots=True)
class Matrix:
    """Who may connect to whom: rows are sources, columns destinations, in ``names`` order."""

    names: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    """Per source and destination: the number of its row in the table, or None."""
    undeclared: frozenset[int] = field(default_factory=frozenset)
    """Numbers of the rows that are undeclared."""

    @property
    def wide(self) -> bool:
        """Whether it needs a landscape page."""
        return len(self.names) > PORTRAIT_COLUMNS


def _ring_cost(order: Sequence[str], flows: Sequence[ZoneFlow]) -> int:
    position = {name: i for i, name in enumerate(order)}
    steps = [abs(position[f.src] - position[f.dst]) for f in flows]
    return sum(min(s, len(order) - s) for s in steps)


def _node_names(zones: Sequence[ZoneSummary], flows: Sequence[ZoneFlow]) -> list[str]:
    """External parties (the internet) first, then zones in the ring order that keeps
    connected zones closest (in-scope zones first among equals)."""
    zone_names = [z.name for z in zones]
    external = sorted({n for f in flows for n in (f.src, f.dst)} - set(zone_names),
                      key=endpoint_key)
    rest = [z.name for z in zones if z.frameworks] + [z.name for z in zones if not z.frameworks]
    if len(external) + len(rest) > _SEARCHED:
        return external + rest
    orders = (external + list(p) for p in itertools.permutations(rest))
    return min(orders, key=lambda order: _ring_cost(order, flows))


def _ports(group: Sequence[ZoneFlow]) -> str:
    distinct = list(dict.fromkeys(f.ports for f in group))
    if ALL in distinct:
        return ALL
    if len(distinct) <= 2:
        return ", ".join(distinct)
    return f"{distinct[0]}, … ({len(distinct)} port sets)"


@dataclass(frozen=True, slots=True)
class _Folding:
    """Which endpoints of zone flows share one node, and what the diagram says about it."""

    zones: list[ZoneSummary]
    """The zones drawn: the namespace zones replaced by ``namespaces`` when it is set."""
    node_of: dict[str, str]
    ranges: int
    """Address ranges outside the cluster folded into ``OTHER_ADDRESSES``."""
    namespaces: ZoneSummary | None
    """The ``CONNECTED_NAMESPACES`` node, when namespace zones were folded."""


def fold_namespace_zones(zones: Sequence[ZoneSummary]
                         ) -> tuple[list[ZoneSummary], ZoneSummary | None]:
    """The zones, with more than ``SEPARATE_NAMESPACES`` namespace zones replaced by the one
    ``CONNECTED_NAMESPACES`` zone, which is also returned (None when nothing was folded)."""
    alone = [z for z in zones if z.kind == NAMESPACE_ZONE]
    if len(alone) <= SEPARATE_NAMESPACES:
        return list(zones), None
    folded = ZoneSummary(
        name=CONNECTED_NAMESPACES, kind=NAMESPACE_ZONE,
        frameworks=sorted({f for z in alone for f in z.frameworks}),
        namespaces=sorted({n for z in alone for n in z.namespaces}),
        workloads=sorted({w for z in alone for w in z.workloads}))
    return [z for z in zones if z.kind != NAMESPACE_ZONE] + [folded], folded


def _folding(zones: Sequence[ZoneSummary], flows: Sequence[ZoneFlow]) -> _Folding:
    ranges = {n for f in flows for n in (f.src, f.dst) if n.endswith(EXTERNAL)}
    node_of = dict.fromkeys(ranges, OTHER_ADDRESSES) if len(ranges) > SEPARATE_RANGES else {}
    drawn, namespaces = fold_namespace_zones(zones)
    if namespaces is not None:
        node_of |= {z.name: CONNECTED_NAMESPACES for z in zones if z.kind == NAMESPACE_ZONE}
    return _Folding(drawn, node_of, len(ranges) if len(ranges) > SEPARATE_RANGES else 0,
                    namespaces)


def fold_flows(flows: Sequence[ZoneFlow],
               node_of: dict[str, str]) -> list[tuple[ZoneFlow, int, int]]:
    """(flow, flows folded, undeclared among them) per edge, once ``node_of`` has moved
    endpoints onto shared nodes."""
    if not node_of:
        return [(f, 1, int(not f.declared)) for f in flows]
    groups: dict[tuple[str, str], list[ZoneFlow]] = {}
    for f in flows:
        groups.setdefault((node_of.get(f.src, f.src), node_of.get(f.dst, f.dst)), []).append(f)
    return [
        (group[0] if len(group) == 1 and (src, dst) == (group[0].src, group[0].dst) else
         ZoneFlow(src=src, dst=dst, ports=_ports(group),
                  declared=all(f.declared for f in group),
                  flows=sorted({n for f in group for n in f.flows})),
         len(group), sum(not f.declared for f in group))
        for (src, dst), group in groups.items()
    ]


def _subtitle(zone: ZoneSummary | None, folded_ranges: int, name: str) -> str:
    if name == OTHER_ADDRESSES and folded_ranges:
        return f"{folded_ranges} ranges outside the cluster"
    if name == CONNECTED_NAMESPACES and zone is not None:
        return (f"{len(zone.namespaces)} namespaces in no zone · "
                f"{len(zone.workloads)} workloads")
    if zone is None:
        return "in more than one zone" if ZONE_OVERLAP in name else "outside the cluster"
    if zone.kind.startswith(_WORKLOAD):
        return zone.kind.removeprefix(_WORKLOAD)
    return f"{zone.kind} · {len(zone.namespaces)} ns · {counted(len(zone.workloads), 'workload')}"


def _label(name: str) -> str:
    """``10.0.0.2-10.0.0.2[External]`` reads as ``10.0.0.2``; zone names stay as they are."""
    if not name.endswith(EXTERNAL):
        return name.split("[", 1)[0]  # a workload's kind is in its subtitle
    first, _, last = name.removesuffix("[External]").partition("-")
    return first if first == last or not last else f"{first} – {last}"


def _width(label: str, subtitle: str) -> float:
    """Wide enough for the label (bold, 13 units) and the subtitle (9.5 units)."""
    return max(NODE_W, 8.4 * len(label) + 24, 5.9 * len(subtitle) + 20)


def _clip(node: Node, tx: float, ty: float) -> tuple[float, float]:
    """Where the ray from a node's centre towards (tx, ty) leaves its box."""
    dx, dy = tx - node.x, ty - node.y
    if dx == 0 and dy == 0:
        return node.x, node.y
    scale = min(node.width / 2 / abs(dx) if dx else math.inf,
                node.height / 2 / abs(dy) if dy else math.inf)
    return node.x + dx * scale, node.y + dy * scale


def _arrow_head(x: float, y: float, fx: float, fy: float) -> str:
    """A triangle pointing at (x, y), coming from the direction of (fx, fy)."""
    angle = math.atan2(y - fy, x - fx)
    points = [(x, y)]
    for side in (-1, 1):
        a = angle + math.pi - side * 0.4
        points.append((x + _ARROW * math.cos(a), y + _ARROW * math.sin(a)))
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _curve(src: Node, dst: Node) -> _Curve:
    mx, my = (src.x + dst.x) / 2, (src.y + dst.y) / 2
    dx, dy = dst.x - src.x, dst.y - src.y
    # The control point sits off the chord on its right-hand side (seen from the source).
    control = (mx - dy * _BEND * 2, my + dx * _BEND * 2)
    return _Curve(_clip(src, *control), control, _clip(dst, *control))


def _box_distance(point: tuple[float, float], node: Node) -> float:
    dx = max(abs(point[0] - node.x) - node.width / 2, 0.0)
    dy = max(abs(point[1] - node.y) - node.height / 2, 0.0)
    return math.hypot(dx, dy)


def _badge(curve: _Curve, taken: list[tuple[float, float]],
           nodes: Sequence[Node]) -> tuple[float, float]:
    """The preferred spot along the curve that no other number or box crowds."""
    def room(point: tuple[float, float]) -> float:
        badges = min((math.dist(point, o) for o in taken), default=math.inf) - _BADGE_GAP
        boxes = min((_box_distance(point, n) for n in nodes), default=math.inf) - 12
        return min(badges, boxes)

    spots = [curve.at(t) for t in _BADGE_AT]
    return next((p for p in spots if room(p) >= 0), max(spots, key=room))


def _too_dense(edges: int, nodes: int) -> bool:
    """Whether a drawing would carry too many arrows: a matrix is shown instead."""
    return edges > max(12, DENSE * nodes)


def _edge(number: int, folded: tuple[ZoneFlow, int, int], src: Node, dst: Node,
          taken: list[tuple[float, float]] | None, nodes: Sequence[Node]) -> Edge:
    """``taken``: badges placed so far, or None when the edge is not drawn (a matrix is)."""
    flow, count, undeclared = folded
    if src is dst:  # a flow inside one zone: a loop over the box
        x, y = src.x, src.top
        path = (f"M{x - 30:.1f},{y:.1f} C{x - 45:.1f},{y - 48:.1f} "
                f"{x + 45:.1f},{y - 48:.1f} {x + 30:.1f},{y:.1f}")
        if taken is not None:
            taken.append((x, y - 36))
        return Edge(number, flow, path, _arrow_head(x + 30, y, x + 40, y - 30), x, y - 36,
                    count, undeclared)
    curve = _curve(src, dst)
    (sx, sy), (cx, cy), (ex, ey) = curve.start, curve.control, curve.end
    path = f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}"
    # Placing badges clear of each other is quadratic in the edges: only for a drawing.
    bx, by = curve.control if taken is None else _badge(curve, taken, nodes)
    if taken is not None:
        taken.append((bx, by))
    return Edge(number, flow, path, _arrow_head(ex, ey, cx, cy), round(bx, 1), round(by, 1),
                count, undeclared)


def zone_diagram(zones: Sequence[ZoneSummary], zone_flows: Sequence[ZoneFlow]) -> Diagram:
    """Zones evenly spaced on a ring, starting at the left with the internet."""
    folding = _folding(zones, zone_flows)
    folded = fold_flows(zone_flows, folding.node_of)
    folded_ranges = folding.ranges
    zones = folding.zones
    flows = [f for f, _, _ in folded]
    names = _node_names(zones, flows)
    by_name = {z.name: z for z in zones}
    count = max(len(names), 1)
    labels = {n: _label(n) for n in names}
    subtitles = {n: _subtitle(by_name.get(n), folded_ranges, n) for n in names}
    widths = {n: _width(labels[n], subtitles[n]) for n in names}
    widest = max(widths.values(), default=NODE_W)
    width = max(WIDTH, 85.0 * count)  # more than ten zones: a wider ring, drawn smaller
    radius_x = width / 2 - widest / 2 - 10
    radius_y = max(120.0, min(40.0 * count, 260.0), 22.0 * count)
    top = NODE_H / 2 + 60  # room for loops over the top boxes
    nodes = []
    for i, name in enumerate(names):
        angle = math.pi + 2 * math.pi * i / count
        nodes.append(Node(
            name=name, label=labels[name], subtitle=subtitles[name],
            x=round(width / 2 + radius_x * math.cos(angle), 1),
            y=round(top + radius_y + radius_y * math.sin(angle), 1), width=round(widths[name], 1),
            in_scope=any(by_name[part].frameworks for part in name.split(ZONE_OVERLAP)
                         if part in by_name),
            external=name not in by_name and ZONE_OVERLAP not in name,
        ))
    placed = {n.name: n for n in nodes}
    ordered = sorted(folded, key=lambda e: (e[0].declared, endpoint_key(e[0].src),
                                            endpoint_key(e[0].dst)))  # undeclared first
    taken: list[tuple[float, float]] | None = (
        None if _too_dense(len(ordered), len(nodes)) else [])
    edges = tuple(_edge(i, e, placed[e[0].src], placed[e[0].dst], taken, nodes)
                  for i, e in enumerate(ordered, 1))
    height = top + 2 * radius_y + NODE_H / 2 + 20
    return Diagram(width, round(height, 1), tuple(nodes), edges, folded_ranges,
                   folded_namespaces=folding.namespaces,
                   rows=tuple(Row(e.number, (e.flow.dst,), e) for e in edges))


def _kind(workload: str) -> str:
    return workload.rsplit("[", 1)[-1].rstrip("]") if workload.endswith("]") else "workload"


def _zone_of(zones: Sequence[ZoneSummary]) -> dict[str, ZoneSummary]:
    return {w: z for z in zones for w in z.workloads}


def _declared(src: str, dst: str, zone_of: dict[str, ZoneSummary],
              zone_flows: Sequence[ZoneFlow]) -> bool:
    """A workload flow is declared when every zone flow between its zones is: a zone flow is
    the union of its workloads' flows, so this never calls an undeclared flow declared."""
    zone_names = {z.name for z in zone_of.values()}

    def ends(name: str) -> set[str] | None:
        zone = zone_of.get(name)
        return {zone.name} if zone else None  # None: outside the cluster, any external name

    src_zones, dst_zones = ends(src), ends(dst)
    between = [f for f in zone_flows
               if (f.src in src_zones if src_zones else f.src not in zone_names)
               and (f.dst in dst_zones if dst_zones else f.dst not in zone_names)]
    return bool(between) and all(f.declared for f in between)


def _grouped_rows(edges: Sequence[Edge]) -> tuple[Row, ...]:
    """One row per source, ports and verdict, in the order of the edges (undeclared first)."""
    grouped: dict[tuple[object, ...], list[Edge]] = {}
    for e in edges:
        key = (e.flow.src, e.flow.ports, e.flow.declared, tuple(e.flow.flows), e.folded,
               e.undeclared)
        grouped.setdefault(key, []).append(e)
    return tuple(Row(number, tuple(e.flow.dst for e in group), group[0])
                 for number, group in enumerate(grouped.values(), 1))


def _matrix(rows: Sequence[Row]) -> Matrix:
    names = sorted({n for r in rows for n in (r.edge.flow.src, *r.destinations)},
                   key=endpoint_key)
    number = {(r.edge.flow.src, dst): r.number for r in rows for dst in r.destinations}
    cells = tuple(tuple(number.get((src, dst)) for dst in names) for src in names)
    return Matrix(tuple(names), cells,
                  frozenset(r.number for r in rows if not r.edge.flow.declared))


def network_diagram(zones: Sequence[ZoneSummary], zone_flows: Sequence[ZoneFlow],
                    connections: Iterable[tuple[str, str, str]]) -> Diagram:
    """Workload by workload for small estates, zone by zone above ``WORKLOAD_LEVEL``
    workloads; a matrix when the drawing would carry too many arrows (the table alone when the
    matrix would be too wide to print). ``connections`` is read only at the workload level (a
    lazy iterable keeps large maps unexpanded)."""
    zone_of = _zone_of(zones)
    if not zone_of or len(zone_of) > WORKLOAD_LEVEL:
        diagram = zone_diagram(zones, zone_flows)
    else:
        places = [ZoneSummary(name=w, kind=f"{_WORKLOAD}{_kind(w)} in zone {z.name}",
                              frameworks=z.frameworks,
                              namespaces=[w.split("/", 1)[0]], workloads=[w])
                  for w, z in sorted(zone_of.items())]
        flows = [ZoneFlow(src=s, dst=d, ports=c, declared=_declared(s, d, zone_of, zone_flows))
                 for s, d, c in connections]
        drawn = zone_diagram(places, flows)
        diagram = replace(drawn, level="workload")
    if _too_dense(len(diagram.edges), len(diagram.nodes)):
        rows = _grouped_rows(diagram.edges)
        matrix = _matrix(rows)
        if len(matrix.names) > MATRIX_COLUMNS:
            return replace(diagram, drawn=False, rows=rows)
        return replace(diagram, drawn=False, matrix=matrix, rows=tuple(
            replace(r, listed=len(r.destinations) <= LISTED_DESTINATIONS) for r in rows))
    return diagram
