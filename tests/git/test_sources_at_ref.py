"""Manifests as committed in a ref: read from Git's objects while the work tree says otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reporter.errors import GitError, InputError
from reporter.git import sources_at_ref
from reporter.inputs import load_inputs
from reporter.inventory.sources import Source, collect_sources
from tests.git.conftest import Repo


def test_a_past_ref_gives_past_content_while_the_work_tree_has_other_content(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("policies/deny.yaml", "kind: NetworkPolicy  # v1\n")
    repo.commit("v1")
    repo.git("tag", "v1")
    repo.write("policies/deny.yaml", "kind: NetworkPolicy  # v2\n")
    repo.commit("v2")
    repo.write("policies/deny.yaml", "kind: NetworkPolicy  # uncommitted\n")
    repo.write("policies/new.yaml", "kind: NetworkPolicy  # untracked\n")

    assert sources_at_ref(repo.path, "v1", ["policies"]) == [
        Source("policies/deny.yaml", "kind: NetworkPolicy  # v1\n")
    ]
    assert sources_at_ref(repo.path, "HEAD", ["policies/deny.yaml"]) == [
        Source("policies/deny.yaml", "kind: NetworkPolicy  # v2\n")
    ]


def test_directories_are_read_like_collect_sources_reads_them(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    names = ["m/b.yaml", "m/a.yml", "m/a-b/z.json", "m/a/y.YAML", "m/README.md", "m/.hidden.yaml",
             "m/.github/ci.yaml", "m/sub/deep/x.json", "top.txt"]  # fmt: skip
    for name in names:
        repo.write(name, f"# {name}\n")
    repo.commit("tree")

    from_git = sources_at_ref(repo.path, "HEAD", ["m", "top.txt"])
    from_disk = collect_sources([str(repo.path / "m"), str(repo.path / "top.txt")])
    assert [s.path for s in from_git] == [
        "m/a/y.YAML", "m/a-b/z.json", "m/a.yml", "m/b.yaml", "m/sub/deep/x.json", "top.txt",
    ]  # fmt: skip
    assert [s.text for s in from_git] == [s.text for s in from_disk]


def test_absolute_paths_inside_the_repository_and_the_root_itself(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.write("dir/b.json", "{}\n")
    repo.commit("files")
    assert [s.path for s in sources_at_ref(repo.path, "HEAD", [str(repo.path / "dir")])] == [
        "dir/b.json"
    ]
    assert [s.path for s in sources_at_ref(repo.path, "HEAD", ["."])] == ["a.yaml", "dir/b.json"]


def test_paths_missing_at_the_ref_are_reported_together(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.write("docs/readme.md", "no manifests here\n")
    repo.commit("files")
    repo.write("later.yaml", "in the work tree only\n")
    with pytest.raises(GitError) as raised:
        sources_at_ref(repo.path, "HEAD", ["later.yaml", "a.yaml", "docs"])
    assert [(p.file, p.message) for p in raised.value.problems] == [
        ("later.yaml", "no manifest file or directory here in Git ref 'HEAD'"),
        ("docs", "no manifest file or directory here in Git ref 'HEAD'"),
    ]


def test_an_unknown_ref_names_the_ref(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.commit("files")
    with pytest.raises(GitError, match="unknown Git ref 'v9.9'"):
        sources_at_ref(repo.path, "v9.9", ["a.yaml"])


def test_a_path_outside_the_repository_is_refused(make_repo: Callable[..., Repo]) -> None:
    repo, other = make_repo("repo"), make_repo("other")
    repo.commit("empty")
    with pytest.raises(GitError, match="path is outside the repository"):
        sources_at_ref(repo.path, "HEAD", [str(other.path / "a.yaml")])
    with pytest.raises(GitError, match="'..' is not allowed"):
        sources_at_ref(repo.path, "HEAD", ["../other/a.yaml"])


def test_committed_text_that_is_not_utf8_is_an_input_error(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    (repo.path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    repo.commit("latin-1")
    (source,) = sources_at_ref(repo.path, "HEAD", ["latin1.yaml"])
    assert (source.path, source.text) == ("latin1.yaml", "")
    assert source.problem == "not UTF-8 text (byte 9): save the file as UTF-8 and commit it"
    with pytest.raises(InputError) as raised:  # reported with the commit named
        load_inputs([str(repo.path / "latin1.yaml")], git_ref="HEAD")
    assert raised.value.problems[0].message == source.problem
    assert raised.value.problems[0].commit == repo.git("rev-parse", "HEAD")
