"""An archive of two quarterly runs against the fake API server, made once with real
``reporter run`` processes; tests copy it before changing anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.apiserver import FakeApiServer, canned_objects, serve, write_kubeconfig

Q3_RUN = "1782874800"  # 2026-07-01T03:00:00Z
Q4_RUN = "1790823600"  # 2026-10-01T03:00:00Z
FRAMEWORK = ["--framework", "cis-kubernetes"]  # the smallest framework: a short PDF


def reporter(*args: str, epoch: str = Q4_RUN, **popen: object) -> subprocess.CompletedProcess[str]:
    """``reporter ARGS`` in a real process, its clock at ``epoch``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    return subprocess.run([sys.executable, "-m", "reporter", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=900, **popen)  # type: ignore


def start(*args: str, epoch: str = Q4_RUN) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    return subprocess.Popen([sys.executable, "-m", "reporter", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@dataclass
class Built:
    api: FakeApiServer
    kubeconfig: Path
    key: Path
    archive: Path
    outputs: list[subprocess.CompletedProcess[str]]

    def copy(self, where: Path) -> Path:
        shutil.copytree(self.archive, where)
        return where


def signing_key(path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("archive")
    for api in serve(FakeApiServer(canned_objects())):
        kubeconfig = write_kubeconfig(folder / "kubeconfig", api.url)
        key = signing_key(folder / "pack-key.pem")
        archive = folder / "A"
        outputs = [
            reporter("run", "--kubeconfig", str(kubeconfig), "--archive", str(archive),
                     "--sign-key", str(key), *FRAMEWORK, epoch=epoch)
            for epoch in (Q3_RUN, Q4_RUN)
        ]
        yield Built(api, kubeconfig, key, archive, outputs)
