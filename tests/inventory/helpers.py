"""Load manifests written inline in a test; DATA holds the fixture files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reporter.errors import Problem, ValidationError
from reporter.inventory.manifests import load_inventory
from reporter.inventory.model import Inventory, NetworkPolicy
from reporter.inventory.sources import Source

DATA = Path(__file__).parent.parent / "data" / "inventory"


def load_text(text: str, path: str = "test.yaml") -> Inventory:
    """The inventory of one inline source (dedented, so tests can indent their YAML)."""
    return load_inventory([Source(path, textwrap.dedent(text))])


def problems_in(text: str, path: str = "test.yaml") -> list[Problem]:
    """The problems that loading ``text`` must raise."""
    with pytest.raises(ValidationError) as caught:
        load_text(text, path)
    return list(caught.value.problems)


def located(problems: list[Problem]) -> list[tuple[int | None, str | None]]:
    """(line, field) of each problem: what most assertions compare."""
    return [(p.line, p.field) for p in problems]


SPEC_LINE = 6
"""The line ``spec:`` is on in :func:`policy`: line n of a spec snippet is file line 6 + n."""


def policy(spec: str, name: str = "backend") -> str:
    """A NetworkPolicy production/<name> whose spec is the (dedented) ``spec`` snippet."""
    head = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        f"  name: {name}\n  namespace: production\nspec:\n"
    )
    return head + textwrap.indent(textwrap.dedent(spec), "  ")


def parsed(spec: str) -> NetworkPolicy:
    """The policy of a valid ``spec`` snippet."""
    (result,) = load_text(policy(spec)).policies
    return result


def problems(spec: str) -> list[tuple[int | None, str | None]]:
    """(line, field) of each problem of an invalid ``spec`` snippet."""
    return located(problems_in(policy(spec)))


def messages(spec: str) -> list[str]:
    """The message of each problem of an invalid ``spec`` snippet."""
    return [p.message for p in problems_in(policy(spec))]
