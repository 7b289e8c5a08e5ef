"""``reporter gate`` output: a pull-request comment (Markdown), JSON, and plain terminal text."""

from __future__ import annotations

import json
from typing import Any

from reporter.diff.model import as_plain
from reporter.diff.render import widened_text
from reporter.gate.compute import GateResult, NewConnection
from reporter.wording import counted


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


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _connection_row(c: NewConnection) -> str:
    flag = "**worse**" if c.worse else ("declared" if c.undeclared is None else "undeclared")
    into = ", ".join(c.into) or "—"
    rules = "<br>".join(_cell(r) for r in c.rules) or "—"
    return f"| {_code(c.src)} | {_code(c.dst)} | {c.opened} | {into} | {flag} | {rules} |"


def render_md(result: GateResult) -> str:
    lines = [f"### reporter gate: {verdict(result)}", ""]
    lines += ["**What got worse**", ""]
    lines += [f"- {r.kind}: {r.text}" for r in result.worse] or ["- nothing"]
    lines += ["", "**What got better**", ""]
    lines += [f"- {r.kind}: {r.text}" for r in result.better] or ["- nothing"]
    if result.connections:
        lines += ["", "**New connections**", "",
                  "| from | to | newly allowed | into | | allowed by |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [_connection_row(c) for c in result.connections]
    lines += ["", *[f"> {note}" for note in result.notes]] if result.notes else []
    lines += ["", f"Config: {_code(result.config)}"]
    lines += ["", "<details><summary>Details: policy changes and findings</summary>", ""]
    for change in result.delta.policies:
        lines += [f"{change.change} {_code(change.key)} "
                  f"({change.new_location or change.old_location})", "", "```diff",
                  change.diff.rstrip(), "```", ""]
    status = result.delta.status
    for finding in status.findings if status else ():
        lines.append(f"- {finding.change}: {finding.check_id} {_code(finding.target)}: "
                     f"{_cell(finding.message + widened_text(finding))}")
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def render_terminal(result: GateResult) -> str:
    lines = [verdict(result), "", "worse:"]
    lines += [f"  {r.kind}: {r.text}" for r in result.worse] or ["  nothing"]
    lines += ["better:"]
    lines += [f"  {r.kind}: {r.text}" for r in result.better] or ["  nothing"]
    if result.connections:
        lines.append("new connections:")
        for c in result.connections:
            mark = " (worse)" if c.worse else ""
            lines.append(f"  {c.src} => {c.dst} : {c.opened}{mark}")
            lines += [f"      {rule}" for rule in c.rules]
    lines += [f"note: {n}" for n in result.notes]
    lines.append(f"config: {result.config}")
    return "\n".join(lines) + "\n"


RENDERERS = {"md": render_md, "json": render_json, "terminal": render_terminal}
