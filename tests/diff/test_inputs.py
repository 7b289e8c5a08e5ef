"""load_inputs: manifests at a ref or from the work tree, with provenance and --require-clean."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from reporter.errors import GitError, InputError
from reporter.inputs import load_inputs
from tests.git.conftest import Repo

from .estate import db_policy, write_estate


@pytest.fixture
def repo(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> Repo:
    made = make_repo()
    write_estate(made.path / "estate", {"db.yaml": db_policy(5432)})
    made.write("reporter.yaml", "frameworks: []\n")
    made.commit("estate")
    made.git("tag", "v1")
    made.write("estate/db.yaml", db_policy(5433))
    made.commit("db: 5433")
    monkeypatch.chdir(made.path)
    return made


def test_a_ref_is_read_from_the_repository_while_the_work_tree_differs(repo: Repo) -> None:
    repo.write("estate/db.yaml", db_policy(6000))  # uncommitted
    loaded = load_inputs(["estate"], git_ref="v1")
    assert [s.path for s in loaded.sources] == ["estate/db.yaml", "estate/workloads.yaml"]
    assert "port: 5432" in loaded.sources[0].text
    assert loaded.provenance is not None
    assert (loaded.ref, loaded.provenance.ref) == ("v1", "v1")
    assert loaded.provenance.commit == repo.git("rev-parse", "v1")
    assert (loaded.repository, loaded.input_paths) == (repo.path, ("estate",))


def test_the_work_tree_gets_provenance_and_reports_dirty_inputs(repo: Repo) -> None:
    repo.write("estate/db.yaml", db_policy(6000))
    loaded = load_inputs(["estate"])
    assert "port: 6000" in loaded.sources[0].text
    assert loaded.provenance is not None
    assert loaded.provenance.commit == repo.git("rev-parse", "HEAD")
    assert loaded.provenance.repository.dirty_paths == ("estate/db.yaml",)
    assert [f.path for f in loaded.provenance.files] == ["estate/db.yaml",
                                                         "estate/workloads.yaml"]


def test_require_clean_refuses_uncommitted_inputs_naming_them(repo: Repo) -> None:
    load_inputs(["estate"], require_clean=True)  # clean: accepted
    repo.write("estate/new.yaml", db_policy(7000).replace("name: db", "name: new"))
    with pytest.raises(GitError) as caught:
        load_inputs(["estate"], require_clean=True)
    assert [(p.file, p.message) for p in caught.value.problems] == [
        ("estate/new.yaml", "has uncommitted changes (or was never committed)")]


def test_require_clean_refuses_a_dirty_tree_even_outside_the_inputs(repo: Repo) -> None:
    repo.write("reporter.yaml", "frameworks: [pci-dss-4.0.1]\n")
    with pytest.raises(GitError, match="uncommitted changes to tracked files"):
        load_inputs(["estate"], require_clean=True)


def test_the_config_file_is_left_out_at_a_ref_and_on_disk(repo: Repo) -> None:
    for ref in ("v1", None):
        loaded = load_inputs(["."], git_ref=ref, exclude=["reporter.yaml"])
        assert [s.path.removeprefix("./") for s in loaded.excluded] == ["reporter.yaml"]
        assert all(not s.path.endswith("reporter.yaml") for s in loaded.sources)


def test_inputs_outside_any_repository_have_no_provenance(tmp_path: Path) -> None:
    folder = write_estate(tmp_path / "plain", {"db.yaml": db_policy()})
    loaded = load_inputs([str(folder)])
    assert (loaded.provenance, loaded.repository, loaded.input_paths) == (None, None, ())
    assert len(loaded.inventory.policies) == 1
    with pytest.raises(GitError, match="not in a Git repository"):
        load_inputs([str(folder)], require_clean=True)


def test_a_repository_without_commits_has_no_provenance(make_repo: Callable[..., Repo]) -> None:
    empty = make_repo("empty")
    folder = write_estate(empty.path / "estate", {"db.yaml": db_policy()})
    assert load_inputs([str(folder)]).provenance is None


def test_standard_input_cannot_be_read_at_a_ref(repo: Repo) -> None:
    with pytest.raises(InputError, match="standard input"):
        load_inputs(["-"], git_ref="v1", stdin=io.StringIO(""))


def test_an_unknown_ref_is_a_git_error_naming_it(repo: Repo) -> None:
    with pytest.raises(GitError, match="unknown Git ref 'v9'"):
        load_inputs(["estate"], git_ref="v9")
