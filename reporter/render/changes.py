"""What changed since a previous run, in the three lines the executive summary has room for.

The comparison itself is ``reporter.diff`` (the same one ``reporter diff`` shows in full); this
only words its status part, plus the size and openness of the estate.
"""

from __future__ import annotations

from collections import Counter

from reporter.diff.model import StatusDelta
from reporter.diff.status import status_delta
from reporter.model import Assessment
from reporter.wording import counted

_SHOWN = 4


def _status_line(delta: StatusDelta) -> str:
    kept = [c for c in delta.requirements if c.change not in ("added", "removed")]
    changed = [f"{c.id} {c.old} → {c.new}" for c in kept]
    added = sum(c.change == "added" for c in delta.requirements)
    if not changed:
        line = "No requirement changed status"
    else:
        more = f" and {len(changed) - _SHOWN} more" if len(changed) > _SHOWN else ""
        line = (f"{counted(len(changed), 'requirement')} changed status: "
                f"{', '.join(changed[:_SHOWN])}{more}")
    return line + (f"; {counted(added, 'requirement')} not assessed before." if added else ".")


def _findings_line(delta: StatusDelta) -> str:
    findings = Counter(c.change for c in delta.findings)
    exceptions = Counter(c.change for c in delta.exceptions)
    wider = (f"{findings['widened']} failing for more workloads, " if findings["widened"]
             else "")
    return (f"Findings (matched by fingerprint): {findings['newly-failing']} newly failing, "
            f"{wider}{findings['newly-passing']} no longer failing; exceptions: "
            f"{exceptions['appeared']} new, {exceptions['expired']} expired.")


def _estate_line(previous: Assessment, current: Assessment) -> str:
    def pairs(a: Assessment) -> str:
        found = a.connectivity.get("connected_pairs")
        return f"{found:,}" if isinstance(found, int) else "?"

    def undeclared(a: Assessment) -> int:
        return sum(not f.declared for f in a.zone_flows)

    return (f"Policies {previous.completeness.policies:,} → {current.completeness.policies:,}; "
            f"workloads {previous.completeness.workloads:,} → "
            f"{current.completeness.workloads:,}; "
            f"allowed pairs {pairs(previous)} → {pairs(current)}; "
            f"undeclared zone flows {undeclared(previous):,} → {undeclared(current):,}.")


def changes_since(previous: Assessment, current: Assessment) -> tuple[str, str, str]:
    """Three lines: requirement statuses, findings and exceptions, the estate's size and
    openness."""
    delta = status_delta(previous, current)
    return (_status_line(delta), _findings_line(delta), _estate_line(previous, current))
