"""``reporter paths`` output: text, JSON, Markdown and Graphviz dot views of a PathReport."""

from __future__ import annotations

import json
from typing import Any

from reporter.paths.search import AttackPath, PathReport, TargetPaths
from reporter.render.markdown import markdown_code, markdown_text
from reporter.wording import counted


def as_dict(report: PathReport) -> dict[str, Any]:
    return {
        "source": report.source, "destination": report.destination,
        "max_hops": report.max_hops,
        "summary": [_summary(t) for t in report.targets],
        "paths": [
            {"target": t.target, "entry": p.entry, "hops": len(p.hops),
             "steps": [{"src": h.src, "dst": h.dst, "ports": h.ports, "rules": list(h.rules),
                        "locations": [loc.model_dump(exclude_none=True) for loc in h.locations]}
                       for h in p.hops]}
            for t in report.exposed for p in t.paths
        ],
    }


def _summary(target: TargetPaths) -> dict[str, Any]:
    return {"target": target.target, "zones": list(target.zones), "min_hops": target.min_hops,
            "entry_workloads": target.entries, "paths_listed": len(target.paths)}


def render_json(report: PathReport) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"


def _headline(report: PathReport) -> str:
    exposed = report.exposed
    return (f"{len(exposed)} of {len(report.targets)} {report.destination} reachable from "
            f"{report.source} within {report.max_hops} hops")


def _hops(count: int | None) -> str:
    return "hop" if count == 1 else "hops"


def _path_lines(path: AttackPath, indent: str) -> list[str]:
    lines = [f"{indent}{' -> '.join(path.nodes)}  ({len(path.hops)} {_hops(len(path.hops))})"]
    for n, hop in enumerate(path.hops, 1):
        lines.append(f"{indent}  {n}. {hop.src} -> {hop.dst} : {hop.ports}")
        lines += [f"{indent}       {rule}" for rule in hop.rules]
    return lines


def render_txt(report: PathReport) -> str:
    lines = [_headline(report), ""]
    for target in report.exposed:
        lines.append(f"{target.target}  min {target.min_hops} {_hops(target.min_hops)}, "
                     f"{counted(target.entries, 'entry workload')}"
                     + (f"  [zone {', '.join(target.zones)}]" if target.zones else ""))
        for path in target.paths:
            lines += _path_lines(path, "  ")
        if target.entries > len(target.paths):
            more = counted(target.entries - len(target.paths), "more entry workload")
            lines.append(f"  … and {more} (--limit 0 lists all)")
        lines.append("")
    unreached = [t.target for t in report.targets if t.min_hops is None]
    if unreached:
        lines.append(f"not reachable within {report.max_hops} hops: {', '.join(unreached)}")
    return "\n".join(lines).rstrip() + "\n"


def render_md(report: PathReport) -> str:
    lines = [f"**{markdown_text(_headline(report))}**", ""]
    if report.exposed:
        what = "data store" if report.destination == "data stores" else "target"
        lines += [f"| {what} | min hops | entry workloads |", "| --- | ---: | ---: |"]
        lines += [f"| {markdown_code(t.target)} | {t.min_hops} | {t.entries} |"
                  for t in report.exposed]
        lines.append("")
    for target in report.exposed:
        for path in target.paths:
            lines.append(f"- {markdown_code(' → '.join(path.nodes))}")
            for hop in path.hops:
                lines.append(f"  - {markdown_code(hop.src)} → {markdown_code(hop.dst)} "
                             f"({markdown_text(hop.ports)}): "
                             + "; ".join(markdown_text(r) for r in hop.rules))
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(report: PathReport) -> str:
    """Every hop of the listed paths once, labelled with its ports."""
    edges: dict[tuple[str, str], str] = {}
    targets = {t.target for t in report.exposed}
    for target in report.exposed:
        for path in target.paths:
            for hop in path.hops:
                edges[hop.src, hop.dst] = hop.ports
    lines = ["digraph paths {", "  rankdir=LR;", "  node [shape=box];"]
    lines += [f"  {_quote(t)} [style=filled, fillcolor=\"#f4cccc\"];" for t in sorted(targets)]
    lines += [f"  {_quote(a)} -> {_quote(b)} [label={_quote(ports)}];"
              for (a, b), ports in sorted(edges.items())]
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDERERS = {"txt": render_txt, "json": render_json, "md": render_md, "dot": render_dot}
