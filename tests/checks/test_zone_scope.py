"""A zone's scope is judged only where it holds something: a zone that selects no namespace is
NOT_ASSESSED, never PASS, and a split zone never drops a namespace it matches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reporter.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def estate(tmp_path: Path, sample: str, edit: tuple[str, str]) -> Path:
    """A copy of a sample whose reporter.yaml has one edit (the text must be there)."""
    folder = tmp_path / sample
    shutil.copytree(ROOT / "samples" / sample, folder)
    config = folder / "reporter.yaml"
    old, new = edit
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def check(folder: Path) -> tuple[int, dict[str, Any] | None, str]:
    result = CliRunner().invoke(cli, ["check", str(folder), "-o", "json"])
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code, json.loads(result.stdout) if result.stdout else None, result.stderr


def requirements(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for f in assessment["frameworks"] for r in f["requirements"]]


def test_a_split_zone_refuses_namespaces_it_matches_but_cannot_place(tmp_path: Path) -> None:
    """samples/leaky's tenant zone split by a label its namespaces lack: they would fall out of
    every zone unjudged, so the run stops (exit 2) at the zone, naming them and the fix."""
    folder = estate(tmp_path, "leaky", ("split_by: tenant", "split_by: team"))
    code, _, stderr = check(folder)
    assert code == 2
    config = folder / "reporter.yaml"
    line = config.read_text().splitlines().index("  - name: tenant") + 1
    assert stderr.splitlines() == [
        f"error: {config}:{line}: zones[3].split_by: zone tenant is split by the namespace label "
        "team, which 2 namespaces it matches do not carry (tenant-a, tenant-b): no part of the "
        "zone would hold them, and they would leave its scope unjudged",
        "hint: label those namespaces, or narrow the zone to the namespaces that carry the label "
        "(namespaces: {matchExpressions: [{key: team, operator: Exists}]})"]
    paths = CliRunner().invoke(cli, ["paths", str(folder), "--config", str(config)])
    assert (paths.exit_code, paths.stderr) == (2, stderr)


def test_a_split_zone_that_matches_nothing_stays_a_zone_its_flows_can_name(
        tmp_path: Path) -> None:
    """A split zone matching no namespace, named by a declared flow: one empty zone, not
    assessed in any requirement's zone table (it used to be an internal error)."""
    folder = estate(tmp_path, "leaky", ("{key: tenant, operator: Exists}",
                                        "{key: no-such-label, operator: Exists}"))
    code, assessment, stderr = check(folder)
    assert code == 1, stderr  # the other zones still fail
    assert assessment is not None
    judged = [r for r in requirements(assessment) if "tenant" in r["zone_status"]]
    assert judged
    assert {r["zone_status"]["tenant"] for r in judged} == {"NOT_ASSESSED"}
    assert not any(z.startswith("tenant/") for r in requirements(assessment) for z in r["zones"])


def test_a_zone_that_selects_nothing_turns_a_pass_elsewhere_into_not_assessed(
        tmp_path: Path) -> None:
    """samples/fixed passes; a second CDE zone whose name matches no namespace (a typo) is part
    of the CDE judged by PCI DSS: what passes in the first zone says nothing of it, so those
    requirements are NOT_ASSESSED with the reason, and the run exits 2."""
    zone = "  - name: records\n    kind: cde\n    names: [records-typo]\n\nflows:"
    folder = estate(tmp_path, "fixed", ("\nflows:", "\n" + zone))
    code, assessment, stderr = check(folder)
    assert code == 2
    assert assessment is not None
    pci = next(f for f in assessment["frameworks"] if f["id"] == "pci-dss-4.0.1")
    with_records = [r for r in pci["requirements"] if "records" in r["zones"] and r["checks"]]
    assert with_records
    for requirement in with_records:
        assert requirement["automated"] == "NOT_ASSESSED", requirement["id"]
        assert requirement["zone_status"]["records"] == "NOT_ASSESSED"
        assert requirement["zone_status"]["cde"] == "PASS"
        assert requirement["reason"].startswith(
            "no workloads in its scope (records): it selects no namespace of the inputs")
        # A zone selecting no namespace is not one whose namespaces run nothing.
        assert not any("no workload the map models" in c for c in requirement["caveats"])
    assert "not assessed: PCI DSS 4.0.1" in stderr
    unedited = CliRunner().invoke(cli, ["check", str(ROOT / "samples" / "fixed")])
    assert unedited.exit_code == 0, unedited.output


def test_a_failure_elsewhere_is_kept_beside_an_empty_zone(tmp_path: Path) -> None:
    """samples/leaky with its platform zone matching nothing: requirements failing in other
    zones still FAIL (exit 1); the empty zone is NOT_ASSESSED in each zone table, not PASS."""
    folder = estate(tmp_path, "leaky", ("names: [monitoring, kube-system]",
                                        "names: [nothing-here]"))
    code, assessment, _ = check(folder)
    assert code == 1
    assert assessment is not None
    judged = [r for r in requirements(assessment) if "platform" in r["zone_status"]]
    assert judged
    assert {r["zone_status"]["platform"] for r in judged} == {"NOT_ASSESSED"}
    assert {r["automated"] for r in judged} == {"FAIL"}
    assert not any("no workload the map models" in c for r in judged for c in r["caveats"])



VAULT = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: card-vault\n"
VAULT_DENY = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: card-vault}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""


def test_a_zone_holding_no_workload_is_not_assessed_and_named_beside_a_pass(
        tmp_path: Path) -> None:
    """samples/fixed with a second CDE zone whose namespace (denying by default) runs nothing
    the map models: that zone is NOT_ASSESSED in every zone table, and the requirements keep
    the status the first zone gives them, each saying it rests on that zone alone. Where the
    empty namespace itself fails (no default deny), the zone fails and nothing is said."""
    zone = "  - name: vault\n    kind: cde\n    names: [card-vault]\n\nflows:"
    folder = estate(tmp_path, "fixed", ("\nflows:", "\n" + zone))
    (folder / "vault.yaml").write_text(VAULT + VAULT_DENY, encoding="utf-8")
    code, assessment, stderr = check(folder)
    assert code == 0, stderr
    assert assessment is not None
    unedited = check(ROOT / "samples" / "fixed")[1]
    assert unedited is not None
    before = {r["id"]: r for r in requirements(unedited)}
    with_vault = [r for r in requirements(assessment) if "vault" in r["zones"] and r["checks"]]
    assert len(with_vault) > 5
    caveat = ("zone vault holds no workload the map models (card-vault): none of its "
              "connections was judged, so this status rests on the other zones (if workloads "
              "run there, add their manifests to the inputs)")
    for requirement in with_vault:
        assert requirement["zone_status"]["vault"] == "NOT_ASSESSED", requirement["id"]
        assert requirement["automated"] == before[requirement["id"]]["automated"]
        assert caveat in requirement["caveats"]
    assert not any("no workload the map models" in c for r in before.values()
                   for c in r["caveats"])

    (folder / "vault.yaml").write_text(VAULT, encoding="utf-8")
    code, assessment, _ = check(folder)
    assert code == 1
    assert assessment is not None
    inbound = next(r for r in requirements(assessment) if r["id"] == "1.3.1")
    assert (inbound["automated"], inbound["zone_status"]["vault"]) == ("FAIL", "FAIL")
    assert not any("no workload the map models" in c for c in inbound["caveats"])
