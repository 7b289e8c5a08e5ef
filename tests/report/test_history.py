"""Every finding and policy points to its commit: the policy inventory's last change and
introducing commit, ``file:line @ sha`` on artefacts, uncommitted files flagged; built from real
Git repositories."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reporter.commands.report import report_run
from reporter.model import GIT_PROVENANCE, Assessment
from reporter.pack import EVIDENCE_CSV, REPORT_HTML
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import render_documents
from reporter.render.history import (
    DIRTY_SHOWN,
    FILE_FALLBACK,
    UNCOMMITTED_NOTE,
    commit_view,
    git_history,
)
from tests.git.conftest import ALICE, BOB, Repo

from .conftest import REPO

EPOCH = "1712050200"
THREE_TIER = REPO / "samples" / "three-tier"
TIGHTENED = "Tighten the CDN rule to 8443"
STAGING_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: staging-deny, namespace: staging}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def _estate(make_repo: Callable[..., Repo]) -> tuple[Repo, str, str]:
    """The three-tier estate added by Alice in Tokyo, then one policy changed by Bob in New York:
    (repository, Alice's commit, Bob's commit)."""
    repo = make_repo()
    for name in ("policies.yaml", "workloads.yaml"):
        repo.write(f"estate/{name}", (THREE_TIER / name).read_text())
    added = repo.commit("Add the three-tier estate", author=ALICE, date="2024-01-15T10:00:00+09:00")
    policies = repo.path / "estate" / "policies.yaml"
    policies.write_text(policies.read_text().replace("port: 443", "port: 8443"))
    changed = repo.commit(TIGHTENED, author=BOB, date="2024-02-20T09:15:00-05:00")
    return repo, added, changed


def _report(paths: list[str], monkeypatch: pytest.MonkeyPatch, where: Path,
            git_ref: str | None = None) -> tuple[Assessment, dict[str, bytes]]:
    monkeypatch.chdir(where)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run = report_run(paths, PipelineOptions(), git_ref=git_ref)
    return run.assessment, render_documents(run.assessment, run.inputs)


def _text(markup: str) -> str:
    """The text a reader sees: tags dropped, a line break as a space, spaces collapsed."""
    text = re.sub(r"<[^>]+>", "", markup.replace("<br>", " "))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _inventory(files: dict[str, bytes]) -> dict[str, str]:
    """Policy key -> the text of its rows in the policy inventory."""
    page = files[REPORT_HTML].decode()
    section = page[page.index('<h2 id="policies">'):]
    section = section[:section.index("</section>")]
    rows = [_text(chunk) for chunk in section.split('<tbody class="policy">')[1:]]
    return {row.split(" ", 1)[0]: row for row in rows}


def _csv_commits(files: dict[str, bytes]) -> dict[str, str]:
    """Artefact -> the commit column of the evidence index."""
    rows = csv.DictReader(io.StringIO(files[EVIDENCE_CSV].decode()))
    return {row["artefact"]: row["commit"] for row in rows}


def test_the_inventory_names_each_policys_last_change_and_its_introduction(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, added, changed = _estate(make_repo)
    _, files = _report(["estate"], monkeypatch, repo.path)
    rows = _inventory(files)
    assert list(rows) == ["production/backend-policy", "production/database-policy",
                          "production/default-deny-all", "production/frontend-policy"]
    frontend = rows["production/frontend-policy"]
    # Names only on the page (the e-mail addresses are in pack.json); the introducing commit,
    # shown second, in brief.
    assert (f"Last change {changed[:12]} Bob Example, 2024-02-20 09:15 -05:00, "
            f"signature – unsigned: “{TIGHTENED}”") in frontend
    assert (f"Introduced {added[:12]} Alice Example, 2024-01-15, signature – unsigned"
            ) in frontend
    backend = rows["production/backend-policy"]
    assert f"Last change {added[:12]} Alice Example" in backend  # Bob's commit left it alone
    # A policy whose document starts on the line the policy is cited at (no comment above
    # its first key) is found in the object history too, not given the file's.
    deny = rows["production/default-deny-all"]
    assert f"Last change {added[:12]} Alice Example" in deny and FILE_FALLBACK not in deny
    assert "Introduced by the same commit" in backend
    page = files[REPORT_HTML].decode()
    assert "⚠ uncommitted" not in page and "no commit history" not in page


def test_artefacts_name_the_commit_their_file_is_at(make_repo: Callable[..., Repo],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo, added, changed = _estate(make_repo)
    _, files = _report(["estate"], monkeypatch, repo.path)
    page = files[REPORT_HTML].decode()
    # The frontend's allow-all ingress rule, in the findings chapter and the evidence index.
    policy_file = ('<code>estate/policies.yaml:31</code> <code class="sha">@&#8239;'
                   f'{changed[:12]}</code> NetworkPolicy production/frontend-policy')
    workload_file = f'<code>estate/workloads.yaml:85</code> <code class="sha">@&#8239;{added[:12]}'
    findings = page[page.index('id="findings"'):page.index('id="manual"')]
    assert policy_file in findings and workload_file in findings
    commits = _csv_commits(files)
    assert commits["estate/policies.yaml:31 · NetworkPolicy production/frontend-policy · "
                   "ingress[0]"] == changed
    assert commits["estate/workloads.yaml:85 · Deployment kube-system/coredns"] == added


def test_at_a_ref_artefacts_name_the_commit_as_of_that_ref(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, added, _ = _estate(make_repo)
    policies = repo.path / "estate" / "policies.yaml"
    policies.write_text(policies.read_text() + "# edited, not committed\n")  # not what is read
    _, files = _report(["estate"], monkeypatch, repo.path, git_ref=added)
    page = files[REPORT_HTML].decode()
    assert f'<code>estate/policies.yaml:31</code> <code class="sha">@&#8239;{added[:12]}' in page
    assert "⚠ uncommitted" not in page
    frontend = _inventory(files)["production/frontend-policy"]
    assert f"Last change {added[:12]} Alice Example" in frontend  # Bob's change is after the ref
    assert {c for artefact, c in _csv_commits(files).items() if "estate/" in artefact} == {added}


def test_uncommitted_files_are_flagged(make_repo: Callable[..., Repo],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, changed = _estate(make_repo)
    workloads = repo.path / "estate" / "workloads.yaml"
    workloads.write_text(workloads.read_text() + "# edited, not committed\n")
    _, files = _report(["estate"], monkeypatch, repo.path)
    page = files[REPORT_HTML].decode()
    flag = '<span class="uncommitted" title="the file as read differs from every commit">' \
           '⚠ uncommitted</span>'
    summary = page[page.index('id="key-findings"'):page.index('class="framework-summary"')]
    findings = page[page.index('id="findings"'):page.index('id="manual"')]
    for section in (summary, findings):
        assert f"<code>estate/workloads.yaml:85</code> {flag}" in section
        assert f"<code>estate/policies.yaml:31</code> {flag}" not in section
    assert f'<code>estate/policies.yaml:31</code> <code class="sha">@&#8239;{changed[:12]}' in page
    assert f"<code>estate/workloads.yaml</code> {flag}" in page  # the scope chapter's inputs
    commits = _csv_commits(files)
    assert commits["estate/workloads.yaml:85 · Deployment kube-system/coredns"] == "uncommitted"
    assert "these inputs differ from the commit: estate/workloads.yaml" in _text(page)
    # No policy is in that file: the inventory has nothing to flag.
    assert "uncommitted" not in "".join(_inventory(files).values())
    assert "Not as committed" not in page


def test_a_policy_never_committed_has_no_history_and_says_so(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = _estate(make_repo)
    repo.write("estate/staging.yaml", STAGING_POLICY)
    _, files = _report(["estate"], monkeypatch, repo.path)
    rows = _inventory(files)
    assert rows["staging/staging-deny"].endswith(
        "⚠ uncommitted the file was never committed: no history")
    assert "Last change" not in rows["staging/staging-deny"]
    assert "uncommitted" not in rows["production/frontend-policy"]
    assert ("⚠ uncommitted Not as committed: estate/staging.yaml. The policies read from it may "
            "differ from the commits shown, or have none.") in _text(files[REPORT_HTML].decode())


def test_a_policy_written_on_one_line_has_its_own_history(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, changed = _estate(make_repo)
    repo.write("estate/flow.yaml", '{"apiVersion": "networking.k8s.io/v1", "kind": '
               '"NetworkPolicy", "metadata": {"name": "one-line", "namespace": "production"}, '
               '"spec": {"podSelector": {}, "policyTypes": ["Egress"]}}\n')
    repo.write("estate/notes.yaml", "# unrelated\n")
    flow = repo.commit("Add a one-line policy", author=ALICE, date="2024-03-01T10:00:00+09:00")
    (repo.path / "estate" / "notes.yaml").write_text("# still unrelated\n")
    repo.commit("Touch the notes", author=BOB, date="2024-03-02T10:00:00+09:00")
    _, files = _report(["estate"], monkeypatch, repo.path)
    row = _inventory(files)["production/one-line"]
    assert f"Last change {flow[:12]} Alice Example" in row and FILE_FALLBACK not in row
    assert changed[:12] not in row


def test_a_policy_in_a_changed_file_keeps_its_commits_and_is_marked(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, changed = _estate(make_repo)
    policies = repo.path / "estate" / "policies.yaml"
    policies.write_text(policies.read_text() + "# edited, not committed\n")
    assessment, files = _report(["estate"], monkeypatch, repo.path)
    frontend = _inventory(files)["production/frontend-policy"]
    assert f"Last change {changed[:12]} Bob Example" in frontend
    assert f"⚠ uncommitted {UNCOMMITTED_NOTE}" in frontend
    history = git_history(assessment.git_provenance, assessment.policies)
    assert history.uncommitted_policy_files == ("estate/policies.yaml",)


def test_without_object_history_the_files_history_is_shown_and_said(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, added, changed = _estate(make_repo)
    assessment, _ = _report(["estate"], monkeypatch, repo.path)
    git = dict(assessment.git_provenance or {})
    git["objects"] = []
    history = git_history(git, assessment.policies)
    backend = history.policies["production/backend-policy"]
    assert backend.note == FILE_FALLBACK
    assert backend.last is not None and backend.last.sha == changed  # the file's, not its own
    assert backend.introduced is not None and backend.introduced.sha == added
    assert backend.uncommitted is None


def test_paths_named_from_elsewhere_are_traced_to_the_repository(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo, _, changed = _estate(make_repo)
    absolute = str(repo.path / "estate")
    assessment, files = _report([absolute], monkeypatch, tmp_path)
    git = (assessment.provenance or {})[GIT_PROVENANCE]
    assert git["repository_paths"] == {f"{absolute}/policies.yaml": "estate/policies.yaml",
                                       f"{absolute}/workloads.yaml": "estate/workloads.yaml"}
    page = files[REPORT_HTML].decode()
    assert (f'<code>{absolute}/policies.yaml:31</code> <code class="sha">@&#8239;{changed[:12]}'
            in page)
    assert f"Last change {changed[:12]}" in _inventory(files)["production/frontend-policy"]


def test_inputs_outside_git_say_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(THREE_TIER, tmp_path / "estate")
    _, files = _report(["estate"], monkeypatch, tmp_path)
    page = files[REPORT_HTML].decode()
    assert _text(page).count("Inputs not under version control: no commit history.") == 1
    assert "Last change" not in page and "@&#8239;" not in page
    assert set(_csv_commits(files).values()) == {""}


def test_a_commit_date_in_utc_reads_plus_zero() -> None:
    author = {"name": "A", "email": "a@example.com", "date": "2024-04-01T09:00:00+00:00"}
    commit = {"sha": "0" * 40, "signature": "none", "subject": "s", "author": author}
    assert commit_view(commit).date == "2024-04-01 09:00 +00:00"
    west = {**commit, "author": {**author, "date": "2024-04-01T09:00:00-00:30"}}
    assert commit_view(west).date == "2024-04-01 09:00 -00:30"


def _rows(**git: object) -> dict[str, str]:
    base = {"commit": "0" * 40, "repository": {"branch": "main"}, "files": [], "commits": []}
    return dict(git_history({**base, **git}, []).source)


def test_the_source_rows_say_what_the_period_and_the_work_tree_hold() -> None:
    # A period open at one end still has its changes stated.
    assert "Changes in the period" in _rows(since="2024-01-01T00:00:00+00:00")
    assert "Changes in the period" in _rows(until="2024-04-01T00:00:00+00:00")
    assert "Changes in the period" not in _rows()
    shown = [f"f{i}.yaml" for i in range(DIRTY_SHOWN)]
    assert "Inputs table" not in _rows(repository={"dirty_paths": shown})["Work tree"]
    more = _rows(repository={"dirty_paths": [*shown, "g.yaml"]})["Work tree"]
    assert "(each is marked uncommitted in the Inputs table)" in more
