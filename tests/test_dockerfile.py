"""The image cannot be built here (no daemon, no internet): check what can be checked without
one. The base is pinned, the packages are the Makefile's, it runs `reporter` as 65532."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def make_variable(name: str) -> list[str]:
    result = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "show"], cwd=ROOT,
                            input=f"show:\n\t@echo $({name})\n", capture_output=True, text=True,
                            check=True)
    return result.stdout.split()


def test_every_base_image_is_pinned_to_an_exact_python_311_release() -> None:
    bases = [rest.split()[0] for keyword, rest in instructions() if keyword == "FROM"]
    assert bases
    for base in bases:
        digest = re.fullmatch(r"[\w./-]+@sha256:[0-9a-f]{64}", base)
        exact = re.fullmatch(r"(docker\.io/(library/)?)?python:3\.11\.\d+-slim-\w+", base)
        assert digest or exact, f"{base}: pin an exact release or a digest, not a moving tag"


def test_the_debian_packages_are_the_makefiles_runtime_packages() -> None:
    installed: list[str] = []
    for keyword, rest in instructions():
        if keyword == "RUN" and "apt-get install" in rest:
            command = rest.split("apt-get install", 1)[1].split("&&")[0]
            installed += [word for word in shlex.split(command) if not word.startswith("-")]
    runtime = make_variable("RUNTIME_PACKAGES")
    assert sorted(installed) == sorted(runtime)
    assert set(runtime) <= set(make_variable("DEBIAN_PACKAGES"))  # what `make` checks locally


def test_it_runs_the_reporter_as_user_65532() -> None:
    found = instructions()
    users = [rest for keyword, rest in found if keyword == "USER"]
    assert users[-1].split(":")[0] == "65532"
    last_stage = found[max(i for i, (k, _) in enumerate(found) if k == "FROM"):]
    [entrypoint] = [rest for keyword, rest in last_stage if keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["reporter"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["reporter"] == "reporter.cli:main"


def test_the_wheel_is_built_from_the_files_the_context_lets_in() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    copied = [rest.split()[:-1] for keyword, rest in instructions()
              if keyword == "COPY" and not rest.startswith("--from")]
    sources = {source for sources in copied for source in sources}
    assert sources == allowed
    assert all((ROOT / source).exists() for source in sources)


def test_make_image_uses_docker_or_podman() -> None:
    dry_run = subprocess.run(["make", "-n", "image"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert "command -v docker || command -v podman" in dry_run
    assert 'build -t compliance-reporter:' in dry_run
