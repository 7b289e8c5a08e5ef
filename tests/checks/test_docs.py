"""docs/config.md's table of checks is generated from the registry: each check's ID, title and
docstring as registered. After adding or changing a check, ``pytest --update-goldens`` rewrites
the table (then review the diff)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.checks import REGISTRY

if TYPE_CHECKING:
    from tests.conftest import Goldens

DOCS = Path(__file__).resolve().parents[2] / "docs" / "config.md"
BEGIN = ("<!-- The table of checks is generated from reporter/checks (IDs, titles, docstrings);"
         " `pytest --update-goldens` rewrites it. -->")
END = "<!-- end of the table of checks -->"


def checks_table() -> str:
    rows = ["| ID | title | what it asserts |", "|---|---|---|"]
    for check_id in sorted(REGISTRY):
        spec = REGISTRY[check_id]
        doc = " ".join((inspect.getdoc(spec.function) or "").split())
        assert doc, f"{check_id}: its docstring says what it asserts"
        rows.append(f"| `{check_id}` | {spec.title} | {doc} |")
    return "\n".join(rows)


def test_the_docs_table_of_checks_is_the_registry(goldens: Goldens) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.compile(re.escape(BEGIN) + r"\n.*?\n" + re.escape(END), re.DOTALL)
    assert block.search(text), f"{DOCS}: no table between {BEGIN!r} and {END!r}"
    goldens.check({DOCS: block.sub(lambda _: f"{BEGIN}\n{checks_table()}\n{END}", text)})


PACKAGE = Path(__file__).resolve().parents[2] / "reporter"


def _strings(path: Path) -> list[tuple[str, int]]:
    return [(node.value, node.lineno)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_a_check_id_is_written_once_in_its_module_and_never_misspelt_elsewhere() -> None:
    """A check function gets its ID from ``@check``; its module spells it nowhere else. Code
    that keys data by check ID (severity.py's fixes) may name IDs, but only registered ones."""
    families = {check_id.split(".")[0] for check_id in REGISTRY}
    looks_like_an_id = re.compile(rf"^(?:{'|'.join(sorted(families))})\.[a-z0-9-]+$")
    home = {check_id: Path(inspect.getfile(spec.function)).resolve()
            for check_id, spec in REGISTRY.items()}
    spelled: dict[str, list[str]] = {check_id: [] for check_id in REGISTRY}
    unknown = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for value, line in _strings(path):
            if value in spelled and home[value] == path.resolve():
                spelled[value].append(f"{path.relative_to(PACKAGE)}:{line}")
            elif looks_like_an_id.match(value) and value not in REGISTRY:
                unknown.append(f"{path.relative_to(PACKAGE)}:{line}: {value}")
    assert {i: places for i, places in spelled.items() if len(places) != 1} == {}
    assert unknown == [], "not a registered check ID"
