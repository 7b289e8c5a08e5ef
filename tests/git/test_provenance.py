"""collect_provenance on real histories: renames, merges, deletions, time zones, periods, refs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reporter.errors import GitError
from reporter.provenance import (
    ObjectLines,
    Provenance,
    collect_provenance,
    commit_details,
    narrowed,
)
from tests.git.conftest import ALICE, BOB, Repo

WEB = "policies/web.yaml"


def policy(name: str, port: int, *, extra_rule: bool = False) -> str:
    rule = "    - ports:\n        - port: 9090\n" if extra_rule else ""
    return (
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n"
        f"  namespace: shop\nspec:\n  podSelector: {{}}\n  ingress:\n"
        f"    - ports:\n        - port: {port}\n{rule}"
    )


@dataclass
class History:
    repo: Repo
    added: str
    port_changed: str
    renamed: str
    rule_deleted: str
    namespaces_changed: str
    merged: str
    comment_inserted: str


@pytest.fixture
def history(make_repo: Callable[..., Repo]) -> History:
    """Two policies in one file, edited, renamed, changed on a branch and merged."""
    repo = make_repo()
    repo.write("policies/old-name.yaml", f"{policy('frontend', 80)}---\n"
                                         f"{policy('backend', 8080, extra_rule=True)}")  # fmt: skip
    repo.write("namespaces.yaml", "kind: Namespace\nmetadata:\n  name: shop\n")
    added = repo.commit("add policies", date="2024-01-01T09:00:00+09:00")
    repo.write("policies/old-name.yaml", f"{policy('frontend', 443)}---\n"
                                         f"{policy('backend', 8080, extra_rule=True)}")  # fmt: skip
    port_changed = repo.commit(
        "frontend: https only", date="2024-02-01T12:00:00-05:00", author=BOB, committer=ALICE,
        committer_date="2024-02-02T08:00:00+01:00",
    )  # fmt: skip
    repo.move("policies/old-name.yaml", WEB)
    renamed = repo.commit("rename", date="2024-03-01T10:00:00+00:00")
    repo.git("switch", "--quiet", "-c", "tighten")
    repo.write(WEB, f"{policy('frontend', 443)}---\n{policy('backend', 8080)}")
    rule_deleted = repo.commit("backend: drop the metrics port", date="2024-03-10T10:00:00+00:00")
    repo.git("switch", "--quiet", "main")
    repo.write("namespaces.yaml", "kind: Namespace\nmetadata:\n  name: shop\n  labels: {a: b}\n")
    namespaces_changed = repo.commit("label shop", date="2024-03-11T10:00:00+00:00")
    merged = repo.merge("tighten", date="2024-03-12T10:00:00+00:00")
    repo.write(
        WEB, f"# owned by team web\n\n{policy('frontend', 443)}---\n{policy('backend', 8080)}"
    )
    comment_inserted = repo.commit("document owner", date="2024-04-01T10:00:00+00:00")
    return History(repo, added, port_changed, renamed, rule_deleted, namespaces_changed, merged,
                   comment_inserted)  # fmt: skip


def test_files_follow_renames_to_the_commit_that_added_them(history: History) -> None:
    prov = collect_provenance(history.repo.path, [WEB, "namespaces.yaml"], None, None, None, None)
    namespaces, web = prov.files
    assert web.path == WEB
    assert web.blob == history.repo.git("rev-parse", f"HEAD:{WEB}")
    assert web.last_commit == history.comment_inserted
    assert (web.introduced_by, web.introduced_as) == (history.added, "policies/old-name.yaml")
    assert web.period_commits == (
        history.comment_inserted, history.rule_deleted, history.renamed, history.port_changed,
        history.added,
    )  # fmt: skip
    assert (namespaces.last_commit, namespaces.introduced_by) == (
        history.namespaces_changed, history.added,
    )  # fmt: skip


def test_changes_are_counted_in_the_assessment_period_inclusive(history: History) -> None:
    since = datetime(2024, 3, 1, 10, tzinfo=UTC)  # exactly the rename
    until = datetime(2024, 3, 10, 19, tzinfo=timezone(timedelta(hours=9)))  # rule_deleted, in JST
    prov = collect_provenance(history.repo.path, [WEB], None, since, until, None)
    assert prov.files[0].period_commits == (history.rule_deleted, history.renamed)
    assert prov.files[0].period_signatures == (("unsigned", 2),)
    assert prov.files[0].to_dict()["changes_in_period"] == 2
    assert (prov.since, prov.until) == (since, until)


def test_every_commit_named_is_detailed_even_one_only_an_object_names(history: History) -> None:
    # The frontend's last change is before the period, and neither the file's newest nor its
    # oldest commit: only the object's history names it (details asked for after the files').
    since = datetime(2024, 4, 1, tzinfo=UTC)
    prov = collect_provenance(history.repo.path, [WEB], None, since, None, None)
    frontend, backend = prov.objects
    assert (frontend.last_commit, backend.last_commit) == (history.port_changed,
                                                           history.rule_deleted)
    details = {c.sha: c for c in prov.commits}
    assert set(details) == {history.comment_inserted, history.added, history.port_changed,
                            history.rule_deleted}
    assert details[history.port_changed].subject == "frontend: https only"


def test_narrowed_to_fewer_files_is_what_collecting_them_gives(history: History) -> None:
    # Collected for every file read while they are parsed, then narrowed to the manifests.
    (history.repo.path / "namespaces.yaml").write_text("kind: Namespace\n")  # dirty
    path = history.repo.path
    for since in (None, datetime(2024, 3, 11, tzinfo=UTC)):
        both = collect_provenance(path, [WEB, "namespaces.yaml"], None, since, None, None)
        for alone in (WEB, "namespaces.yaml"):
            assert narrowed(both, {alone}) == collect_provenance(path, [alone], None, since,
                                                                 None, None)
        assert narrowed(both, {WEB}).commits != both.commits  # the label's commit went


def test_objects_are_traced_by_their_own_lines(history: History) -> None:
    prov = collect_provenance(history.repo.path, [WEB], None, None, None, None)
    frontend, backend = prov.objects
    assert frontend.lines == ObjectLines("NetworkPolicy", "shop", "frontend", 3, 12)
    assert backend.lines == ObjectLines("NetworkPolicy", "shop", "backend", 14, 23)
    # Inserting lines above it, renaming the file and editing the neighbour change nothing.
    assert frontend.period_commits == (history.port_changed, history.added)
    assert (frontend.last_commit, frontend.introduced_by) == (history.port_changed, history.added)
    # A commit that only deletes lines (a removed rule) is the backend's last change.
    assert backend.period_commits == (history.rule_deleted, history.added)
    assert (backend.last_commit, backend.introduced_by) == (history.rule_deleted, history.added)


def test_commits_keep_identities_and_time_zones(history: History) -> None:
    prov = collect_provenance(history.repo.path, [WEB], None, None, None, None)
    edit = prov.commit_info(history.port_changed)
    assert (edit.author.name, edit.author.email) == BOB
    assert edit.author.date == datetime(2024, 2, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert (edit.committer.name, edit.committer.email) == ALICE
    assert edit.committer.to_dict()["date"] == "2024-02-02T08:00:00+01:00"
    assert edit.subject == "frontend: https only"
    assert edit.parents == (history.added,)
    assert prov.commit_info(history.added).author.to_dict()["date"] == "2024-01-01T09:00:00+09:00"
    assert prov.commit_info(history.added).parents == ()
    assert [c.committer.date for c in prov.commits] == sorted(
        c.committer.date for c in prov.commits
    )
    assert prov.commits[-1].sha == prov.commit == history.comment_inserted


def test_a_merge_commit_has_both_parents(history: History) -> None:
    merge = commit_details(history.repo.path, [history.merged])[history.merged]
    assert merge.parents == (history.namespaces_changed, history.rule_deleted)
    assert merge.is_merge
    assert merge.subject == "merge tighten"


def test_reading_at_a_past_ref_reports_that_commit(history: History) -> None:
    repo = history.repo
    repo.git("tag", "before-rename", history.port_changed)
    repo.write("namespaces.yaml", "uncommitted: edit\n")
    prov = collect_provenance(
        repo.path, ["policies/old-name.yaml", "namespaces.yaml"], "before-rename", None, None, None
    )
    assert (prov.ref, prov.commit) == ("before-rename", history.port_changed)
    namespaces, old = prov.files
    assert old.last_commit == history.port_changed
    assert old.blob == repo.git("rev-parse", f"{history.port_changed}:policies/old-name.yaml")
    assert namespaces.last_commit == history.added
    assert prov.repository.dirty  # the work tree is, but the inputs came from the ref
    assert prov.repository.dirty_paths == ()


def test_an_unknown_ref_is_a_git_error_naming_it(history: History) -> None:
    with pytest.raises(GitError, match="unknown Git ref 'release-2025'"):
        collect_provenance(history.repo.path, [WEB], "release-2025", None, None, None)


def test_a_directory_that_is_no_repository_is_a_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a Git repository"):
        collect_provenance(tmp_path, ["a.yaml"], None, None, None, None)


def test_a_repository_without_commits_is_a_git_error(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    with pytest.raises(GitError, match="no commits yet"):
        collect_provenance(repo.path, ["a.yaml"], None, None, None, None)


def test_period_bounds_without_a_time_zone_are_a_programming_error(history: History) -> None:
    with pytest.raises(ValueError, match="time zone"):
        collect_provenance(history.repo.path, [WEB], None, datetime(2024, 1, 1), None, None)


def test_to_dict_is_json_deterministic_and_free_of_local_paths(history: History) -> None:
    def collect() -> Provenance:
        return collect_provenance(
            history.repo.path, [str(history.repo.path / WEB), "namespaces.yaml"], None,
            datetime(2024, 1, 1, tzinfo=UTC), None, None,
        )  # fmt: skip

    first = json.dumps(collect().to_dict())
    assert first == json.dumps(collect().to_dict())
    assert str(history.repo.path) not in first
    as_dict = json.loads(first)
    assert [f["path"] for f in as_dict["files"]] == ["namespaces.yaml", WEB]
    assert as_dict["objects"][0]["lines"]["name"] == "frontend"
    assert as_dict["files"][1]["period_signatures"] == {"unsigned": 5}
    assert as_dict["since"] == "2024-01-01T00:00:00+00:00"


def test_a_hundred_files_are_collected_with_every_commit(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    names = [f"p/{i:03}.yaml" for i in range(100)]
    for round_ in range(3):
        for name in names:
            repo.write(name, policy(name[2:5], 80 + round_))
        repo.commit(f"round {round_}", date=f"2024-0{round_ + 1}-01T00:00:00+00:00")
    prov = collect_provenance(repo.path, names, None, None, None, None)
    assert len(prov.files) == len(prov.objects) == 100
    assert all(len(o.period_commits) == 3 for o in prov.objects)


def test_a_conflict_resolved_by_hand_is_the_objects_last_change(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("np.yaml", policy("api", 80))
    added = repo.commit("add", date="2024-01-01T00:00:00+00:00")
    repo.git("switch", "--quiet", "-c", "side")
    repo.write("np.yaml", policy("api", 81))
    repo.commit("side: 81", date="2024-01-02T00:00:00+00:00")
    repo.git("switch", "--quiet", "main")
    repo.write("np.yaml", policy("api", 82))
    repo.commit("main: 82", date="2024-01-03T00:00:00+00:00")
    repo.git("merge", "--quiet", "--no-commit", "-X", "ours", "side")
    repo.write("np.yaml", policy("api", 443))  # neither side's port
    merge = repo.commit("merge side", date="2024-01-04T00:00:00+00:00")
    prov = collect_provenance(repo.path, ["np.yaml"], None, None, None, None)
    assert (prov.objects[0].last_commit, prov.objects[0].introduced_by) == (merge, added)
    assert prov.files[0].last_commit == merge
    assert prov.commit_info(merge).is_merge


def test_an_object_moved_within_its_file_keeps_its_history(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("np.yaml", f"{policy('a', 80)}---\n{policy('b', 90)}")
    added = repo.commit("add", date="2024-01-01T00:00:00+00:00")
    repo.write("np.yaml", f"{policy('a', 81)}---\n{policy('b', 90)}")
    edited = repo.commit("a: 81", date="2024-01-02T00:00:00+00:00")
    repo.write("np.yaml", f"{policy('b', 90)}---\n{policy('a', 81)}")
    repo.commit("reorder", date="2024-01-03T00:00:00+00:00")
    b, a = collect_provenance(repo.path, ["np.yaml"], None, None, None, None).objects
    assert (a.lines.name, a.lines.first_line, a.period_commits) == ("a", 12, (edited, added))
    assert (b.lines.name, b.period_commits) == ("b", (added,))
