"""paths.internet-to-datastore says which data stores it judged: those of cde and phi zones,
or, with no zone declared, every data store of the cluster (never as if a CDE were declared)."""

from __future__ import annotations

from pathlib import Path

from .harness import run

CASE = (Path(__file__).parent / "cases" / "paths.internet-to-datastore"
        / "db-open-to-internet-FAIL.yaml").read_text(encoding="utf-8")


def test_with_a_cde_the_data_stores_of_its_zones_are_judged() -> None:
    result = run("paths.internet-to-datastore", CASE)
    assert result.evaluated == ("1 data store in cde/phi zones, paths of at most 2 hops from "
                                "the internet")


def test_without_zones_every_data_store_is_judged_and_said_so() -> None:
    without_config = CASE.split("---\n", 1)[1]
    result = run("paths.internet-to-datastore", without_config)
    assert result.evaluated == ("1 data store in the cluster (no zone declared: every data store "
                                "counts), paths of at most 2 hops from the internet")
    assert [f.target for f in result.findings] == ["data/db[Pod]"]
    assert "CDE" not in result.title
