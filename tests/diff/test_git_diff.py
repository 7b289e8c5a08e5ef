"""Diffs between Git refs of a real repository: renames and reformatting are no change, a
changed port is one (in text and reachability), and each change is traced to its commits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reporter.cli import cli
from reporter.diff import Delta, compute_delta
from reporter.diff.sides import (
    SideOptions,
    delta_since,
    git_range_sides,
    load_side,
    since_side,
)
from reporter.inputs import GitOptions, load_inputs
from reporter.model import GIT_PROVENANCE
from reporter.pipeline import Assessed, Assessor
from tests.git.conftest import ALICE, Repo, SshKey

from .estate import db_policy
from .history import DB_FILE, History, build_history

DB, API = "shop/db[StatefulSet]", "shop/api[Deployment]"


@pytest.fixture
def history(make_repo: Callable[..., Repo], ssh_key: Callable[[str], SshKey],
            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    built = build_history(make_repo(), ssh_key("alice"), tmp_path / "allowed_signers")
    monkeypatch.chdir(built.repo.path)
    return built


def git_delta(history: History, text: str, paths: tuple[str, ...] = ("estate",)) -> Delta:
    options = SideOptions(git=GitOptions(allowed_signers=history.signers))
    old, new = git_range_sides(text, paths, options)
    return compute_delta(old, new, allowed_signers=history.signers)


def test_reformatting_and_renaming_a_policy_file_is_no_difference(history: History) -> None:
    delta = git_delta(history, "v1..v2")
    assert delta.is_empty
    assert (delta.policies, delta.reachability and delta.reachability.groups) == ((), ())
    assert delta.status is not None and delta.status.is_empty
    assert (delta.old.commit, delta.new.commit) == (history.added, history.renamed)


def test_a_changed_port_is_a_text_diff_and_a_reachability_change(history: History) -> None:
    delta = git_delta(history, "v2..v3")
    (change,) = delta.policies
    assert (change.key, change.change) == ("shop/db", "modified")
    assert (change.old_location, change.new_location) == (
        "estate/policies/db.yaml:1", "estate/policies/db.yaml:1")
    assert change.diff == """\
--- a/shop/db
+++ b/shop/db
@@ -4,7 +4,7 @@
       matchLabels:
         app: api
   ports:
-  - port: 5432
+  - port: 5433
     protocol: TCP
 podSelector:
   matchLabels:
"""
    assert delta.reachability is not None
    assert [(c.src, c.dst, c.old, c.new, c.opened, c.closed)
            for g in delta.reachability.groups for c in g.changes] == [
        (API, DB, "TCP 5432", "TCP 5433", "TCP 5433", "TCP 5432")]


def test_each_change_is_traced_to_the_commits_in_the_range_with_their_signatures(
    history: History,
) -> None:
    delta = git_delta(history, "v1..v4")
    assert [(c.key, c.change) for c in delta.policies] == [
        ("shop/db", "modified"), ("shop/web-ingress", "removed")]
    authorship = delta.authorship
    assert authorship is not None
    assert authorship.range == f"{history.added}..{history.web_removed}"
    # the rename left the text alone and the merge took the branch's file: neither changed it
    assert [(p.key, p.commits, p.uncommitted) for p in authorship.policies] == [
        ("shop/db", (history.port_changed, history.reformatted), False),
        ("shop/web-ingress", (history.web_removed,), False),
    ]
    commits = {c.sha: c for c in authorship.commits}
    assert list(commits) == [history.web_removed, history.port_changed, history.reformatted]
    signed = commits[history.port_changed]
    assert (signed.signature, signed.signer, signed.author) == (
        "good", ALICE[1], f"{ALICE[0]} <{ALICE[1]}>")
    assert (signed.subject, signed.date) == ("db: listen on 5433", "2024-03-01T09:00:00+01:00")
    assert commits[history.reformatted].signature == "unsigned"


def test_without_allowed_signers_a_signed_commit_has_an_unknown_key(history: History) -> None:
    old, new = git_range_sides("v2..v3", ("estate",), SideOptions())
    authorship = compute_delta(old, new).authorship
    assert authorship is not None
    assert [(c.sha, c.signature) for c in authorship.commits] == [
        (history.port_changed, "unknown-key")]


def test_new_defaults_to_head_and_paths_to_the_whole_repository(history: History) -> None:
    delta = git_delta(history, "v3..", ())
    assert (delta.new.label, delta.new.commit) == ("HEAD", history.web_removed)
    assert [(c.key, c.change) for c in delta.policies] == [("shop/web-ingress", "removed")]


def test_the_command_line_exits_0_for_no_difference_and_1_for_one(history: History) -> None:
    same = CliRunner().invoke(cli, ["diff", "--git-range", "v1..v2", "estate", "-o", "txt"])
    assert same.exit_code == 0, same.output
    assert same.stdout.startswith(
        f"reporter diff: v1 (git @ {history.added[:12]}) -> v2 (git @ {history.renamed[:12]})\n"
        "No differences.\n")
    # The authorship heading is never left empty: it says why no commit is listed.
    assert (f"Authorship ({history.added[:12]}..{history.renamed[:12]})\n"
            "  No policy changed, so no commit is attributed\n") in same.stdout
    markdown = CliRunner().invoke(cli, ["diff", "--git-range", "v1..v2", "estate", "-o", "md"])
    assert (f"## Authorship (`{history.added[:12]}..{history.renamed[:12]}`)\n\n"
            "No policy changed, so no commit is attributed.\n") in markdown.stdout
    changed = CliRunner().invoke(cli, ["diff", "--git-range", "v2..v3", "estate", "-o", "md",
                                       "--allowed-signers", str(history.signers)])
    assert changed.exit_code == 1, changed.output
    assert (f"| `shop/db` | `{history.port_changed[:12]}` | {ALICE[0]} \\<{ALICE[1]}> | "
            "2024-03-01T09:00:00+01:00 | db: listen on 5433 | good |") in changed.stdout


def test_drift_of_a_snapshot_against_a_ref(history: History, tmp_path: Path) -> None:
    live = tmp_path / "live.yaml"
    live.write_text(db_policy(5433), encoding="utf-8")  # as v3 has it, without web-ingress
    result = CliRunner().invoke(cli, ["drift", "--cluster", str(live), "--git-ref", "v3",
                                      "estate", "-o", "json"])
    assert result.exit_code == 1, result.output
    delta = json.loads(result.stdout)
    assert (delta["old"]["label"], delta["old"]["commit"]) == ("v3:estate", history.merged)
    assert [(p["key"], p["change"]) for p in delta["policies"]] == [
        ("shop/web-ingress", "removed")]


def current_run(paths: list[str]) -> Assessed:
    return Assessor(SideOptions()).run(paths)


def current_run_at(ref: str) -> Assessed:
    """The pipeline's own reading at a ref: provenance.git names the commit."""
    return Assessor(SideOptions()).assess(load_inputs(["estate"], git_ref=ref))


