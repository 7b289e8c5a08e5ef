"""Every file:line a pack cites resolves in the copy of that file attached to the pack: the
line is there, and the object (and rule) cited starts on it."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reporter.commands.report import report_run
from reporter.pack import LARGE_INPUT, PACK_JSON, sha256
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import render_documents

from .conftest import REPO
from .test_golden import EPOCH, SAMPLES

_RULE = re.compile(r"(ingress|egress)\[(\d+)\]")


LARGE = "leaky, its policies padded past LARGE_INPUT"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the samples are copied and the packs made."""
    return tmp_path_factory.mktemp("citations")


@pytest.fixture(scope="module", params=[*sorted(SAMPLES), LARGE])
def sample_pack(request: pytest.FixtureRequest, work: Path) -> dict[str, bytes]:
    root = work / f"pack-{len(list(work.iterdir()))}"
    sample = "leaky" if request.param == LARGE else request.param
    shutil.copytree(REPO / "samples" / sample, root / "samples" / sample)
    if request.param == LARGE:  # comments after the objects: the citations stay where they were
        policies = root / "samples" / sample / "policies.yaml"
        padding = "".join(f"# line {n} of a long file\n" for n in range(LARGE_INPUT // 20))
        policies.write_text(policies.read_text() + padding)
    paths, config = SAMPLES[sample]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        run = report_run(paths, PipelineOptions(config_path=config))
        return render_documents(run.assessment, run.inputs)


def _copy(pack: dict[str, bytes], name: str) -> str:
    """An attached copy's text; copies over LARGE_INPUT bytes, and only those, are gzipped."""
    data = pack[name]
    if name.endswith(".gz"):
        text = gzip.decompress(data).decode()
        assert len(text) > LARGE_INPUT
        return text
    assert len(data) <= LARGE_INPUT
    return data.decode()


def _citations(pack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for check in pack["checks"]:
        for finding in check["findings"]:
            yield from finding["locations"]
    for policy in pack["policies"]:
        yield policy["location"]
    for item in pack["completeness"]["skipped"]:
        if item["location"]["line"]:
            yield {**item["location"], "object": f"{item['kind']} {item['name']}"}


def _objects(text: str) -> Iterator[tuple[int, yaml.MappingNode]]:
    """(1-based first line, node) of every object: each document, and each List item."""
    for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if not isinstance(document, yaml.MappingNode):
            continue
        fields = {k.value: v for k, v in document.value}
        items = fields.get("items")
        if isinstance(items, yaml.SequenceNode):
            for item in items.value:
                yield item.start_mark.line + 1, item
        else:
            yield document.start_mark.line + 1, document


def _get(node: yaml.Node, *path: str | int) -> yaml.Node | None:
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            node = next((v for k, v in node.value if k.value == step), None)  # type: ignore[assignment]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            node = node.value[step] if step < len(node.value) else None  # type: ignore[assignment]
        else:
            return None
        if node is None:
            return None
    return node


def _name(node: yaml.MappingNode) -> str:
    kind, name, namespace = (_get(node, *p) for p in (("kind",), ("metadata", "name"),
                                                        ("metadata", "namespace")))
    key = f"{namespace.value}/{name.value}" if namespace else name.value if name else ""
    return f"{kind.value if kind else ''} {key}"


def test_every_citation_resolves_in_the_attached_copy(sample_pack: dict[str, bytes]) -> None:
    pack = json.loads(sample_pack[PACK_JSON])
    attached = {a["path"]: a for a in pack["provenance"]["report"]["attachments"]}
    citations = list(_citations(pack))
    assert citations
    for cited in citations:
        copy = _copy(sample_pack, attached[cited["file"]]["attached"])
        line = cited["line"]
        assert line and 1 <= line <= len(copy.splitlines()), cited
        objects = dict(_objects(copy))
        # the object is the one starting at or before the line, nearest to it
        first = max(f for f in objects if f <= line)
        node = objects[first]
        if cited["object"]:
            assert _name(node) == cited["object"], (cited, copy.splitlines()[line - 1])
        rule = _RULE.fullmatch(cited["rule"] or "")
        if rule:
            target = _get(node, "spec", rule.group(1), int(rule.group(2)))
            assert target is not None and target.start_mark.line + 1 == line, cited
        else:
            assert first == line, cited


def test_each_input_records_its_hash_as_read_and_as_attached(sample_pack: dict[str, bytes],
                                                             work: Path) -> None:
    pack = json.loads(sample_pack[PACK_JSON])
    records = pack["provenance"]["report"]["attachments"]
    read = {i["path"]: i["sha256"] for i in pack["completeness"]["inputs"]}
    assert {r["path"] for r in records} >= set(read)
    for record in records:
        copy = _copy(sample_pack, record["attached"]).encode()
        assert record["sha256_attached"] == sha256(copy)
        if record["path"] in read:
            assert record["sha256_read"] == read[record["path"]]
        (original,) = {p.read_text() for p in work.glob(f"*/{record['path']}")
                       if sha256(p.read_bytes()) == record["sha256_read"]}
        assert len(copy.decode().splitlines()) == len(original.splitlines())
        unchanged = record["sha256_read"] == record["sha256_attached"]
        assert unchanged == (not record["redacted_lines"])
