"""Writing a pack atomically, and `verify` catching any changed byte or a wrong signature."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import reporter.pack
from reporter.errors import KeyFileError, OutputError, PackError
from reporter.pack import (
    PUBLIC_KEY,
    REPORT_HTML,
    SIGNATURE,
    SUMS,
    default_folder,
    sha256,
    sha256sums,
    signed_files,
    tool_sha256,
    verify_pack,
    write_pack,
)
from reporter.render.bundle import PackInputs, render_documents
from reporter.signing import SigningKey, fingerprint, load_signing_key, public_openssh

from .conftest import write_key
from .sample import sample_assessment

if TYPE_CHECKING:
    from tests.conftest import Tool

SMALL = {"pack.json": b"{}\n", "inputs/a.yaml": b"kind: Namespace\n", "report.html": b"<p>"}


def _copy(pack: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    return copy


def test_write_pack_renames_a_complete_folder_into_place(tmp_path: Path) -> None:
    target = tmp_path / "out" / "nested" / "pack"
    write_pack(target, signed_files(SMALL, None))
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) \
        == ["SHA256SUMS", "inputs/a.yaml", "pack.json", "report.html"]
    assert (target / SUMS).read_bytes() == sha256sums(SMALL)
    assert [p.name for p in target.parent.iterdir()] == ["pack"]  # no temporary folder left
    # The temporary folder is private while it fills; the pack is then readable by others.
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_sha256sums_is_what_sha256sum_checks(tmp_path: Path, tool: Tool) -> None:
    target = tmp_path / "pack"
    write_pack(target, signed_files(SMALL, None))
    done = subprocess.run([tool("sha256sum"), "--check", "--strict", SUMS], cwd=target,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_existing_pack_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    write_pack(target, signed_files(SMALL, None))
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.raises(OutputError, match="already exists"):
        write_pack(target, {"pack.json": b"other"})
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="already exists"):
        write_pack(tmp_path / "link", SMALL)


def test_a_failure_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    # "inputs" is both a file and a folder: the second write fails after the first succeeded.
    broken = {"report.html": b"x", "inputs": b"file", "inputs/a.yaml": b"y"}
    with pytest.raises(OutputError, match="cannot write the pack"):
        write_pack(tmp_path / "new" / "pack", broken)
    assert list(tmp_path.iterdir()) == []  # neither the pack, its temp folder nor "new"


def test_the_tool_digest_changes_with_any_source_file_or_template(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package, templates = tmp_path / "reporter", tmp_path / "templates"
    (package / "sub").mkdir(parents=True)
    templates.mkdir()
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    (templates / "report.html.j2").write_text("<p>{{ x }}</p>\n")
    monkeypatch.setattr(reporter.pack, "_PACKAGE", package)
    monkeypatch.setattr(reporter.pack, "TEMPLATES", templates)
    first = tool_sha256()
    assert re.fullmatch(r"[0-9a-f]{64}", first) and tool_sha256() == first
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0compiled")
    assert tool_sha256() == first  # compiled copies come and go: they are not the code
    digests = {first}
    for change in (lambda: (package / "sub" / "b.py").write_text("B = 3\n"),
                   lambda: (templates / "report.html.j2").write_text("<p>{{ y }}</p>\n"),
                   lambda: (package / "sub" / "b.py").rename(package / "b.py"),
                   lambda: (package / "c.py").write_text("")):
        change()
        digests.add(tool_sha256())
    assert len(digests) == 5  # each change, a renamed or an empty file too, gives a new digest


def test_default_folder_names_the_owner_and_the_time() -> None:
    assert default_folder(sample_assessment()) == Path("out/example-payments-20240402T093000Z")


def test_the_fixture_pack_verifies_with_its_signature(fixture_pack: Path,
                                                      signing_key: SigningKey) -> None:
    verified = verify_pack(fixture_pack)
    assert verified.signer == signing_key.fingerprint
    assert verified.files == len((fixture_pack / SUMS).read_text().splitlines())
    listed = {line.split("  ", 1)[1] for line in (fixture_pack / SUMS).read_text().splitlines()}
    on_disk = {p.relative_to(fixture_pack).as_posix() for p in fixture_pack.rglob("*")
               if p.is_file()}
    assert on_disk - listed == {SUMS, SIGNATURE}


def _files(pack: Path) -> list[str]:
    return sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file())


def test_one_changed_byte_in_any_file_fails_naming_it(fixture_pack: Path, tmp_path: Path) -> None:
    for index, name in enumerate(_files(fixture_pack)):
        copy = tmp_path / f"copy-{index}"
        shutil.copytree(fixture_pack, copy)
        path = copy / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(PackError) as raised:
            verify_pack(copy)
        assert str(path) in raised.value.diagnostics() or name in (SUMS, SIGNATURE), name
        shutil.rmtree(copy)


def test_added_and_removed_files_fail(fixture_pack: Path, tmp_path: Path) -> None:
    copy = _copy(fixture_pack, tmp_path)
    (copy / "extra.txt").write_text("hello")
    (copy / "evidence-index.csv").unlink()
    with pytest.raises(PackError) as raised:
        verify_pack(copy)
    text = raised.value.diagnostics()
    assert f"{copy / 'extra.txt'}: not listed in SHA256SUMS" in text
    assert f"{copy / 'evidence-index.csv'}: listed in SHA256SUMS but missing" in text


def test_a_signature_by_another_key_fails(fixture_pack: Path, tmp_path: Path) -> None:
    copy = _copy(fixture_pack, tmp_path)
    intruder = SigningKey(Ed25519PrivateKey.generate())
    (copy / SIGNATURE).write_bytes(intruder.sign((copy / SUMS).read_bytes()))
    with pytest.raises(PackError, match="signature does not match"):
        verify_pack(copy)


def test_a_re_signed_pack_fails_against_the_expected_key(fixture_pack: Path, tmp_path: Path,
                                                         signing_key: SigningKey) -> None:
    copy = _copy(fixture_pack, tmp_path)
    intruder = SigningKey(Ed25519PrivateKey.generate())
    (copy / SIGNATURE).write_bytes(intruder.sign((copy / SUMS).read_bytes()))
    (copy / PUBLIC_KEY).write_text(public_openssh(intruder.public) + "\n")
    # pack.pub is covered by SHA256SUMS: swapping the key is itself a changed file...
    with pytest.raises(PackError, match="pack.pub: content differs"):
        verify_pack(copy)
    # ...and with the expected key given, the intruder's signature cannot pass.
    expected = tmp_path / "expected.pub"
    expected.write_text(public_openssh(signing_key.public))
    with pytest.raises(PackError):
        verify_pack(copy, expected)


def test_an_unsigned_pack_fails_when_a_key_is_expected(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    write_pack(target, signed_files(SMALL, None))
    key = tmp_path / "key.pub"
    key.write_text(public_openssh(Ed25519PrivateKey.generate().public_key()))
    assert verify_pack(target).signer is None
    with pytest.raises(PackError, match="not signed"):
        verify_pack(target, key)


def test_an_edited_sums_line_is_named(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    write_pack(target, signed_files(SMALL, None))
    (target / SUMS).write_text("not a sum\n" + (target / SUMS).read_text())
    with pytest.raises(PackError, match=r"SHA256SUMS:1: not a '<sha256>  <relative path>' line"):
        verify_pack(target)


@pytest.mark.parametrize("openssh", [False, True], ids=["pem", "openssh"])
def test_signing_keys_load_from_pem_and_openssh(tmp_path: Path, openssh: bool) -> None:
    private = Ed25519PrivateKey.generate()
    key = load_signing_key(write_key(tmp_path / "key", private, openssh))
    assert key.fingerprint == fingerprint(private.public_key())
    assert key.fingerprint.startswith("SHA256:") and len(key.fingerprint) == 50


def test_a_non_ed25519_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(KeyFileError, match="not Ed25519"):
        load_signing_key(path)
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(KeyFileError, match="not a usable private key"):
        load_signing_key(tmp_path / "junk")


@pytest.mark.parametrize("compressed", [False, True])
def test_the_report_gives_the_sha256_of_every_data_file(
        compressed: bool, fixture_inputs: PackInputs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report is laid out while the data files are compressed, with stand-ins for their
    digests: each must be replaced by the digest of the file as stored (pack.json and the
    evidence index plain, or gzip-compressed under .gz)."""
    if compressed:
        monkeypatch.setattr(reporter.pack, "LARGE_DATA", 100)
    files = render_documents(sample_assessment(), fixture_inputs)
    html = files.pop(REPORT_HTML).decode()
    row = r'<tr><td>pack ([^<]+)</td><td><code class="hash">([0-9a-f]{64})</code>'
    shown = dict(re.findall(row, html))
    data = {name: sha256(data) for name, data in files.items()
            if not name.startswith("inputs/")}
    assert shown == data
    assert {"pack.json.gz", "evidence-index.csv.gz"} <= set(shown) if compressed else {
        "pack.json", "evidence-index.csv"} <= set(shown)
    assert PUBLIC_KEY in shown and "connectivity.json.gz" in shown