@pytest.mark.parametrize("absolute", [False, True])
def test_since_a_ref_attributes_committed_changes_and_flags_uncommitted_ones(
    history: History, absolute: bool
) -> None:
    """Named by an absolute path, the files are still matched with the repository's
    uncommitted ones (paths in the repository)."""
    history.repo.write(DB_FILE, db_policy(6000))  # edited, not committed
    assessor = Assessor(SideOptions())
    current = str(Path("estate").absolute()) if absolute else "estate"
    delta = delta_since(since_side("v2", ["estate"], assessor), assessor.run([current]))
    assert (delta.old.label, delta.new.label) == ("v2", "current run")
    assert delta.authorship is not None
    assert [(p.key, p.commits, p.uncommitted) for p in delta.authorship.policies] == [
        ("shop/db", (history.port_changed,), True),
        ("shop/web-ingress", (history.web_removed,), False),
    ]
    assert delta.status is not None and delta.reachability is not None


def test_since_a_pack_uses_the_commit_it_recorded(history: History, tmp_path: Path) -> None:
    old = current_run_at("v1")
    assert old.assessment.git_provenance is not None
    assert old.assessment.git_provenance["commit"] == history.added
    pack = tmp_path / "pack.json"
    pack.write_text(old.assessment.model_dump_json(), encoding="utf-8")
    current = current_run(["estate"])
    delta = delta_since(since_side(str(pack), ["estate"], Assessor(SideOptions())), current)
    assert (delta.old.kind, delta.old.commit, delta.new.commit) == (
        "pack", history.added, history.web_removed)
    assert [c.key for c in delta.policies] == ["shop/db", "shop/web-ingress"]
    assert delta.authorship is not None
    assert [c.sha for c in delta.authorship.commits] == [
        history.web_removed, history.port_changed, history.reformatted]


def test_a_pack_commit_missing_from_the_repository_is_a_note(history: History,
                                                             tmp_path: Path) -> None:
    current = current_run(["estate"])
    elsewhere = current.assessment.model_copy(
        update={"provenance": {GIT_PROVENANCE: {"commit": "f" * 40}}})
    pack = tmp_path / "pack.json"
    pack.write_text(elsewhere.model_dump_json(), encoding="utf-8")
    delta = delta_since(since_side(str(pack), ["estate"], Assessor(SideOptions())), current)
    assert delta.authorship is None
    assert delta.is_empty
    assert delta.notes == (f"commit {'f' * 40} ({pack}) is not in the repository at "
                           f"{history.repo.path}: authorship is not shown (fetch it to see who "
                           "changed what)",)


def test_two_folders_of_one_work_tree_have_no_authorship(history: History) -> None:
    history.repo.write("copy/workloads.yaml", (history.repo.path / "estate/workloads.yaml")
                       .read_text(encoding="utf-8"))
    history.repo.write("copy/db.yaml", db_policy(5434))
    history.repo.commit("a copy")
    options = SideOptions(assess=False)
    delta = compute_delta(load_side("estate", options), load_side("copy", options))
    assert [(c.key, c.change) for c in delta.policies] == [("shop/db", "modified")]
    assert delta.new.commit == delta.old.commit is not None
    assert delta.authorship is None


def test_two_packs_with_commits_and_no_repository_have_no_authorship(history: History,
                                                                    tmp_path: Path) -> None:
    """Packs name the commits they were read at, but neither side is a work tree: who changed
    what cannot be traced, and the comparison goes on without it."""
    packs = []
    for ref in ("v1", "v4"):
        pack = tmp_path / f"{ref}.json"
        pack.write_text(current_run_at(ref).assessment.model_dump_json(), encoding="utf-8")
        packs.append(load_side(str(pack), SideOptions()))
    assert packs[0].info.commit == history.added and packs[0].repository is None
    delta = compute_delta(*packs)
    assert [c.key for c in delta.policies] == ["shop/db", "shop/web-ingress"]
    assert delta.authorship is None and delta.notes == ()
