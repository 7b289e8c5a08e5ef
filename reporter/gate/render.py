"""``reporter gate`` output: a pull-request comment (Markdown), JSON, and plain terminal text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reporter.diff.model import as_plain
from reporter.diff.render import first_that_fits, left_out, widened_text
from reporter.gate.compute import GateResult, NewConnection, Reason
from reporter.render.markdown import markdown_code, markdown_text
from reporter.wording import counted

SHOWN = 50
"""Reasons, and new connections, listed in the comment and the terminal; the rest are counted
(``-o json`` has every one)."""
DIFF_LINES = 200
"""Lines of one policy's diff shown in the comment's details."""


def verdict(result: GateResult) -> str:
    if result.failed:
        return (f"FAIL: {result.head} is worse than {result.base} "
                f"({counted(len(result.worse), 'reason')})")
    return f"PASS: {result.head} is no worse than {result.base}"


def render_json(result: GateResult) -> str:
    data: dict[str, Any] = {
        "verdict": "fail" if result.failed else "pass",
        "base": result.base, "head": result.head, "max_hops": result.max_hops,
        "worse": as_plain(result.worse), "better": as_plain(result.better),
        "new_connections": [{**as_plain(c), "worse": c.worse} for c in result.connections],
        "notes": list(result.notes), "config": result.config,
        "delta": result.delta.to_dict(),
    }
    return json.dumps(data, indent=2) + "\n"


def _connection_row(c: NewConnection) -> str:
    flag = "**worse**" if c.worse else ("declared" if c.undeclared is None else "undeclared")
    into = ", ".join(markdown_text(z) for z in c.into) or "—"
    rules = "<br>".join(markdown_text(r) for r in c.rules) or "—"
    return (f"| {markdown_code(c.src)} | {markdown_code(c.dst)} | {c.opened} | {into} "
            f"| {flag} | {rules} |")


def _reasons(reasons: Sequence[Reason], shown: int, prefix: str, *, markdown: bool = False
             ) -> list[str]:
    lines = [f"{prefix}{r.kind}: {markdown_text(r.text) if markdown else r.text}"
             for r in reasons[:shown]] or [f"{prefix}nothing"]
    return lines + [prefix + line for line in left_out(len(reasons), shown, "reason")]


def _shown_connections(result: GateResult) -> list[NewConnection]:
    """The new connections, those that make the gate fail first."""
    return sorted(result.connections, key=lambda c: not c.worse)


def render_md(result: GateResult) -> str:
    """The comment, its lists shortened (and its details left out) until GitHub accepts it."""
    return first_that_fits(_comment(result, shown, details)
                           for shown, details in ((SHOWN, True), (SHOWN, False), (10, False)))


def _comment(result: GateResult, shown: int, details: bool) -> str:
    lines = [f"### reporter gate: {markdown_text(verdict(result))}", ""]
    lines += ["**What got worse**", "", *_reasons(result.worse, shown, "- ", markdown=True)]
    lines += ["", "**What got better**", "", *_reasons(result.better, shown, "- ", markdown=True)]
    if result.connections:
        connections = _shown_connections(result)
        lines += ["", "**New connections**", "",
                  "| from | to | newly allowed | into | | allowed by |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [_connection_row(c) for c in connections[:shown]]
        lines += ["", *left_out(len(connections), shown, "new connection")] if len(
            connections) > shown else []
    lines += ["", *[f"> {markdown_text(note)}" for note in result.notes]] if result.notes else []
    lines += ["", f"Config: {markdown_code(result.config)}"]
    if not details:
        lines += ["", "Details (policy changes and findings) left out: the comment would be too "
                      "long for GitHub; `-o json` and `reporter diff` have them."]
        return "\n".join(lines) + "\n"
    lines += ["", "<details><summary>Details: policy changes and findings</summary>", ""]
    for change in result.delta.policies:
        diff = change.diff.rstrip().splitlines()
        lines += [f"{change.change} {markdown_code(change.key)} "
                  f"({markdown_text(change.new_location or change.old_location or '')})", "",
                  "```diff",
                  *diff[:DIFF_LINES], "```", *left_out(len(diff), DIFF_LINES, "line"), ""]
    status = result.delta.status
    findings = list(status.findings) if status else []
    for finding in findings[:shown]:
        lines.append(f"- {finding.change}: {finding.check_id} {markdown_code(finding.target)}: "
                     f"{markdown_text(finding.message + widened_text(finding))}")
    lines += [f"- {line}" for line in left_out(len(findings), shown, "finding")]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def render_terminal(result: GateResult) -> str:
    lines = [verdict(result), "", "worse:", *_reasons(result.worse, SHOWN, "  ")]
    lines += ["better:", *_reasons(result.better, SHOWN, "  ")]
    if result.connections:
        connections = _shown_connections(result)
        lines.append("new connections:")
        for c in connections[:SHOWN]:
            mark = " (worse)" if c.worse else ""
            lines.append(f"  {c.src} => {c.dst} : {c.opened}{mark}")
            lines += [f"      {rule}" for rule in c.rules]
        lines += [f"  {line}" for line in left_out(len(connections), SHOWN, "new connection")]
    lines += [f"note: {n}" for n in result.notes]
    lines.append(f"config: {result.config}")
    return "\n".join(lines) + "\n"


RENDERERS = {"md": render_md, "json": render_json, "terminal": render_terminal}
