"""Collecting input texts: files, directories, standard input, and what goes wrong."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.inventory.manifests import load_paths
from reporter.inventory.sources import Source, collect_sources

from .helpers import DATA

TREE = DATA / "tree"
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"


def test_a_directory_gives_its_manifests_recursively_in_a_stable_order() -> None:
    sources = collect_sources([str(TREE)])
    assert [Path(s.path).relative_to(TREE).as_posix() for s in sources] == [
        "apps/api.json",
        "apps/web.yml",
        "apps-policy.yaml",
        "namespaces.yaml",
    ]


def test_paths_keep_the_form_the_user_gave(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    assert [s.path for s in collect_sources(["tree/", "tree/namespaces.yaml"])] == [
        "tree/apps/api.json",
        "tree/apps/web.yml",
        "tree/apps-policy.yaml",
        "tree/namespaces.yaml",
        "tree/namespaces.yaml",
    ]


def test_a_file_named_explicitly_is_read_whatever_its_extension(tmp_path: Path) -> None:
    named = tmp_path / "manifests.txt"
    named.write_text("kind: List\napiVersion: v1\nitems: []\n")
    assert collect_sources([str(named)]) == [Source(str(named), named.read_text())]


def test_text_is_kept_byte_for_byte_so_its_hash_is_the_files(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: a}\r\n")
    inventory = load_paths([str(path)])
    assert inventory.inputs[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [n.name for n in inventory.namespaces] == ["a"]


def test_dash_reads_standard_input() -> None:
    stdin = io.StringIO("apiVersion: v1\nkind: Namespace\nmetadata: {name: piped}\n")
    inventory = load_paths([str(TREE / "namespaces.yaml"), "-"], stdin=stdin)
    assert [i.path for i in inventory.inputs] == [str(TREE / "namespaces.yaml"), "<stdin>"]
    piped = inventory.namespace("piped")
    assert piped is not None and piped.origin is not None
    assert str(piped.origin) == "<stdin>:1"


def test_standard_input_named_twice_is_an_error() -> None:
    with pytest.raises(InputError, match="more than once"):
        collect_sources(["-", "-"], stdin=io.StringIO(""))


def test_every_missing_path_is_reported_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        collect_sources([str(tmp_path / "nope.yaml"), str(TREE), str(tmp_path / "gone")])
    assert [(p.file, p.message) for p in caught.value.problems] == [
        (str(tmp_path / "nope.yaml"), "no such file or directory"),
        (str(tmp_path / "gone"), "no such file or directory"),
    ]
    assert caught.value.hint is not None and "- to read manifests from standard input" in (
        caught.value.hint
    )


def test_a_directory_without_manifests_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as caught:
        collect_sources([str(tmp_path)])
    assert caught.value.problems[0].message == "no *.yaml, *.yml, *.json files in this directory"


def test_no_paths_at_all_is_an_error() -> None:
    with pytest.raises(InputError, match="no input given"):
        collect_sources([])


def test_text_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    (source,) = collect_sources([str(path)])
    assert (source.text, source.problem) == (
        "", "not UTF-8 text (byte 9): save the file as UTF-8")
    with pytest.raises(InputError) as caught:
        load_paths([str(path)])
    (problem,) = caught.value.problems
    assert (problem.file, problem.message) == (str(path), source.problem)


def test_utf16_text_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("kind: Namespace\n".encode("utf-16"))  # with its byte-order mark
    (source,) = collect_sources([str(path)])
    assert source.problem == ("UTF-16 text, not UTF-8 (it starts with a UTF-16 byte-order "
                              "mark): save the file as UTF-8")


def test_every_unreadable_file_of_a_tree_is_reported_with_the_other_problems(
    tmp_path: Path,
) -> None:
    """A file that cannot be read does not stop the reading: the run names every problem
    at once, as for invalid manifests."""
    (tmp_path / "a.yaml").write_bytes(b"kind: Namespace\nmetadata: {name: caf\xe9}\n")
    (tmp_path / "b.yaml").write_text("kind: [\n")
    (tmp_path / "c.yaml").write_text(NAMESPACE)
    with pytest.raises(InputError) as caught:
        load_paths([str(tmp_path)])
    assert [(Path(p.file).name, p.message.split(" (")[0].split(":")[0])
            for p in caught.value.problems] == [("a.yaml", "not UTF-8 text"),
                                                ("b.yaml", "invalid YAML")]


def test_a_symbolic_link_to_nothing_in_a_tree_is_skipped_and_listed(tmp_path: Path) -> None:
    """A test fixture or a stale build link does not refuse a repository; named, it is a
    missing file."""
    (tmp_path / "ns.yaml").write_text(NAMESPACE)
    (tmp_path / "fixtures").mkdir()
    link = tmp_path / "fixtures" / "nowhere.json"
    link.symlink_to("missing/target.json")
    inventory = load_paths([str(tmp_path)])
    assert [n.name for n in inventory.namespaces] == ["shop"]
    assert [(Path(s.path).name, s.reason) for s in inventory.skipped_files] == [
        ("nowhere.json", "a symbolic link to missing/target.json, which does not exist")]
    with pytest.raises(InputError) as caught:
        collect_sources([str(link)])
    assert caught.value.problems[0].message == "no such file or directory"


def test_a_directory_tree_loads_into_one_inventory() -> None:
    inventory = load_paths([str(TREE)])
    assert [w.key for w in inventory.workloads] == ["shop/api[Deployment]", "shop/web[Deployment]"]
    assert [p.key for p in inventory.policies] == ["shop/web-ingress"]
    api = inventory.workloads[0]
    assert api.origin is not None and api.origin.line == 1  # JSON: the line of its brace
    assert api.ports[0].protocol == "UDP"
