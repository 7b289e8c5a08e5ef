"""The project installs as a wheel that carries the catalog and the templates, not only as the
editable checkout `make` uses."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "reporter").rglob("__init__.py")
    }
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed == found | {"reporter._controls", "reporter._templates"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no package index?): {build.stderr[-300:]}")
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_carries_the_catalog_and_the_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for controls in (ROOT / "controls").glob("*.yaml"):
        assert f"reporter/_controls/{controls.name}" in names
    for template in (ROOT / "templates").iterdir():
        assert f"reporter/_templates/{template.name}" in names
    assert "reporter/netpol/engine.py" in names


def test_the_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import reporter.resources as r; print(r.CONTROLS, r.TEMPLATES)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )
    assert probe.stdout.split() == [str(target / "reporter" / "_controls"),
                                    str(target / "reporter" / "_templates")]
    fixed = ROOT / "samples" / "fixed"
    check = subprocess.run(
        [sys.executable, "-m", "reporter", "check", str(fixed),
         "--config", str(fixed / "reporter.yaml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert check.returncode == 0, check.stderr
