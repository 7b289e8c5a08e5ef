"""A fake API server per test, serving the fixture objects, and a kubeconfig pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .apiserver import FakeApiServer, canned_objects, serve, write_kubeconfig


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    yield from serve(FakeApiServer(canned_objects()))


@pytest.fixture
def kubeconfig(api: FakeApiServer, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", api.url)
