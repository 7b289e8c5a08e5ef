"""reporter.git.logs_for_paths (a few history walks for many files) gives exactly what
log_for_path (one ``git log --follow`` per file) gives, on histories with renames, copies,
deletions, merges and files added by a merge."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter import git
from reporter.errors import GitError
from tests.git.conftest import Repo

LINES = 8


def _text(seed: int, edit: int = 0) -> str:
    """A file of LINES lines, ``edit`` of them changed: similar enough for rename detection."""
    return "".join(f"line{i}: {seed}-{edit if i < edit else 0}\n" for i in range(LINES))


def _date(step: int) -> str:
    return f"2024-02-{1 + step // 1440:02d}T{step // 60 % 24:02d}:{step % 60:02d}:00+00:00"


def _files(repo: Repo) -> list[str]:
    return repo.git("ls-files").splitlines()


def _agree(repo: Repo, ref: str = "HEAD") -> dict[str, list[git.PathCommit]]:
    """The logs for all files at once, from the whole history's one listing and from walks
    naming the files (a few files, or the listing too large), are each file's own follow
    log."""
    files = repo.git("ls-tree", "-r", "--name-only", ref).splitlines()
    one_by_one = {path: git.log_for_path(repo.path, path, ref) for path in files}
    with patch.object(git, "FEW_PATHS", 0):
        assert git.logs_for_paths(repo.path, files, ref, parallel=2) == one_by_one
    with patch.object(git, "FEW_PATHS", len(files)):
        assert git.logs_for_paths(repo.path, files, ref, parallel=2) == one_by_one
    with patch.object(git, "WHOLE_HISTORY_BYTES", 0):
        assert git.logs_for_paths(repo.path, files, ref, parallel=2) == one_by_one
    return one_by_one


def test_renames_copies_deletions_and_merges_as_one_follow_log_per_file(
    make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git, "PATHS_PER_LOG", 2)  # several walks per round
    repo = make_repo()
    step = iter(range(1000))
    repo.write("a.yaml", _text(1))
    repo.write("root file.yaml", _text(2))
    first = repo.commit("add", date=_date(next(step)))
    repo.write("a.yaml", _text(1, 1))
    repo.commit("edit a", date=_date(next(step)))
    repo.move("a.yaml", "b/a.yaml")
    repo.commit("move a", date=_date(next(step)))
    repo.write("b/a.yaml", _text(1, 2))
    repo.move("b/a.yaml", "c/renamed.yaml")
    repo.commit("move and edit", date=_date(next(step)))
    repo.write("copy.yaml", _text(2))  # a copy of "root file.yaml"
    repo.commit("copy", date=_date(next(step)))
    (repo.path / "root file.yaml").unlink()
    repo.commit("delete", date=_date(next(step)))
    repo.write("root file.yaml", _text(3))
    repo.commit("add again", date=_date(next(step)))
    repo.git("switch", "--quiet", "-c", "side")
    repo.move("copy.yaml", "side/copy.yaml")
    repo.commit("side move", date=_date(next(step)))
    repo.git("switch", "--quiet", "main")
    repo.write("c/renamed.yaml", _text(1, 3))
    repo.commit("main edit", date=_date(next(step)))
    repo.git("merge", "--quiet", "--no-commit", "--no-ff", "side")
    repo.write("evil.yaml", _text(4))  # in neither parent: added by the merge itself
    repo.commit("merge side", date=_date(next(step)))
    repo.git("switch", "--quiet", "-c", "other", "HEAD~1")
    repo.write("c/renamed.yaml", _text(1, 4))
    repo.commit("other edit", date=_date(next(step)))
    repo.git("switch", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-commit", "--no-ff", "-X", "theirs", "other")
    repo.move("c/renamed.yaml", "moved in merge.yaml")  # the parents hold it as c/renamed.yaml
    repo.write("moved in merge.yaml", _text(1, 4) + "extra: 1\n")  # and differs from both
    moving = repo.commit("merge other, moving a file", date=_date(next(step)))

    logs = _agree(repo)
    # The merge's combined diff finds the file in the parents under its old name (their
    # blobs), but a follow log goes on under the new name only: nothing before the merge.
    assert [(c.sha, c.path) for c in logs["moved in merge.yaml"]] == [
        (moving, "moved in merge.yaml")]
    assert any(logs["moved in merge.yaml"][0].old_blobs)

    logs = _agree(repo, "HEAD~1")  # the first merge
    assert [c.path for c in logs["c/renamed.yaml"]] == [
        "c/renamed.yaml", "c/renamed.yaml", "b/a.yaml", "a.yaml", "a.yaml"]
    assert logs["c/renamed.yaml"][-1].sha == first
    assert [c.previous for c in logs["c/renamed.yaml"]] == [
        None, "b/a.yaml", "a.yaml", None, None]
    assert [c.path for c in logs["side/copy.yaml"]][-2:] == ["copy.yaml", "root file.yaml"]
    assert len(logs["root file.yaml"]) == 3  # added again, deleted, added
    _agree(repo, "HEAD~3")


@st.composite
def _histories(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    operations = st.sampled_from(["add", "edit", "delete", "rename", "copy", "branch", "merge",
                                  "evil merge"])
    return draw(st.lists(st.tuples(operations, st.integers(0, 5), st.integers(0, 5)),
                         min_size=4, max_size=14))


def _build(repo: Repo, history: list[tuple[str, int, int]]) -> None:
    step = 0

    def commit(message: str) -> None:
        nonlocal step
        step += 1
        repo.commit(message, date=_date(step))

    repo.write("seed.yaml", _text(99))
    commit("seed")
    for number, (operation, one, other) in enumerate(history):
        files = _files(repo)
        name = files[one % len(files)] if files else None
        new = f"d{other}/f{number}.yaml"
        if operation == "add" or name is None:
            repo.write(new, _text(number))
        elif operation == "edit":
            repo.write(name, _text(number, 1 + other % 3))
        elif operation == "delete" and len(files) > 1:
            (repo.path / name).unlink()
        elif operation == "rename":
            repo.move(name, new)
            if other % 2:
                repo.write(new, _text(number, 2))
        elif operation == "copy":
            repo.write(new, (repo.path / name).read_text())
        elif operation in ("branch", "merge", "evil merge"):
            side = f"side{number}"
            repo.git("switch", "--quiet", "-c", side)
            repo.write(name, _text(number, 3))
            commit(f"side edit {number}")
            if other % 2:
                repo.move(name, new)
                commit(f"side move {number}")
            repo.git("switch", "--quiet", "main")
            if operation == "branch":
                continue  # left unmerged
            repo.git("merge", "--quiet", "--no-commit", "--no-ff", "-X", "theirs", side)
            if operation == "evil merge":
                repo.write(f"evil/f{number}.yaml", _text(number + 50))
                moving = _files(repo)[other % len(_files(repo))]
                repo.move(moving, f"merged/f{number}.yaml")  # moved by the merge itself
            step += 1
            repo.commit(f"merge {side}", date=_date(step))
            continue
        commit(f"{operation} {number}")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_histories())
def test_any_history_gives_the_logs_of_one_follow_log_per_file(
    history: list[tuple[str, int, int]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = Repo(Path(folder))
        repo.git("init", "--quiet", "-b", "main")
        repo.git("config", "user.name", "Repo Owner")  # merges; commits set their own
        repo.git("config", "user.email", "owner@example.com")
        _build(repo, history)
        _agree(repo)


def test_a_listing_past_its_limit_is_abandoned_and_a_failure_is_an_error(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.write("a.yaml", _text(1))
    repo.commit("add")
    listing = git.run_git(["log", "--raw"], repo.path)
    assert git._bounded_git(["log", "--raw"], repo.path, len(listing)) == listing
    assert git._bounded_git(["log", "--raw"], repo.path, len(listing) - 1) is None
    with pytest.raises(GitError, match="`git log` failed: "):
        git._bounded_git(["log", "no-such-ref"], repo.path, 1000)
