"""The control catalog: the shipped files pinned, and strict validation of broken ones."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from reporter.catalog import DEFAULT_DIRECTORY, Catalog, load_catalog
from reporter.checks import REGISTRY
from reporter.errors import CatalogError

PINNED_REQUIREMENTS = {
    "pci-dss-4.0.1": (
        "1.1.2", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8",
        "1.3.1", "1.3.2", "1.3.3", "1.4.1", "1.4.2", "1.4.3", "1.4.4", "1.4.5",
        "11.4.5", "12.5.2",
    ),
    "pci-dss-3.2.1": (
        "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.2.1", "1.2.2",
        "1.3.1", "1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6", "1.3.7", "11.3.4",
    ),
    "hipaa-security-rule": (
        "164.308(a)(1)(ii)(D)", "164.308(a)(4)", "164.312(a)(1)", "164.312(b)",
        "164.312(c)(1)", "164.312(e)(1)",
    ),
    "soc2-tsc-2017": ("CC6.1", "CC6.6", "CC6.7", "CC7.1", "CC7.2", "CC8.1"),
    "nist-800-53-r5": ("AC-4", "SC-7", "SC-7(5)"),
    "cis-kubernetes": ("5.3.1", "5.3.2"),
}  # fmt: skip

PINNED_ZONE_KINDS = {
    "pci-dss-4.0.1": ("cde",),
    "pci-dss-3.2.1": ("cde",),
    "hipaa-security-rule": ("phi",),
    "soc2-tsc-2017": ("all",),
    "nist-800-53-r5": ("all",),
    "cis-kubernetes": ("all",),
}

PCI_3_2_1_TO_4_0_1 = {
    "1.1.1": ("1.2.2",),
    "1.1.2": ("1.2.3",),
    "1.1.3": ("1.2.4",),
    "1.1.4": ("1.4.1",),
    "1.1.5": ("1.1.2",),
    "1.1.6": ("1.2.5", "1.2.6"),
    "1.1.7": ("1.2.7",),
    "1.2.1": ("1.3.1", "1.3.2"),
    "1.2.2": ("1.2.8",),
    "1.3.1": ("1.4.2",),
    "1.3.2": ("1.4.2",),
    "1.3.3": ("1.4.3",),
    "1.3.4": ("1.3.2",),
    "1.3.5": ("1.4.2",),
    "1.3.6": ("1.4.4",),
    "1.3.7": ("1.4.5",),
    "11.3.4": ("11.4.5",),
}
"""The PCI SSC's v3.2.1-to-v4.0 summary of changes, as recorded in pci-dss-3.2.1.yaml."""


def implemented_check_ids() -> frozenset[str]:
    return frozenset(REGISTRY)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def referenced_checks(catalog: Catalog) -> set[str]:
    return {c for f in catalog.frameworks for r in f.requirements for c in r.checks}


# --- the shipped catalog ---------------------------------------------------------------------


def test_the_shipped_catalog_holds_exactly_the_pinned_frameworks(catalog: Catalog) -> None:
    assert sorted(catalog.framework_ids) == sorted(PINNED_REQUIREMENTS)
    assert catalog.version == "1.1.0"
    assert re.fullmatch(r"[0-9a-f]{64}", catalog.sha256)


@pytest.mark.parametrize("framework_id", sorted(PINNED_REQUIREMENTS))
def test_each_framework_has_exactly_the_pinned_requirements(
    catalog: Catalog, framework_id: str
) -> None:
    framework = catalog.framework(framework_id)
    assert framework.requirement_ids == PINNED_REQUIREMENTS[framework_id]
    assert framework.zone_kinds == PINNED_ZONE_KINDS[framework_id]


def test_framework_headers_name_version_date_and_publisher(catalog: Catalog) -> None:
    headers = {f.id: (f.framework, f.version, f.published, f.source) for f in catalog.frameworks}
    assert headers["pci-dss-4.0.1"] == (
        "PCI DSS",
        "4.0.1",
        "2024-06",
        "PCI Security Standards Council",
    )
    assert headers["pci-dss-3.2.1"][1:3] == ("3.2.1", "2018-05")
    assert headers["cis-kubernetes"][1] == "1.9.0"
    assert headers["nist-800-53-r5"][1] == "Revision 5"


def test_pci_3_2_1_crosswalk_matches_the_summary_of_changes(catalog: Catalog) -> None:
    old = catalog.framework("pci-dss-3.2.1")
    assert old.maps_to_framework == "pci-dss-4.0.1"
    assert {r.id: r.maps_to for r in old.requirements} == PCI_3_2_1_TO_4_0_1


def test_every_crosswalk_target_is_a_4_0_1_requirement(catalog: Catalog) -> None:
    targets = {t for r in catalog.framework("pci-dss-3.2.1").requirements for t in r.maps_to}
    assert targets <= set(catalog.framework("pci-dss-4.0.1").requirement_ids)
    assert targets == {t for ts in PCI_3_2_1_TO_4_0_1.values() for t in ts}


