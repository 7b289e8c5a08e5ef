"""`reporter report --since REF|PACK`: the chapter "Changes since the previous review" and the
brief record in pack.json, from a real Git history."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli
from reporter.pack import PACK_JSON, REPORT_HTML
from tests.git.conftest import ALICE, BOB, Repo

from .conftest import REPO

EPOCH = "1712050200"
CONFIG = ["--config", "estate/reporter.yaml"]
DEBUG_POLICY = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: debug-backend
  namespace: production
spec:
  podSelector:
    matchLabels:
      tier: backend
  ingress:
  - from:
    - ipBlock:
        cidr: 0.0.0.0/0
    ports:
    - port: 8080
"""


@dataclass(frozen=True)
class Estate:
    repo: Repo
    v1: str
    """samples/fixed as published."""
    port_moved: str
    """Alice: the database accepts 5433, so the backend (allowed 5432 out) cannot reach it."""
    debug_opened: str
    """Bob: the backend is reachable from the internet on 8080."""


@pytest.fixture
def estate(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Estate:
    repo = make_repo()
    for name in ("policies.yaml", "workloads.yaml", "reporter.yaml"):
        repo.write(f"estate/{name}", (REPO / "samples" / "fixed" / name).read_text())
    v1 = repo.commit("the fixed estate", date="2024-01-05T10:00:00+00:00")
    repo.git("tag", "v1")
    policies = repo.path / "estate" / "policies.yaml"
    text = policies.read_text()
    database = text.index("name: database-policy")
    port = text.index("port: 5432", database)
    policies.write_text(text[:port] + "port: 5433" + text[port + len("port: 5432"):])
    port_moved = repo.commit("db: listen on 5433", author=ALICE,
                             date="2024-02-01T10:00:00+00:00")
    policies.write_text(policies.read_text() + DEBUG_POLICY)
    debug_opened = repo.commit("backend: open 8080 for debugging", author=BOB,
                               date="2024-03-01T10:00:00+00:00")
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return Estate(repo, v1, port_moved, debug_opened)


def report(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["report", "estate", *CONFIG, *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def pack(folder: Path) -> dict[str, Any]:
    return json.loads((folder / PACK_JSON).read_text())  # type: ignore[no-any-return]


def test_since_a_ref_adds_the_chapter_and_records_the_changes(estate: Estate) -> None:
    result = report("--since", "v1", "--out", "pack")
    assert "since v1: 2 policies, " in result.output
    folder = estate.repo.path / "pack"
    changes = pack(folder)["changes_since"]
    assert (changes["since"], changes["kind"], changes["commit"]) == ("v1", "git", estate.v1)
    assert changes["policies"] == [{"key": "production/database-policy", "change": "modified"},
                                   {"key": "production/debug-backend", "change": "added"}]
    assert (changes["level"], changes["internet_exposure"]) == ("workload", 1)
    assert changes["connections"]["removed"] == 1
    assert changes["commits"] == [
        {"sha": estate.debug_opened, "signature": "unsigned", "signer": None},
        {"sha": estate.port_moved, "signature": "unsigned", "signer": None}]
    assert any(r["new"] == "FAIL" and r["old"] == "PASS" for r in changes["requirements"])
    assert pack(folder)["command"][-2:] == ["--since", "v1"]

    html = (folder / REPORT_HTML).read_text()
    assert "<h1>4. Changes since the previous review</h1>" in html
    assert "<h1>5. Scope, completeness and limitations</h1>" in html
    assert "<h1>9. Appendix</h1>" in html
    assert f"v1 (git @ {estate.v1[:12]})" in html
    diff = '<span class="del">-  - port: 5432</span><span class="add">+  - port: 5433</span>'
    assert diff in html
    exposure = html.index("✘ New exposure to the internet")
    assert exposure < html.index("<code>production/backend[Deployment]</code></td>"
                                 "<td><code>production/database[StatefulSet]</code>")
    assert "backend: open 8080 for debugging" in html and f"{BOB[0]} &lt;{BOB[1]}&gt;" in html
    assert "– unsigned" in html
    assert "2 commits without a good signature" in html
    assert '<a href="#changes">Chapter 4</a> shows the changes since v1' in html


def test_since_a_pack_compares_with_the_commit_the_pack_recorded(estate: Estate) -> None:
    report("--git-ref", "v1", "--out", "previous")
    previous = pack(estate.repo.path / "previous")
    assert previous["provenance"]["git"]["commit"] == estate.v1
    assert previous["changes_since"] is None

    report("--since", "previous", "--out", "current")
    changes = pack(estate.repo.path / "current")["changes_since"]
    assert (changes["since"], changes["kind"], changes["commit"]) == ("previous", "pack",
                                                                      estate.v1)
    assert [c["sha"] for c in changes["commits"]] == [estate.debug_opened, estate.port_moved]
    html = (estate.repo.path / "current" / REPORT_HTML).read_text()
    assert f"previous (pack @ {estate.v1[:12]})" in html
    assert "Since the previous review</h2>" in html
    assert "db: listen on 5433" in html


def test_since_nothing_changed_says_so(estate: Estate) -> None:
    report("--since", "HEAD", "--out", "pack")
    changes = pack(estate.repo.path / "pack")["changes_since"]
    assert (changes["policies"], changes["connections"], changes["requirements"]) == ([], {}, [])
    html = (estate.repo.path / "pack" / REPORT_HTML).read_text()
    assert "<strong>Nothing changed</strong>" in html
    assert "No policy changed, so no commit is attributed." in html


def test_a_cause_failing_for_more_workloads_than_at_the_previous_review(
        estate: Estate) -> None:
    """A second backend after Bob's debug rule opened the backends to the internet: the finding
    is the same (its cause, the rule) and now affects one more workload; the changes chapter
    lists it after the new failures, naming the workload, and does not fail to render."""
    workloads = estate.repo.path / "estate" / "workloads.yaml"
    text = workloads.read_text()
    backend = text.index("name: backend")
    start, stop = text.rindex("---", 0, backend), text.index("\n---", backend)
    workloads.write_text(text.rstrip("\n") + "\n" + text[start:stop].replace(
        "name: backend", "name: backend-canary", 1).strip() + "\n")
    estate.repo.commit("backend: a canary", date="2024-03-10T10:00:00+00:00")
    report("--since", estate.debug_opened, "--out", "pack")
    changes = pack(estate.repo.path / "pack")["changes_since"]
    assert changes["findings"].get("widened"), changes["findings"]
    html = (estate.repo.path / "pack" / REPORT_HTML).read_text()
    assert "still failing, for more workloads" in html
    assert "; now also affects production/backend-canary[Deployment]" in html


def test_long_lists_are_bounded_on_paper_and_say_how_long_they_are(
        estate: Estate, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporter.render import review
    monkeypatch.setattr(review, "SHOWN_ROWS", 1)
    monkeypatch.setattr(review, "SHOWN_CONNECTION_CHANGES", 1)
    report("--since", "v1", "--out", "pack")
    html = (estate.repo.path / "pack" / REPORT_HTML).read_text()
    changes = pack(estate.repo.path / "pack")["changes_since"]
    assert ("The first 1 of 2 changed policies\n    are listed; <code>reporter diff</code> lists "
            "them all.") in html
    assert (f"The first 1 of {sum(changes['connections'].values())} changes are") in html
    assert "The first 1 of 2 rows are" in html  # one commit row per changed policy


@pytest.mark.parametrize(("policies", "connections", "requirements", "line"), [
    (1, 1, 1, "1 policy, 1 connection and 1 requirement status changed"),
    (2, 20332, 0, "2 policies, 20,332 connections and 0 requirement statuses changed"),
])
def test_the_terminal_line_counts_the_changes_in_words(
        policies: int, connections: int, requirements: int, line: str) -> None:
    from reporter.commands.report import _changes_line
    from reporter.model import ChangesSince, PolicyChangeRef, RequirementChangeRef

    changes = ChangesSince.model_construct(
        policies=[PolicyChangeRef(key=f"a/p{i}", change="added") for i in range(policies)],
        connections={"added": connections},
        requirements=[RequirementChangeRef(framework="pci", id=str(i), old="PASS", new="FAIL")
                      for i in range(requirements)])
    assert _changes_line(changes) == line


def test_the_side_at_a_ref_is_read_for_no_copy(estate: Estate,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the current inputs are copied into the pack: the ones at the ref are parsed
    without finding what their copies would redact."""
    import reporter.inventory.manifests as manifests

    redacted: list[str] = []

    class Recorded(manifests.Redaction):
        def __init__(self, text: str) -> None:
            redacted.append(text)
            super().__init__(text)

    monkeypatch.setattr(manifests, "Redaction", Recorded)
    report("--since", "v1", "--out", "pack")
    current = [(estate.repo.path / "estate" / name).read_text()
               for name in ("policies.yaml", "workloads.yaml")]
    assert sorted(redacted) == sorted(current)
