"""paths.internet-to-datastore says which data stores it judged: those of cde and phi zones,
or, with no zone declared, every data store of the cluster (never as if a CDE were declared)."""

from __future__ import annotations

from pathlib import Path

from reporter.model import Status

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


def test_a_path_no_rule_allows_is_cited_at_the_data_store_manifest() -> None:
    """No policy at all: no rule to cut, so the finding points at the data store's manifest,
    where a policy selecting it belongs (never a finding without a place)."""
    text = ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\n"
            "spec:\n  selector: {matchLabels: {app: db}}\n  template:\n"
            "    metadata: {labels: {app: db}}\n"
            "    spec: {containers: [{name: c, image: postgres}]}\n")
    finding, = run("paths.internet-to-datastore", text).findings
    assert [(loc.file, loc.line, loc.object) for loc in finding.locations] == [
        ("case.yaml", 1, "StatefulSet shop/db")]


def test_the_message_counts_the_workloads_open_to_the_internet_that_lead_to_the_store() -> None:
    """A store the internet reaches directly is one of the entries, said as such, never
    'reachable in 1 hop through N entry workloads'."""
    cases = Path(__file__).parent / "cases" / "paths.internet-to-datastore"
    direct, = run("paths.internet-to-datastore", CASE).findings
    assert direct.message == ("data/db[Pod] is reachable from the internet in 1 hop (limit 2), "
                              "e.g. internet -> data/db[Pod]; it is open to the internet itself")
    near_miss, = run("paths.internet-to-datastore", (
        cases / "front-reaches-db-near-miss-FAIL.yaml").read_text(encoding="utf-8")).findings
    assert near_miss.message.endswith(
        "; 1 workload open to the internet leads to it within the limit")
    # The API opened to the internet too: the store is reached directly and through it.
    both = CASE.replace("    ports: [{port: 8080}]",
                        "    - ipBlock: {cidr: 0.0.0.0/0}\n    ports: [{port: 8080}]")
    assert both != CASE
    found, = run("paths.internet-to-datastore", both).findings
    assert found.message.endswith("; it is open to the internet itself, and 1 other workload "
                                  "open to the internet leads to it within the limit")


def test_a_path_finding_lists_each_hop_and_the_rule_that_lets_it_through() -> None:
    cases = Path(__file__).parent / "cases" / "paths.internet-to-datastore"
    text = (cases / "front-reaches-db-near-miss-FAIL.yaml").read_text(encoding="utf-8")
    finding, = run("paths.internet-to-datastore", text).findings
    # The path after the internet, the last hop's ports, the policies of the rules cited.
    assert (finding.endpoints, finding.ports, finding.policies) == (
        ["shop/front[Pod]", "data/db[Pod]"], "TCP 5432", ["data/db-from-api"])
    assert [(place.object, place.rule) for place in finding.locations] == [
        ("NetworkPolicy data/db-from-api", "ingress[0]")]
    assert finding.details == [
        "path: internet -> shop/front[Pod] -> data/db[Pod]",
        "hop 1: internet -> shop/front[Pod] (All Connections): ingress of shop/front[Pod]: not "
        "isolated (no policy selects it for Ingress)",
        "hop 2: shop/front[Pod] -> data/db[Pod] (TCP 5432): egress of shop/front[Pod]: not "
        "isolated (no policy selects it for Egress)",
        "hop 2: shop/front[Pod] -> data/db[Pod] (TCP 5432): ingress of data/db[Pod]: allowed by "
        "data/db-from-api ingress[0] (case.yaml:57)"]


def test_with_no_data_store_in_a_sensitive_zone_nothing_is_judged() -> None:
    """NOT_APPLICABLE, never a PASS: the check had nothing to judge."""
    cases = Path(__file__).parent / "cases" / "paths.internet-to-datastore"
    text = (cases / "front-reaches-db-near-miss-FAIL.yaml").read_text(encoding="utf-8")
    no_store = text.replace("labels: {tier: db}}\nspec: {containers: [{name: db, image: postgres",
                            "labels: {tier: web}}\nspec: {containers: [{name: db, image: nginx")
    assert no_store != text
    result = run("paths.internet-to-datastore", no_store)
    assert (result.status, result.evaluated, result.findings) == (
        Status.NOT_APPLICABLE, "no data store in cde/phi zones", [])
