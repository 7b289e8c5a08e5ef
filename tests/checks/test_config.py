"""reporter.yaml: the model, defaults, errors with file, line and field, and the JSON Schema."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from reporter.config import (
    Config,
    check_references,
    json_schema,
    load_config,
    parse_period,
)
from reporter.errors import InputError
from reporter.inventory.model import LabelSelector, Requirement

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "reporter-config.schema.json"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "reporter.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.diagnostics()


def test_the_committed_schema_is_the_generated_one() -> None:
    assert json.loads(SCHEMA.read_text()) == json_schema(), (
        "run: python -m reporter.config --schema > schemas/reporter-config.schema.json")


def test_the_schema_is_printed_by_the_module() -> None:
    done = subprocess.run([sys.executable, "-m", "reporter.config", "--schema"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["title"] == "Config"


def test_no_file_gives_the_defaults() -> None:
    loaded = load_config(None)
    assert loaded.config == Config()
    assert (loaded.path, loaded.sha256) == (None, None)
    internet = loaded.config.internet
    assert ipaddress.ip_network("100.64.0.0/10") in internet.not_internet
    assert loaded.config.dns.namespaces == ("kube-system",)


@pytest.mark.parametrize("samples", ["fixed", "leaky"])
def test_the_sample_configs_load(samples: str) -> None:
    loaded = load_config(str(ROOT / "samples" / samples / "reporter.yaml"))
    assert loaded.config.zones and loaded.config.flows
    assert loaded.sha256 is not None and len(loaded.sha256) == 64


def test_selector_text_and_mapping_forms_mean_the_same(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
zones:
  - {name: a, kind: cde, names: ['*'], namespaces: "pci=cde,tier in (db, cache),!legacy,team"}
  - {name: b, kind: cde, names: ['*'], pods: "app!=debug"}
""")).config
    assert config.zones[0].namespaces is not None
    assert config.zones[0].namespaces.to_label_selector() == LabelSelector(
        (("pci", "cde"),),
        (Requirement("tier", "In", ("db", "cache")), Requirement("legacy", "DoesNotExist"),
         Requirement("team", "Exists")))
    assert config.zones[1].pods is not None
    assert config.zones[1].pods.to_label_selector() == LabelSelector(
        (), (Requirement("app", "NotIn", ("debug",)),))


def test_errors_name_file_line_field_and_a_fix(tmp_path: Path) -> None:
    text = """zones:
  - name: cde
    kind: cde
    names: [payments]
flows:
  - name: web
    from: {internet: true}
    to: {zone: cde}
    ports: [TCP 443, "tcp 80", "TCP 90-80"]
    justifcation: Shop.
  - name: dns
    from: {zone: cde, cidr: 10.0.0.1/8}
    to: {namespace: kube-system}
    ports: [UDP 53]
    justification: Names.
"""
    message = load_error(tmp_path, text)
    path = str(tmp_path / "reporter.yaml")
    assert f"{path}:6: flows[0].justifcation: unknown key 'justifcation'; did you mean " \
        "'justification'?" in message
    assert f"{path}:6: flows[0].justification: required key 'justification' is missing" in message
    assert "flows[0].ports[1]: 'tcp 80': write a port as 'TCP 443'" in message
    assert "flows[0].ports[2]: 'TCP 90-80': ports are 1-65535 and a range runs from low" in message
    assert f"{path}:12: flows[1].from.cidr[0]: '10.0.0.1/8' is not a network" in message
    assert "hint: fix reporter.yaml; docs/config.md describes every key" in message


