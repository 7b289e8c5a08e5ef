"""The connectivity map in np-guard/netpol-analyzer's ``list`` formats: txt, json, csv, md, dot."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator

from reporter.netpol.engine import Endpoint, Reachability
from reporter.netpol.pairs import sorted_pairs

FORMATS = ("txt", "json", "csv", "md", "dot")
Row = tuple[str, str, str]


def map_rows(reach: Reachability, focus: str | None = None) -> Iterator[Row]:
    """(src, dst, conn) rows, sorted; ``focus`` keeps rows touching workload ``ns/name``."""
    keys = [e.key for e in reach.endpoints]
    focused = None
    if focus is not None:
        focused = {e.index for e in reach.endpoints if e.workload and e.workload.ref == focus}
    texts: dict[int, str] = {}
    for s, d, mask in sorted_pairs(reach):
        if focused is None or s in focused or d in focused:
            text = texts.get(mask)
            if text is None:
                text = texts[mask] = str(reach.ports.connection_set(mask))
            yield keys[s], keys[d], text


def zone_of(endpoint: Endpoint, reach: Reachability, label: str) -> str:
    if endpoint.workload is None:
        return endpoint.key
    ns = reach.inventory.namespace(endpoint.workload.namespace)
    value = ns.labels.get(label) if ns else None
    return f"{label}={value}" if value is not None else f"{label} unset"


def zone_rows(reach: Reachability, label: str) -> Iterator[Row]:
    """The map folded onto zones (namespace label values); connections are unions."""
    zones = [zone_of(e, reach, label) for e in reach.endpoints]
    folded: dict[tuple[str, str], int] = defaultdict(int)
    for s, d, mask in sorted_pairs(reach):
        folded[zones[s], zones[d]] |= mask
    for (src, dst), mask in sorted(folded.items()):
        yield src, dst, str(reach.ports.connection_set(mask))


def render(rows: Iterable[Row], fmt: str) -> str:
    rows = list(rows)
    if fmt == "txt":
        return "".join(f"{s} => {d} : {c}\n" for s, d, c in rows)
    if fmt == "json":
        return _json(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("src", "dst", "conn"))
        writer.writerows(rows)
        return out.getvalue()
    if fmt == "md":
        lines = ["| src | dst | conn |", "|-----|-----|------|"]
        lines += [f"| {s} | {d} | {c} |" for s, d, c in rows]
        return "\n".join(lines) + "\n"
    return _dot(rows)


def _json(rows: list[Row]) -> str:
    """Same text as ``json.dumps(objects, indent=2)``, without building a million dicts."""
    if not rows:
        return "[]\n"
    quoted: dict[str, str] = {}

    def q(text: str) -> str:
        found = quoted.get(text)
        if found is None:
            found = quoted[text] = json.dumps(text)
        return found

    items = [
        f'  {{\n    "src": {q(s)},\n    "dst": {q(d)},\n    "conn": {q(c)}\n  }}'
        for s, d, c in rows
    ]
    return "[\n" + ",\n".join(items) + "\n]\n"


def _dot_id(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid, escaped DOT ID


def _dot(rows: list[Row]) -> str:
    nodes = sorted({n for s, d, _ in rows for n in (s, d)})
    lines = ["digraph connectivity {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for node in nodes:
        shape = ', shape=ellipse, style=dashed' if node.endswith("[External]") else ""
        lines.append(f"  {_dot_id(node)} [label={_dot_id(node)}{shape}];")
    lines += [
        f"  {_dot_id(s)} -> {_dot_id(d)} [label={_dot_id(c)}, fontsize=9];" for s, d, c in rows
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"
