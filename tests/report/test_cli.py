"""`reporter report` and `reporter verify` in-process: exit codes, files written, messages."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yaml.nodes import Node

from reporter.cli import cli
from reporter.inventory.yamlload import documents_with_nodes
from reporter.model import Assessment
from reporter.pack import PUBLIC_KEY, REPORT_HTML, REPORT_PDF, SIGNATURE, SUMS
from reporter.render.pairmap import read_pair_map
from reporter.signing import fingerprint, public_openssh

from .conftest import REPO, write_key

EPOCH = "1712050200"
FIXED = ["samples/fixed", "--config", "samples/fixed/reporter.yaml"]
STDIN_MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: shop}
stringData: {token: STDIN-S3CR3T}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
"""


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    private = Ed25519PrivateKey.generate()
    path = write_key(tmp_path_factory.mktemp("key") / "pack-key", private, openssh=True)
    return path, fingerprint(private.public_key())


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the samples outside any Git repository (test_provenance covers Git)."""
    root = tmp_path_factory.mktemp("work")
    shutil.copytree(REPO / "samples" / "fixed", root / "samples" / "fixed")
    return root


@pytest.fixture(scope="module")
def fixed_pack(tmp_path_factory: pytest.TempPathFactory, key: tuple[Path, str],
               samples: Path) -> Path:
    out = tmp_path_factory.mktemp("cli") / "fixed-pack"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(samples)
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = _run("report", *FIXED, "--out", str(out), "--sign-key", str(key[0]))
    assert result.exit_code == 0, result.output
    assert f"report: {out / REPORT_PDF}" in result.output
    return out


def test_report_writes_a_signed_pack(fixed_pack: Path, key: tuple[Path, str]) -> None:
    names = {p.relative_to(fixed_pack).as_posix() for p in fixed_pack.rglob("*") if p.is_file()}
    assert names == {"pack.json", "connectivity.json.gz", "evidence-index.csv", REPORT_HTML,
                     REPORT_PDF, SUMS, SIGNATURE, PUBLIC_KEY,
                     "inputs/samples/fixed/policies.yaml", "inputs/samples/fixed/workloads.yaml",
                     "inputs/samples/fixed/reporter.yaml"}
    assessment = Assessment.model_validate_json((fixed_pack / "pack.json").read_bytes())
    assert assessment.generated_at.isoformat() == "2024-04-02T09:30:00+00:00"
    assert assessment.command[:2] == ["reporter", "report"]
    assert assessment.provenance and assessment.provenance["report"]["signing_key"] == key[1]
    assert key[1] in (fixed_pack / REPORT_HTML).read_text()
    # the stored map expands to exactly the rows `reporter connectivity -o json` prints
    stored = read_pair_map((fixed_pack / "connectivity.json.gz").read_bytes())
    printed = _run("connectivity", str(REPO / "samples" / "fixed"), "-o", "json")
    assert [{"src": s, "dst": d, "conn": c} for s, d, c in stored.rows()] == json.loads(
        printed.stdout)
    assert stored.pairs == assessment.connectivity["connected_pairs"] > 0


def test_verify_passes_then_fails_on_one_changed_byte(fixed_pack: Path, key: tuple[Path, str],
                                                      tmp_path: Path) -> None:
    result = _run("verify", str(fixed_pack))
    assert result.exit_code == 0, result.output
    assert f"signature: good, key {key[1]}" in result.output
    public = tmp_path / "signer.pub"
    public.write_text(public_openssh(Ed25519PrivateKey.generate().public_key()))
    wrong = _run("verify", str(fixed_pack), "--public-key", str(public))
    assert wrong.exit_code == 1 and "signature does not match" in wrong.output
    html = fixed_pack / REPORT_HTML
    original = html.read_bytes()
    try:
        html.write_bytes(original.replace(b"PASS", b"PASs", 1))
        changed = _run("verify", str(fixed_pack))
        assert changed.exit_code == 1
        assert f"{html}: content differs from its SHA256SUMS entry" in changed.output
    finally:
        html.write_bytes(original)


def test_the_same_inputs_and_clock_give_the_same_pack(fixed_pack: Path, key: tuple[Path, str],
                                                      tmp_path: Path, samples: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(samples)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = tmp_path / "elsewhere" / "again"
    result = _run("report", *FIXED, "--out", str(again), "--sign-key", str(key[0]))
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(fixed_pack) for p in fixed_pack.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in written:
        assert (again / name).read_bytes() == (fixed_pack / name).read_bytes(), name


def test_an_existing_out_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    out.mkdir()
    (out / "keep.txt").write_text("earlier pack")
    result = _run("report", "does-not-exist", "--out", str(out))
    assert result.exit_code == 2
    assert f"error: {out}: already exists; a pack is never overwritten" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    result = _run("report", "does-not-exist", "--out", str(dangling))
    assert result.exit_code == 2 and "already exists" in result.output


def test_standard_input_is_packed_redacted_line_for_line(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "stdin-pack"
    result = _run("report", "-", "--framework", "cis-kubernetes", "--out", str(out),
                  stdin=STDIN_MANIFESTS)
    assert result.exit_code == 0, result.output
    copy = (out / "inputs" / "_stdin_.yaml").read_text()
    assert "STDIN-S3CR3T" not in copy and "stringData: {token: \"[redacted]\"}" in copy
    assert len(copy.splitlines()) == len(STDIN_MANIFESTS.splitlines())
    assert copy.replace("{token: \"[redacted]\"}", "{token: STDIN-S3CR3T}") == STDIN_MANIFESTS
    assert _run("verify", str(out)).exit_code == 0


def test_the_copies_are_redacted_from_the_inputs_first_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing downstream parses the inputs again: a copy is redacted from what reading the
    file found, except a file whose aliases only its events place."""
    import reporter.inventory.sanitise as sanitise

    parsed_again: list[str] = []

    def recorded(text: str) -> Iterator[tuple[Node | None, object]]:
        parsed_again.append(text)
        yield from documents_with_nodes(text)

    monkeypatch.setattr(sanitise, "documents_with_nodes", recorded)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (tmp_path / "shop.yaml").write_text(STDIN_MANIFESTS)
    aliased = STDIN_MANIFESTS.replace("labels: {app: web}", "labels: &l {app: web}, "
                                      "annotations: *l")
    (tmp_path / "aliased.yaml").write_text(aliased)
    out = tmp_path / "pack"
    result = _run("report", str(tmp_path / "shop.yaml"), str(tmp_path / "aliased.yaml"),
                  "--framework", "cis-kubernetes", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert parsed_again == [aliased]
    for name in ("shop.yaml", "aliased.yaml"):
        copy = next((out / "inputs").rglob(name)).read_text()
        assert "STDIN-S3CR3T" not in copy and 'stringData: {token: "[redacted]"}' in copy
    assert 'annotations: "[redacted]"' in next((out / "inputs").rglob("aliased.yaml")).read_text()


@pytest.mark.parametrize(("content", "message"), [
    ('{"schema_version": "1.0", "frameworks": 3}', "not a pack.json of this schema"),
    ('{"hello": 1}', "not a pack: neither a pack folder nor a pack.json"),
])
def test_a_previous_review_that_is_not_a_pack_is_refused(tmp_path: Path, samples: Path,
                                                         content: str, message: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(samples)
    bogus = tmp_path / "pack.json"
    bogus.write_text(content)
    result = _run("report", "samples/fixed", "--since", str(bogus), "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert f"error: {bogus}: {message}" in result.output
    assert not (tmp_path / "x").exists()


def test_verify_refuses_a_folder_that_is_not_a_pack(tmp_path: Path) -> None:
    result = _run("verify", str(tmp_path))
    assert result.exit_code == 2
    assert "no SHA256SUMS: not an evidence pack" in result.output


def test_a_large_input_is_stored_compressed_and_still_verifies(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """A copy over LARGE_INPUT bytes is gzipped in the folder and in the PDF; verify checks
    the stored bytes, and one changed byte of the compressed copy fails it."""
    import gzip

    from pypdf import PdfReader

    from reporter.pack import LARGE_INPUT

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    dump = tmp_path / "dump.yaml"
    dump.write_text(STDIN_MANIFESTS + "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}, namespace: shop}}\n"
        f"data: {{key: value-{n}}}\n" for n in range(LARGE_INPUT // 80)))
    out = tmp_path / "pack"
    assert _run("report", str(dump), "--out", str(out)).exit_code in (0, 1)
    (stored,) = (out / "inputs").rglob("*")
    assert stored.name == "dump.yaml.gz"
    copy = gzip.decompress(stored.read_bytes()).decode()
    assert len(copy.splitlines()) == len(dump.read_text().splitlines())
    assert "STDIN-S3CR3T" not in copy and "value-7" not in copy
    assert len(stored.read_bytes()) < len(copy) // 10
    attached = PdfReader(out / REPORT_PDF).attachments
    assert attached["inputs/dump.yaml.gz"] == [stored.read_bytes()]
    assert _run("verify", str(out)).exit_code == 0
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 1
    stored.write_bytes(bytes(data))
    assert _run("verify", str(out)).exit_code != 0


def test_a_large_pack_stores_its_json_and_evidence_index_compressed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond LARGE_DATA bytes, pack.json and the evidence index are gzipped; the report names
    the files as stored, verify checks them, and diff reads the compressed pack."""
    import gzip

    from pypdf import PdfReader

    import reporter.pack

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    plain, small = tmp_path / "plain", tmp_path / "small"
    assert _run("report", str(REPO / "samples" / "leaky"), "--out", str(plain)).exit_code == 0
    monkeypatch.setattr(reporter.pack, "LARGE_DATA", 1 << 10)
    assert _run("report", str(REPO / "samples" / "leaky"), "--out", str(small)).exit_code == 0
    names = {p.name for p in small.iterdir()}
    assert {"pack.json.gz", "evidence-index.csv.gz"} <= names
    assert not {"pack.json", "evidence-index.csv"} & names
    assert gzip.decompress((small / "pack.json.gz").read_bytes()) == (
        plain / "pack.json").read_bytes().replace(b"/plain", b"/small")
    attached = PdfReader(small / REPORT_PDF).attachments
    assert "pack.json.gz" in attached and "pack.json" not in attached
    html = (small / "report.html").read_text()
    assert "<code>pack.json.gz</code>" in html and "<code>pack.json</code>" not in html
    assert _run("verify", str(small)).exit_code == 0
    assert _run("diff", str(plain), str(small)).exit_code == 0
    assert _run("diff", str(small / "pack.json.gz"), str(plain)).exit_code == 0
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not gzip")
    refused = _run("diff", str(broken), str(plain))
    assert refused.exit_code == 2 and "not a gzip-compressed pack.json" in refused.stderr
