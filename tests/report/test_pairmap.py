"""The pack's columnar map (connectivity.json.gz): it expands to exactly the engine's pairs, its
bytes are reproducible, and `reporter verify` rejects a map that does not match pack.json."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from netpol.strategies import crowded_inventories, inventories

import reporter.render.pairmap
from reporter.cli import cli
from reporter.inventory.manifests import load_paths
from reporter.inventory.model import Inventory
from reporter.netpol.engine import analyse
from reporter.netpol.pairs import summarise
from reporter.pack import CONNECTIVITY_JSON, SUMS, sha256sums
from reporter.render.connectivity import map_rows
from reporter.render.pairmap import (
    PairMapError,
    from_rows,
    pair_map,
    read_pair_map,
)

from .conftest import REPO

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_exact(inv: Inventory) -> None:
    reach = analyse(inv)
    stored = pair_map(reach)
    rows = list(map_rows(reach))
    assert list(stored.rows()) == rows
    assert stored.pairs == len(rows) == summarise(reach).connected_pairs
    again = read_pair_map(stored.to_gzip())
    assert again == stored
    assert list(from_rows(rows).rows()) == rows


@pytest.mark.parametrize("sample", ["three-tier", "fixed", "leaky"])
def test_the_stored_map_is_the_engine_map(sample: str) -> None:
    assert_exact(load_paths([str(REPO / "samples" / sample)]))


@SETTINGS
@given(inv=inventories())
def test_the_stored_map_holds_every_pair_of_random_estates(inv: Inventory) -> None:
    assert_exact(inv)


@SETTINGS
@given(inv=crowded_inventories())
def test_the_stored_map_holds_every_pair_when_endpoints_share_classes(inv: Inventory) -> None:
    assert_exact(inv)


def test_the_same_map_gives_the_same_bytes() -> None:
    rows = [("a/x[Pod]", "b/y[Pod]", "TCP 80"), ("c/z[Pod]", "b/y[Pod]", "TCP 80")]
    data = from_rows(rows).to_gzip()
    assert data == from_rows(list(reversed(rows))).to_gzip()
    assert gzip.decompress(data).startswith(b'{"format":"compliance-reporter/connectivity/1"')


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pairmap") / "pack"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1712050200")
        result = _run("report", str(REPO / "samples" / "leaky"), "--config",
                      str(REPO / "samples" / "leaky" / "reporter.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _tampered(pack: Path, tmp_path: Path, data: bytes) -> Path:
    """A copy of ``pack`` with another map whose SHA256SUMS line was recomputed."""
    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    (copy / CONNECTIVITY_JSON).write_bytes(data)
    files = {p.relative_to(copy).as_posix(): p.read_bytes()
             for p in copy.rglob("*") if p.is_file() and p.name != SUMS}
    (copy / SUMS).write_bytes(sha256sums(files))
    return copy


def test_verify_accepts_the_map_written(pack: Path) -> None:
    result = _run("verify", str(pack))
    assert result.exit_code == 0, result.output
    stored = read_pair_map((pack / CONNECTIVITY_JSON).read_bytes())
    counted = json.loads((pack / "pack.json").read_text())["connectivity"]["connected_pairs"]
    assert stored.pairs == counted == 57


def test_verify_rejects_a_map_with_other_pairs(pack: Path, tmp_path: Path) -> None:
    fewer = from_rows(list(read_pair_map((pack / CONNECTIVITY_JSON).read_bytes()).rows())[1:])
    result = _run("verify", str(_tampered(pack, tmp_path, fewer.to_gzip())))
    assert result.exit_code == 1
    assert "holds 56 pairs but pack.json counts 57" in result.output


def test_verify_rejects_a_map_that_lies_about_its_count(pack: Path, tmp_path: Path) -> None:
    document = json.loads(gzip.decompress((pack / CONNECTIVITY_JSON).read_bytes()))
    document["destinations"] = document["destinations"][1:]
    data = gzip.compress(json.dumps(document).encode())
    result = _run("verify", str(_tampered(pack, tmp_path, data)))
    assert result.exit_code == 1
    assert "cannot be read: records 57 pairs but its entries hold" in result.output


def test_a_map_that_is_not_gzip_is_refused() -> None:
    with pytest.raises(PairMapError, match="not gzip-compressed JSON"):
        read_pair_map(b"[]")


def _document(**changes: object) -> bytes:
    """A two-pair map's connectivity.json.gz with some fields replaced."""
    rows = [("a/x[Pod]", "b/y[Pod]", "TCP 80"), ("c/z[Pod]", "b/y[Pod]", "TCP 80")]
    document = json.loads(gzip.decompress(from_rows(rows).to_gzip())) | changes
    return gzip.compress(json.dumps(document).encode())


@pytest.mark.parametrize(("destinations", "message"), [
    ([{"endpoints": [3], "allowed": [[0, 0]]}], "a destination index is out of range"),
    ([{"endpoints": [-1], "allowed": [[0, 0]]}], "a destination index is out of range"),
    ([{"endpoints": [1], "allowed": [[1, 0]]}], "a connection or source set index is out of range"),
    ([{"endpoints": [1], "allowed": [[0, 1]]}], "a connection or source set index is out of range"),
    ([{"endpoints": [10**30], "allowed": [[0, 0]]}], "an index is out of range"),
])
def test_a_map_with_an_index_out_of_range_is_refused(destinations: object, message: str) -> None:
    with pytest.raises(PairMapError, match=message):
        read_pair_map(_document(destinations=destinations))


def test_a_map_counts_no_endpoint_as_its_own_source() -> None:
    # b/y may send to a/x and a/x to b/y: one entry whose targets are both among its sources
    # stands for 2 pairs, not 4.
    assert read_pair_map(_document(
        endpoints=["a/x[Pod]", "b/y[Pod]"], source_sets=["Aw=="], pairs=2,
        destinations=[{"endpoints": [0, 1], "allowed": [[0, 0]]}])).pairs == 2
    with pytest.raises(PairMapError, match="records 4 pairs but its entries hold 2"):
        read_pair_map(_document(
            endpoints=["a/x[Pod]", "b/y[Pod]"], source_sets=["Aw=="], pairs=4,
            destinations=[{"endpoints": [0, 1], "allowed": [[0, 0]]}]))


@pytest.mark.parametrize("chunk", [1, 2, 4096])
@pytest.mark.parametrize("size", [0, 1, 5])
def test_the_stored_text_is_the_compact_json_of_the_map(
        chunk: int, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Written in pieces (``chunk`` source sets or destinations at a time), the text is exactly
    one json.dumps of the document: names escaped, commas only between items."""
    monkeypatch.setattr(reporter.render.pairmap, "_CHUNK", chunk)
    rows = [(f"ns/src-{i}[Pod]", f"ns/dst-é{i % 3}[Pod]", f"TCP {80 + i}") for i in range(size)]
    stored = from_rows(rows)
    expected = {
        "format": "compliance-reporter/connectivity/1", "pairs": size,
        "endpoints": list(stored.endpoints), "connections": list(stored.connections),
        "source_sets": [base64.b64encode(s).decode() for s in stored.source_sets],
        "destinations": [{"endpoints": list(t), "allowed": [list(p) for p in a]}
                         for t, a in stored.destinations]}
    text = gzip.decompress(stored.to_gzip()).decode()
    assert text == json.dumps(expected, separators=(",", ":")) + "\n"
    assert "\\u00e9" in text or size == 0
    assert read_pair_map(stored.to_gzip()) == stored
