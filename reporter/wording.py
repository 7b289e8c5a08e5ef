"""Wording shared by the checks' findings and the renderers."""

from collections.abc import Iterable, Sequence
from datetime import timedelta


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun: ``1 workload``, ``2 workloads``, ``20,332 connections`` (the
    plural adds an s unless given: ``counted(n, "NetworkPolicy", "NetworkPolicies")``)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def agreeing(verb: str, count: int) -> str:
    """A present-tense verb agreeing with a count of its subjects: ``runs`` for 1, ``run``
    otherwise."""
    return f"{verb}s" if count == 1 else verb


def listed(names: Sequence[str], shown: int, noun: str) -> str:
    """The first ``shown`` names, then how many more: ``a.yaml, b.yaml and 3 more files``."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {counted(len(names) - shown, 'more ' + noun)}"


def joined(names: Sequence[str]) -> str:
    """Names as a sentence lists them: ``a``, ``a and b``, ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def zone_group(zones: Sequence[str]) -> str:
    """The group of peers in these zones: ``zone cde``, ``zones cde and phi``."""
    return f"zone {zones[0]}" if len(zones) == 1 else f"zones {joined(zones)}"


def in_days(span: timedelta) -> float:
    """A span in days, to a tenth (how the period's windows and states are measured)."""
    return round(span.total_seconds() / 86400, 1)


def days_text(days: float) -> str:
    """``1 day``, ``14.5 days``."""
    return f"{days:g} day{'' if days == 1 else 's'}"


UNPOPULATED_NAMESPACES_SHOWN = 8
"""Namespaces named for zones holding no workload; the rest are counted."""


def unpopulated_zones(zones: Sequence[str], namespaces: Iterable[str]) -> str:
    """``zone vault holds no workload the map models (card-vault)``: zones whose namespaces
    hold nothing the map models, named alike in requirements' caveats and the pack's
    summary."""
    return (f"{'zone' if len(zones) == 1 else 'zones'} {', '.join(zones)} "
            f"{agreeing('hold', len(zones))} no workload the map models "
            f"({listed(sorted(set(namespaces)), UNPOPULATED_NAMESPACES_SHOWN, 'namespace')})")