def test_every_referenced_check_exists(catalog: Catalog) -> None:
    assert referenced_checks(catalog) <= implemented_check_ids()


def test_every_check_is_used_by_some_requirement(catalog: Catalog) -> None:
    assert implemented_check_ids() <= referenced_checks(catalog)


def test_the_catalog_loads_against_the_implemented_checks() -> None:
    assert load_catalog(known_checks=implemented_check_ids()).check_ids == implemented_check_ids()


def test_requirement_ids_are_unique_within_each_framework(catalog: Catalog) -> None:
    for framework in catalog.frameworks:
        assert len(set(framework.requirement_ids)) == len(framework.requirements), framework.id


def test_manual_requirements_say_which_evidence_to_ask_for(catalog: Catalog) -> None:
    manual = [r for f in catalog.frameworks for r in f.requirements if r.is_manual]
    assert {r.id for r in manual} >= {"1.2.2", "1.2.7", "5.3.1", "CC8.1", "164.312(b)"}
    assert all(len(r.manual) > 40 for r in manual), [r.id for r in manual if len(r.manual) <= 40]


def test_descriptions_and_titles_are_substantial(catalog: Catalog) -> None:
    requirements = [r for f in catalog.frameworks for r in f.requirements]
    assert [r.id for r in requirements if len(r.description) <= 80] == []
    assert [r.id for r in requirements if len(r.title) < 5] == []
    assert all("\n" not in r.description for r in requirements)


def test_key_requirements_carry_the_segmentation_checks(catalog: Catalog) -> None:
    pci = catalog.framework("pci-dss-4.0.1")
    requirement = {r.id: r for r in pci.requirements}
    assert "zone.ingress-declared" in requirement["1.3.1"].checks
    assert "zone.egress-declared" in requirement["1.3.2"].checks
    assert requirement["1.4.4"].checks == ("zone.internet-to-datastore",
                                           "paths.internet-to-datastore")
    assert requirement["1.3.1"].applies_to == ("cde",)
    assert pci.zone_kinds_of(requirement["1.4.1"]) == ("cde",)
    assert requirement["1.2.7"].is_manual


def test_the_digest_depends_on_content_not_location(tmp_path: Path, catalog: Catalog) -> None:
    copy = tmp_path / "controls"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    assert load_catalog(copy).sha256 == catalog.sha256
    index = copy / "catalog.yaml"
    index.write_text(index.read_text() + "\n")
    assert load_catalog(copy).sha256 != catalog.sha256


def test_without_an_index_the_version_comes_from_the_digest(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DIRECTORY / "cis-kubernetes.yaml", tmp_path)
    loaded = load_catalog(tmp_path)
    assert loaded.version == f"sha256:{loaded.sha256[:12]}"
    assert loaded.framework_ids == ("cis-kubernetes",)


# --- selecting frameworks --------------------------------------------------------------------


def test_select_keeps_the_requested_order_and_drops_repeats(catalog: Catalog) -> None:
    chosen = catalog.select(["soc2-tsc-2017", "pci-dss-4.0.1", "soc2-tsc-2017"])
    assert [f.id for f in chosen] == ["soc2-tsc-2017", "pci-dss-4.0.1"]
    # PCI DSS 3.2.1 was retired on 2024-03-31: it runs only when asked for.
    assert "pci-dss-3.2.1" not in [f.id for f in catalog.select([])]
    assert catalog.select([]) == tuple(f for f in catalog.frameworks if f.id != "pci-dss-3.2.1")
    assert [f.id for f in catalog.select(["pci-dss-3.2.1"])] == ["pci-dss-3.2.1"]


def test_selecting_an_unknown_framework_lists_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as raised:
        catalog.select(["pci-dss-4.0.1", "pci-dss-4"])
    message = raised.value.diagnostics()
    assert "unknown framework 'pci-dss-4'" in message
    assert "pci-dss-4.0.1" in message and "hipaa-security-rule" in message
    with pytest.raises(CatalogError, match="unknown framework 'iso-27001'"):
        catalog.framework("iso-27001")


# --- broken catalogs -------------------------------------------------------------------------

VALID_REQUIREMENT = """\
  - id: "1.1"
    title: A valid requirement
    description: Something long enough to describe.
    checks: [netpol.namespace-default-deny-ingress]
"""