def test_the_old_datastores_spelling_names_the_new_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, """
zones:
  - {name: cde, kind: cde, names: [payments], datastores: [tier=db]}
datastores: [tier=db]
""")
    path = str(tmp_path / "reporter.yaml")
    for line, field in ((2, "datastores"), (3, "zones[0].datastores")):
        assert (f"{path}:{line}: {field}: unknown key 'datastores': it is now called "
                "'data_stores'; did you mean that?") in message
    config = load_config(write(tmp_path, "data_stores: [tier=db]\n")).config
    assert "data_stores" in config.model_fields_set and len(config.data_stores) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("zones: [{name: cde, kind: cde}]", "give 'names' and/or 'namespaces'"),
    ("zones: [{name: CDE, kind: cde, names: [a]}]", "use lower case letters, digits and '-'"),
    ("zones: [{name: a, kind: pci, names: [a]}]", "Input should be 'cde', 'phi', 'tenant'"),
    ("zones: [{name: t, kind: tenant, names: ['*'], split_by: ''}]",
     "zones[0]: split_by '' is neither 'namespace' nor a namespace label key: name part must "
     "be non-empty"),
    ("zones: [{name: t, kind: tenant, names: ['*'], split_by: 'a b'}]",
     "split_by 'a b' is neither 'namespace' nor a namespace label key: name part must consist"),
    ("flows: [{name: f, from: {zone: nope}, to: {internet: true}, ports: [TCP], "
     "justification: j}]", "flow f: no zone named 'nope'"),
    ("flows: [{name: f, from: {}, to: {internet: true}, ports: [TCP], justification: j}]",
     "give exactly one of zone, namespace, workload, cidr, internet: true"),
    ("flows: [{name: f, from: {internet: true, pods: a=b}, to: {namespace: x}, ports: [TCP], "
     "justification: j}]", "'pods' narrows a zone or a namespace only"),
    ("flows: [{name: f, from: {internet: true}, to: {namespace: x}, ports: [], "
     "justification: j}]", "at least 1 item"),
    ("flows: [{name: f, from: cde, to: {internet: true}, ports: [TCP], justification: j}]",
     "flows[0].from: expected a mapping with keys among cidr, internet, namespace, pods, "
     "workload, zone, got 'cde'"),
    ("flows: [{name: f, from: {internet: true}, to: {namespace: x}, ports: TCP 443, "
     "justification: j}]", "flows[0].ports: expected a list, got 'TCP 443': write [TCP 443] "
     "for one item"),
    ("period: {start: 2024-03-01, end: 2024-01-01}", "end is before start"),
    ("zones: [{name: a, kind: cde, names: [a], namespaces: 'tier in db'}]",
     "cannot read selector term 'tier in db'"),
    ("exceptions: [{id: E, check: c, target: t, reason: r, ticket: T, approver: A, "
     "expires: 2024-13-01}]", "reporter.yaml:1: invalid YAML: a date or time that does not "
     "exist (month must be in 1..12)"),
    ("- a list", "must be a mapping"),
    ("kind: Deployment", "Input should be 'ReporterConfig'"),
])
def test_invalid_configs_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(tmp_path, text)


def test_unknown_frameworks_and_checks_are_refused_with_a_suggestion(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, """frameworks: [pci-dss-4.0]
exceptions:
  - {id: E, check: hygiene.dns, target: t, reason: r, ticket: T, approver: A,
     expires: 2030-01-01}
"""))
    with pytest.raises(InputError) as caught:
        check_references(loaded, ["pci-dss-4.0.1", "soc2"], ["hygiene.dns-egress"])
    message = caught.value.diagnostics()
    assert "reporter.yaml:1: frameworks[0]: unknown framework 'pci-dss-4.0'; did you mean " \
        "'pci-dss-4.0.1'?" in message
    assert "reporter.yaml:3: exceptions[0].check: unknown check 'hygiene.dns'" in message


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the config"):
        load_config(str(tmp_path / "absent.yaml"))


def test_unknown_keys_are_named_against_the_keys_where_they_stand(tmp_path: Path) -> None:
    """A zone is an item of a list: its keys are the zone's; ``internet``'s are its own."""
    message = load_error(tmp_path, "zones:\n  - {name: cde, kind: cde, namespace: payments}\n"
                                   "  - {name: b, kind: cde, names: [a], xyzzy: 1}\n")
    path = str(tmp_path / "reporter.yaml")
    assert (f"{path}:2: zones[0].namespace: unknown key 'namespace'; did you mean "
            "'namespaces'?") in message
    assert (f"{path}:3: zones[1].xyzzy: unknown key 'xyzzy'; allowed here: data_stores, "
            "description, frameworks, kind, name, names, namespaces, pods, split_by") in message
    assert "internet.xyzzy: unknown key 'xyzzy'; allowed here: exclude, pod_cidrs, " \
        "service_cidrs" in load_error(tmp_path, "internet: {xyzzy: 1}")


def test_a_selector_of_the_wrong_type_says_what_a_selector_is(tmp_path: Path) -> None:
    """A selector is text or a mapping; a number is neither."""
    message = load_error(tmp_path, "zones: [{name: cde, kind: cde, names: [a], namespaces: 5}]")
    assert message.splitlines()[0].endswith(
        "reporter.yaml:1: zones[0].namespaces: expected a mapping with keys among "
        "matchExpressions, matchLabels, got 5")


