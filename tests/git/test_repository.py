"""RepositoryInfo: remote without credentials, branch, HEAD, tag and dirtiness."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from reporter.provenance import collect_provenance, repository_info, strip_credentials
from tests.git.conftest import Repo


@pytest.mark.parametrize(
    ("url", "stripped"),
    [
        ("https://ci-bot:ghp_s3cr3t@github.example.com/org/policies.git",
         "https://github.example.com/org/policies.git"),
        ("https://oauth2:glpat-abc@gitlab.example.com:8443/g/p.git?token=q1&x=2#frag",
         "https://gitlab.example.com:8443/g/p.git"),
        ("https://git.example.com/p.git?token=t0k3n", "https://git.example.com/p.git"),
        ("https://git.example.com?token=a@b", "https://git.example.com"),
        ("https://ghp_tokenonly@github.com/o/r", "https://github.com/o/r"),
        ("ssh://git:pw@[2001:db8::1]:2222/srv/r.git", "ssh://[2001:db8::1]:2222/srv/r.git"),
        ("git@github.com:org/policies.git", "github.com:org/policies.git"),
        ("https://github.com/org/policies.git", "https://github.com/org/policies.git"),
        ("/srv/git/team@2024/policies.git", "/srv/git/team@2024/policies.git"),
        ("../policies", "../policies"),
    ],
)  # fmt: skip
def test_credentials_are_stripped_from_remote_urls(url: str, stripped: str) -> None:
    assert strip_credentials(url) == stripped


def test_a_remote_with_credentials_is_reported_without_them(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    head = repo.commit("first")
    remote = "https://ci-bot:ghp_s3cr3t@github.example.com/org/policies.git?token=abc123"
    repo.git("remote", "add", "origin", remote)
    prov = collect_provenance(repo.path, ["a.yaml"], None, None, None, None)
    assert prov.repository.remote_url == "https://github.example.com/org/policies.git"
    assert (prov.repository.branch, prov.repository.head) == ("main", head)
    dumped = json.dumps(prov.to_dict())
    assert "s3cr3t" not in dumped
    assert "abc123" not in dumped
    assert "ci-bot" not in dumped


def test_the_branchs_upstream_remote_wins_over_origin(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.commit("first")
    repo.git("remote", "add", "origin", "https://example.com/fork.git")
    repo.git("remote", "add", "canonical", "https://example.com/canonical.git")
    assert repository_info(repo.path).remote_url == "https://example.com/fork.git"
    repo.git("config", "branch.main.remote", "canonical")
    assert repository_info(repo.path).remote_url == "https://example.com/canonical.git"


def test_without_origin_the_first_remote_by_name_is_used(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.commit("first")
    assert repository_info(repo.path).remote_url is None
    repo.git("remote", "add", "zeta", "https://example.com/zeta.git")
    repo.git("remote", "add", "alpha", "https://example.com/alpha.git")
    assert repository_info(repo.path).remote_url == "https://example.com/alpha.git"


def test_a_tag_is_reported_only_when_it_points_at_head(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.commit("release")
    repo.git("tag", "-a", "v1.2.0", "-m", "release 1.2.0")
    assert repository_info(repo.path).tag == "v1.2.0"
    repo.commit("after the release")
    assert repository_info(repo.path).tag is None


def test_a_detached_head_has_no_branch(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    first = repo.commit("first")
    repo.commit("second")
    repo.git("switch", "--quiet", "--detach", first)
    info = repository_info(repo.path)
    assert (info.branch, info.head) == (None, first)


def test_a_clean_work_tree_is_not_dirty(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.commit("first")
    repo.write("untracked-notes.txt", "not an input\n")  # untracked files do not count
    info = repository_info(repo.path, ["a.yaml"])
    assert (info.dirty, info.dirty_paths) == (False, ())


def test_dirty_inputs_are_named_and_other_changes_only_set_the_flag(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    for name in ("a.yaml", "b.yaml", "c.yaml", "README.md"):
        repo.write(name, f"# {name}\n")
    repo.commit("first")
    repo.write("a.yaml", "# edited, not staged\n")
    repo.write("b.yaml", "# edited and staged\n")
    repo.git("add", "b.yaml")
    repo.write("new.yaml", "# never committed\n")
    repo.write("README.md", "# edited, not an input\n")
    info = repository_info(repo.path, ["a.yaml", "b.yaml", "c.yaml", "new.yaml"])
    assert info.dirty
    assert info.dirty_paths == ("a.yaml", "b.yaml", "new.yaml")


def test_a_renamed_input_in_the_index_is_dirty(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.write("old.yaml", "a: 1\n")
    repo.commit("first")
    repo.move("old.yaml", "renamed.yaml")
    info = repository_info(repo.path, ["renamed.yaml"])
    assert (info.dirty, info.dirty_paths) == (True, ("renamed.yaml",))


def test_only_untracked_changes_leave_the_flag_clear_but_name_the_input(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("a.yaml", "a: 1\n")
    repo.commit("first")
    repo.write("new.yaml", "# never committed\n")
    prov = collect_provenance(repo.path, ["a.yaml", "new.yaml"], None, None, None, None)
    assert (prov.repository.dirty, prov.repository.dirty_paths) == (False, ("new.yaml",))
    new = prov.file("new.yaml")
    assert (new.blob, new.last_commit, new.introduced_by, new.period_commits) == (
        None, None, None, (),
    )  # fmt: skip