def write_framework(directory: Path, requirements: str, header: str = "") -> Path:
    path = directory / "demo.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            framework: Demo
            id: demo-1
            version: "1"
            published: "2024"
            source: Nobody
            zone_kinds: [all]
            """
        )
        + header
        + "requirements:\n"
        + requirements
    )
    return path


def load_error(directory: Path, **kwargs: frozenset[str]) -> str:
    with pytest.raises(CatalogError) as raised:
        load_catalog(directory, **kwargs)
    return raised.value.diagnostics()


def test_a_minimal_framework_loads(tmp_path: Path) -> None:
    write_framework(tmp_path, VALID_REQUIREMENT)
    (framework,) = load_catalog(tmp_path).frameworks
    assert framework.requirements[0].checks == ("netpol.namespace-default-deny-ingress",)
    assert framework.requirements[0].manual == ""


def test_an_unknown_key_is_rejected_with_file_line_and_key(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT + '    mapsto: ["1.3.1"]\n')
    message = load_error(tmp_path)
    assert f"{path}:12: requirement 1.1, mapsto: unknown key 'mapsto'" in message
    assert "maps_to" in message  # the allowed keys are listed


def test_an_unknown_header_key_is_rejected(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT, header="owner: me\n")
    assert f"{path}:7: framework demo-1, owner: unknown key 'owner'" in load_error(tmp_path)


def test_repeated_requirement_ids_are_rejected(tmp_path: Path) -> None:
    write_framework(tmp_path, VALID_REQUIREMENT + VALID_REQUIREMENT)
    assert "requirement ID listed more than once: 1.1" in load_error(tmp_path)


def test_repeated_yaml_keys_are_rejected(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT + "    title: Again\n")
    assert f"{path}:12: key 'title' repeats the one on line 9" in load_error(tmp_path)


def test_a_manual_requirement_needs_its_evidence(tmp_path: Path) -> None:
    write_framework(tmp_path, re.sub(r"\[.*\]", "[]", VALID_REQUIREMENT))
    message = load_error(tmp_path)
    assert "requirement 1.1: a MANUAL requirement (checks: []) needs 'manual'" in message


def test_a_wrongly_typed_value_is_named(tmp_path: Path) -> None:
    write_framework(
        tmp_path, VALID_REQUIREMENT.replace("[netpol.namespace-default-deny-ingress]", "x")
    )
    assert "requirement 1.1, checks: Input should be a list" in load_error(tmp_path)


def test_check_ids_must_be_dotted_lowercase(tmp_path: Path) -> None:
    write_framework(tmp_path, VALID_REQUIREMENT.replace("netpol.namespace", "NetPol"))
    assert "requirement 1.1, checks[0]: String should match pattern" in load_error(tmp_path)


def test_unknown_checks_are_rejected_with_a_suggestion(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT.replace("ingress]", "ingres]"))
    message = load_error(tmp_path, known_checks=implemented_check_ids())
    assert f"{path}:11: requirement 1.1, checks[0]: no check is implemented" in message
    assert "did you mean 'netpol.namespace-default-deny-ingress'?" in message


def test_maps_to_needs_a_target_framework_that_has_the_ids(tmp_path: Path) -> None:
    mapped = VALID_REQUIREMENT + '    maps_to: ["1.1", "9.9"]\n'
    write_framework(tmp_path, mapped)
    assert "'maps_to_framework' is not set" in load_error(tmp_path)
    write_framework(tmp_path, mapped, header="maps_to_framework: demo-1\n")
    assert "maps_to[1]: '9.9' is not a requirement of demo-1" in load_error(tmp_path)
    write_framework(tmp_path, mapped, header="maps_to_framework: gone-2\n")
    assert "'gone-2' is not in the catalog; known: demo-1" in load_error(tmp_path)


def test_framework_ids_are_unique_across_files(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT)
    shutil.copy(path, tmp_path / "other.yaml")
    assert "framework id 'demo-1' is used by another catalog file too" in load_error(tmp_path)


def test_zone_kind_all_stands_alone(tmp_path: Path) -> None:
    write_framework(tmp_path, VALID_REQUIREMENT + "    applies_to: [all, cde]\n")
    assert "'all' already covers every zone" in load_error(tmp_path)


def test_an_unquoted_date_is_kept_as_written(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT)
    path.write_text(path.read_text().replace('"2024"', "2024-06-11"))
    assert load_catalog(tmp_path).frameworks[0].published == "2024-06-11"


def test_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    path = write_framework(tmp_path, VALID_REQUIREMENT + "    manual: [unclosed\n")
    assert f"{path}:13: not valid YAML" in load_error(tmp_path)


def test_files_and_directories_that_cannot_be_a_catalog(tmp_path: Path) -> None:
    assert "does not exist" in load_error(tmp_path / "missing")
    assert "no framework files" in load_error(tmp_path)
    (tmp_path / "demo.yml").write_text("framework: Demo\n")
    assert "must end in .yaml" in load_error(tmp_path)
    (tmp_path / "demo.yml").unlink()
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert "the file is empty" in load_error(tmp_path)


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    write_framework(tmp_path, VALID_REQUIREMENT + "    extra: 1\n")
    (tmp_path / "catalog.yaml").write_text("version: '2'\nrelease: x\n")
    message = load_error(tmp_path)
    assert "unknown key 'extra'" in message and "unknown key 'release'" in message