def test_an_item_that_fails_is_the_error_not_the_list_left_too_short(tmp_path: Path) -> None:
    message = load_error(tmp_path, "flows: [{name: f, from: {internet: true}, to: {namespace: "
                                   "x}, ports: ['tcp 80'], justification: j}]")
    assert "flows[0].ports[0]: 'tcp 80': write a port as 'TCP 443'" in message
    assert "at least 1 item" not in message


def test_several_documents_are_not_a_config(tmp_path: Path) -> None:
    assert "reporter.yaml: holds several YAML documents; a config is one" in load_error(
        tmp_path, "kind: ReporterConfig\n---\nkind: ReporterConfig\n")


def test_the_config_used_is_described_with_how_it_was_chosen(tmp_path: Path) -> None:
    assert load_config(None).describe() == (
        "none (defaults: the whole cluster is one zone, no declared flows)")
    path = write(tmp_path, "zones: []\n")
    assert load_config(path).describe() == path
    assert load_config(path, "found among the inputs").describe() == (
        f"{path} (found among the inputs)")


def test_an_attestation_of_an_unknown_requirement_is_refused(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, """attestations:
  - {framework: pci, requirement: 1.3.1, evidence: e, by: b, date: 2024-01-01}
  - {framework: pci, requirement: 1.3.9, evidence: e, by: b, date: 2024-01-01}
"""))
    requirements = {"pci": ["1.3.1", "1.3.2"]}
    with pytest.raises(InputError) as caught:
        check_references(loaded, ["pci"], [], requirements)
    message = caught.value.diagnostics()
    assert ("reporter.yaml:3: attestations[1].requirement: unknown requirement of pci '1.3.9'; "
            "did you mean '1.3.2'?") in message
    assert "attestations[0]" not in message
    check_references(loaded, ["pci"], [])  # without the catalog's requirements: not checked


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ("2024q2", date(2024, 4, 1), date(2024, 6, 30)),
    ("2023Q4", date(2023, 10, 1), date(2023, 12, 31)),
    (" 2024-02-01..2024-02-29 ", date(2024, 2, 1), date(2024, 2, 29)),
])
def test_a_period_is_a_quarter_or_two_dates_both_included(text: str, start: date, end: date
                                                          ) -> None:
    assert parse_period(text) == (start, end)


def test_a_period_may_be_one_day_not_run_backwards_nor_be_another_form(tmp_path: Path) -> None:
    day = load_config(write(tmp_path, "period: 2024-03-01..2024-03-01\n")).config.period
    assert day is not None and (day.start, day.end) == (date(2024, 3, 1), date(2024, 3, 1))
    assert "end is before start" in load_error(tmp_path, "period: 2024-03-02..2024-03-01\n")
    with pytest.raises(ValueError, match=r"'2024Q5' is not a period: write START..END"):
        parse_period("2024Q5")


def test_two_zones_flows_or_exceptions_of_one_name_are_refused(tmp_path: Path) -> None:
    assert "zone names must be unique: cde" in load_error(tmp_path, """zones:
  - {name: cde, kind: cde, names: [a]}
  - {name: cde, kind: cde, names: [b]}
  - {name: web, kind: other, names: [c]}
""")


def test_a_flow_takes_the_keys_the_schema_names_and_a_blank_justification_is_none(
    tmp_path: Path
) -> None:
    """PCI DSS asks a business reason of every allowed flow: spaces are not one. ``from`` and
    ``to`` are the keys (``source`` is the field's name in the code, not a key); ports run to
    65535."""
    flow = "flows: [{name: f, from: {internet: true}, to: {namespace: x}, ports: [%s], " \
           "justification: '%s'}]"
    assert "flows[0].justification: String should have at least 1 character" in load_error(
        tmp_path, flow % ("TCP 443", "   "))
    loaded = load_config(write(tmp_path, flow % ("TCP 1-65535", "  Shop.  "))).config.flows[0]
    assert (loaded.justification, loaded.ports) == ("Shop.", ("TCP 1-65535",))
    assert "'TCP 65536': ports are 1-65535" in load_error(tmp_path, flow % ("TCP 65536", "j"))
    message = load_error(tmp_path, "flows: [{name: f, source: {internet: true}, to: "
                                   "{namespace: x}, ports: [TCP 443], justification: j}]")
    assert "flows[0].source: unknown key 'source'; did you mean 'from'?" in message
    assert "flows[0].from: required key 'from' is missing" in message


def test_a_config_read_cannot_be_changed() -> None:
    config = Config()
    with pytest.raises(ValidationError, match="frozen"):
        config.zones = ()  # type: ignore[misc]
