"""Packs built once per session: the PDF takes seconds, and several tests read the same one."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reporter.pack import write_pack
from reporter.render.bundle import PackInputs, build_pack
from reporter.signing import SigningKey
from tests.git.conftest import isolated_git, make_repo

from .sample import SAMPLE_MANIFESTS, sample_assessment, sample_pair_map, sample_previous

if TYPE_CHECKING:
    from tests.conftest import Tool

REPO = Path(__file__).resolve().parents[2]
__all__ = ["isolated_git", "make_repo"]  # real Git repositories, for test_provenance


def write_key(path: Path, key: Ed25519PrivateKey, openssh: bool = False) -> Path:
    private_format = (serialization.PrivateFormat.OpenSSH if openssh
                      else serialization.PrivateFormat.PKCS8)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, private_format,
                                       serialization.NoEncryption()))
    return path


@pytest.fixture(scope="session")
def pdftotext(tool: Tool) -> Callable[[bytes, int, int], str]:
    """The text of pages ``first`` to ``last`` as poppler's pdftotext extracts it."""
    program = tool("pdftotext")

    def extract(pdf: bytes, first: int, last: int) -> str:
        done = subprocess.run([program, "-layout", "-f", str(first), "-l", str(last), "-", "-"],
                              input=pdf, capture_output=True, check=True)
        return done.stdout.decode()

    return extract


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def fixture_inputs(signing_key: SigningKey) -> PackInputs:
    return PackInputs(SAMPLE_MANIFESTS, sample_pair_map(), sample_previous(), signing_key)


@pytest.fixture(scope="session")
def fixture_files(fixture_inputs: PackInputs) -> dict[str, bytes]:
    """Every file of the fixture's signed pack, PDF included."""
    return build_pack(sample_assessment(), fixture_inputs)


@pytest.fixture(scope="session")
def fixture_pack(fixture_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
                 ) -> Path:
    folder = tmp_path_factory.mktemp("packs") / "fixture"
    write_pack(folder, fixture_files)
    return folder
