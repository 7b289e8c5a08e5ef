"""reporter.git against real repositories: the environment, errors, trees, blobs and history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reporter import git
from reporter.errors import GitError
from tests.git.conftest import Repo


def test_git_runs_in_the_c_locale_without_prompts(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    # A shell alias prints the environment git hands to its children.
    env = git.run_git(["-c", "alias.showenv=!env", "showenv"], repo.path).decode().splitlines()
    assert "LC_ALL=C" in env
    assert "GIT_TERMINAL_PROMPT=0" in env


def test_an_inherited_git_dir_does_not_redirect_commands(
    make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, hooks_repo = make_repo("ours"), make_repo("hooks")
    monkeypatch.setenv("GIT_DIR", str(hooks_repo.path / ".git"))  # as inside a git hook
    top = git.run_git(["rev-parse", "--show-toplevel"], ours.path).decode().strip()
    assert Path(top) == ours.path


def test_a_directory_outside_any_repository_is_a_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError) as raised:
        git.run_git(["status"], tmp_path)
    assert raised.value.problems[0].message == "not inside a Git repository"
    assert raised.value.problems[0].file == str(tmp_path)
    assert "run inside a Git work tree" in (raised.value.hint or "")


def test_a_missing_directory_is_a_git_error_not_a_missing_git(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="directory does not exist"):
        git.run_git(["status"], tmp_path / "nowhere")


def test_a_missing_git_executable_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no git on it
    with pytest.raises(GitError, match="git executable was not found") as raised:
        git.run_git(["--version"], tmp_path)
    assert "install Git" in (raised.value.hint or "")


def test_a_command_that_outlives_its_timeout_is_a_git_error(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    with pytest.raises(GitError, match=r"`git stall` did not finish in 0\.2 s"):
        git.run_git(["-c", "alias.stall=!sleep 1", "stall"], repo.path, timeout=0.2)


def test_a_failing_command_reports_gits_own_message(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    with pytest.raises(GitError, match=r"`git cat-file` failed: .*Not a valid object name nope"):
        git.run_git(["-c", "core.quotePath=false", "cat-file", "-p", "nope"], repo.path)


def test_repo_root_finds_the_top_from_a_subdirectory_or_file(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    repo = make_repo()
    manifest = repo.write("deploy/policies/a.yaml", "kind: List\n")
    assert git.repo_root(manifest.parent) == repo.path
    assert git.repo_root(manifest) == repo.path
    outside = tmp_path / "plain"
    outside.mkdir()
    assert git.repo_root(outside) is None
    assert git.repo_root(tmp_path / "missing" / "x.yaml") is None


def test_rev_parse_resolves_branches_tags_and_relative_refs(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    first = repo.commit("first")
    repo.git("tag", "-a", "v1", "-m", "release 1")  # annotated: must peel to the commit
    second = repo.commit("second")
    assert git.rev_parse(repo.path, "main") == second
    assert git.rev_parse(repo.path, "v1") == first
    assert git.rev_parse(repo.path, "HEAD~1") == first


def test_an_unknown_ref_is_a_git_error_naming_the_ref(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.commit("first")
    with pytest.raises(GitError) as raised:
        git.rev_parse(repo.path, "release/2023-q4")
    assert "unknown Git ref 'release/2023-q4'" in raised.value.problems[0].message
    assert "git tag" in (raised.value.hint or "")


def test_a_ref_that_looks_like_an_option_is_refused(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.commit("first")
    with pytest.raises(GitError, match="invalid Git ref '--all'"):
        git.rev_parse(repo.path, "--all")


def test_rev_parse_outside_a_repository_says_so_rather_than_unknown_ref(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a Git repository"):
        git.rev_parse(tmp_path, "HEAD")


def test_ls_tree_lists_files_recursively_with_blob_ids(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("p/b.yaml", "b: 1\n")
    repo.write("p/sub/a.yaml", "a: 1\n")
    repo.write("q weird [name].yaml", "q: 1\n")
    repo.write("other.txt", "x\n")
    repo.commit("files")
    entries = git.ls_tree(repo.path, "HEAD", ["p", "q weird [name].yaml"])
    assert [e.path for e in entries] == ["p/b.yaml", "p/sub/a.yaml", "q weird [name].yaml"]
    assert entries[0].blob == repo.git("rev-parse", "HEAD:p/b.yaml")
    assert entries[0].mode == "100644"
    assert [e.path for e in git.ls_tree(repo.path, "HEAD", [""])] == [
        "other.txt", "p/b.yaml", "p/sub/a.yaml", "q weird [name].yaml",
    ]  # fmt: skip


def test_show_blob_returns_committed_bytes_not_the_work_tree(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("a.yaml", "version: 1\n")
    repo.commit("v1")
    repo.write("a.yaml", "version: 2 (uncommitted)\n")
    assert git.show_blob(repo.path, "HEAD", "a.yaml") == b"version: 1\n"
    with pytest.raises(GitError, match="no such file in Git ref 'HEAD'"):
        git.show_blob(repo.path, "HEAD", "missing.yaml")


def test_read_objects_reads_many_blobs_in_one_call(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a", "alpha\n")
    repo.write("b", "")  # an empty blob must not shift the next one
    repo.write("c", "gamma\nwith\nlines")
    repo.commit("three files")
    ids = {name: repo.git("rev-parse", f"HEAD:{name}") for name in "abc"}
    contents = git.read_objects(repo.path, list(ids.values()))
    assert contents == {ids["a"]: b"alpha\n", ids["b"]: b"", ids["c"]: b"gamma\nwith\nlines"}


def test_objects_are_streamed_in_id_order_and_a_stream_can_stop_early(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    for name in "abc":  # b and c each fill a pipe: whichever is read first, one is left
        repo.write(name, name * (3 if name == "a" else 100_000))
    repo.commit("three files")
    ids = sorted(repo.git("rev-parse", f"HEAD:{name}") for name in "abc")
    streamed = git.stream_objects(repo.path, [*ids, ids[0]])
    first_id, _ = next(streamed)
    assert first_id == ids[0]
    streamed.close()  # git, still writing, is stopped: nothing hangs
    assert [i for i, _ in git.stream_objects(repo.path, reversed(ids))] == ids


def test_a_missing_object_or_no_repository_is_a_git_error(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("a", "alpha\n")
    repo.commit("one file")
    absent = "0123456789" * 4
    with pytest.raises(GitError, match=f"Git object {absent} is missing"):
        git.read_objects(repo.path, [repo.git("rev-parse", "HEAD:a"), absent])
    with pytest.raises(GitError) as raised:
        git.read_objects(tmp_path, [absent])
    assert raised.value.problems[0].message == "not inside a Git repository"


def test_a_stream_past_its_time_is_a_git_error_naming_the_timeout(
    make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    repo.write("big", "x" * 1_000_000)  # more than a pipe holds: git cannot finish unread
    repo.commit("one big file")

    class AtOnce:  # the deadline passes as soon as it is set
        def __init__(self, _seconds: float, expire: Callable[[], None]) -> None:
            self.expire = expire

        def start(self) -> None:
            self.expire()

        def cancel(self) -> None:
            pass

        def is_alive(self) -> bool:
            return False

    monkeypatch.setattr(git.threading, "Timer", AtOnce)
    with pytest.raises(GitError, match=r"`git cat-file` did not finish in 7 s"):
        list(git.stream_objects(repo.path, [repo.git("rev-parse", "HEAD:big")], timeout=7))


def test_log_for_path_follows_a_rename_with_dates_and_old_paths(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("old/policy.yaml", "a: 1\nb: 2\nc: 3\nd: 4\n")
    added = repo.commit("add", date="2024-01-01T09:00:00+09:00")
    repo.write("unrelated.yaml", "x: 1\n")
    repo.commit("unrelated", date="2024-01-02T09:00:00+09:00")
    repo.move("old/policy.yaml", "new/policy.yaml")
    moved = repo.commit("rename", date="2024-01-03T09:00:00-05:00")
    history = git.log_for_path(repo.path, "new/policy.yaml")
    assert [(c.sha, c.path) for c in history] == [
        (moved, "new/policy.yaml"),
        (added, "old/policy.yaml"),
    ]
    assert history[0].committed_at == datetime(2024, 1, 3, 9, tzinfo=timezone(timedelta(hours=-5)))
    blob = repo.git("rev-parse", f"{added}:old/policy.yaml")
    assert (history[0].old_blobs, history[0].new_blob) == ((blob,), blob)  # a pure rename
    assert (history[1].old_blobs, history[1].new_blob) == ((None,), blob)  # the addition
    assert [c.sha for c in git.log_for_path(repo.path, "new/policy.yaml", follow=False)] == [moved]
    assert [c.sha for c in git.log_for_path(repo.path, "old/policy.yaml", "HEAD~1")] == [added]


def test_log_for_path_lists_deletions_and_merges_that_differ_from_every_parent(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.write("gone.yaml", "g: 1\n")
    added = repo.commit("add", date="2024-01-01T00:00:00+00:00")
    repo.git("switch", "--quiet", "-c", "side")
    repo.write("a.yaml", "a: side\n")
    side = repo.commit("side edit", date="2024-01-02T00:00:00+00:00")
    repo.git("switch", "--quiet", "main")
    repo.write("a.yaml", "a: main\n")
    main = repo.commit("main edit", date="2024-01-03T00:00:00+00:00")
    repo.git("merge", "--quiet", "--no-commit", "-X", "ours", "side")
    repo.write("a.yaml", "a: resolved by hand\n")  # differs from both parents
    merge = repo.commit("merge side", date="2024-01-04T00:00:00+00:00")
    repo.git("switch", "--quiet", "-c", "later", added)
    repo.write("b.yaml", "b: 1\n")
    repo.commit("unrelated", date="2024-01-05T00:00:00+00:00")
    repo.git("switch", "--quiet", "main")
    repo.merge("later", date="2024-01-06T00:00:00+00:00")  # takes main's a.yaml as it is
    (repo.path / "gone.yaml").unlink()
    deleted = repo.commit("delete", date="2024-01-07T00:00:00+00:00")

    history = git.log_for_path(repo.path, "a.yaml")
    assert [c.sha for c in history] == [merge, main, side, added]
    blob = {rev: repo.git("rev-parse", f"{rev}:a.yaml") for rev in (merge, main, side, added)}
    assert history[0].old_blobs == (blob[main], blob[side])
    assert history[0].new_blob == blob[merge]
    gone = git.log_for_path(repo.path, "gone.yaml")
    gone_blob = repo.git("rev-parse", f"{added}:gone.yaml")
    assert [(c.sha, c.path, c.old_blobs, c.new_blob) for c in gone] == [
        (deleted, "gone.yaml", (gone_blob,), None),
        (added, "gone.yaml", (None,), gone_blob),
    ]


def test_paths_are_literal_never_glob_patterns(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.commit("a")
    assert git.log_for_path(repo.path, "*.yaml") == []
    repo.write("*.yaml", "a file with a star in its name\n")
    star = repo.commit("star")
    assert [c.sha for c in git.log_for_path(repo.path, "*.yaml")] == [star]
