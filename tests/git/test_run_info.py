"""RunInfo: versions, a redacted command line and input digests, nothing from the environment."""

from __future__ import annotations

import json
import platform
import socket
from importlib import metadata

import pytest

from reporter.provenance import collect_run_info, redact_argv


def test_argv_keeps_the_command_but_not_secrets_or_the_programs_directory() -> None:
    argv = [
        "/home/alice/.venv/bin/reporter", "assess", "samples/three-tier",
        "--token", "eyJhbGciOi", "--password=hunter2", "--api-key=k-123",
        "--remote", "https://bot:ghp_s3cr3t@github.com/org/repo.git?token=q",
        "--since", "2024-01-01",
    ]  # fmt: skip
    assert redact_argv(argv) == (
        "reporter", "assess", "samples/three-tier",
        "--token", "<redacted>", "--password=<redacted>", "--api-key=<redacted>",
        "--remote", "https://github.com/org/repo.git",
        "--since", "2024-01-01",
    )  # fmt: skip


def test_any_option_naming_a_secret_has_its_value_redacted() -> None:
    assert redact_argv(["r", "--bearer-token", "abc", "--auth", "basic", "--out", "pack"]) == (
        "r", "--bearer-token", "<redacted>", "--auth", "<redacted>", "--out", "pack",
    )  # fmt: skip
    assert redact_argv([]) == ()


def test_versions_come_from_installed_distributions() -> None:
    info = collect_run_info(["reporter"], {})
    assert info.python_version == platform.python_version()
    assert info.pydantic_version == metadata.version("pydantic")
    assert info.kubernetes_version == metadata.version("kubernetes")
    assert info.weasyprint_version == metadata.version("weasyprint")
    try:
        expected_tool = metadata.version("compliance-reporter")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        expected_tool = "unknown"
    assert info.tool_version == expected_tool


def test_inputs_are_sorted_and_nothing_from_the_environment_leaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-canary-7f3a")
    info = collect_run_info(
        ["reporter", "assess", "b.yaml", "a.yaml"], {"b.yaml": "bb" * 32, "a.yaml": "aa" * 32}
    )
    as_dict = info.to_dict()
    assert list(as_dict["input_sha256"].items()) == [("a.yaml", "aa" * 32), ("b.yaml", "bb" * 32)]
    assert as_dict["argv"] == ["reporter", "assess", "b.yaml", "a.yaml"]
    dumped = json.dumps(as_dict)
    assert "leak-canary-7f3a" not in dumped
    hostname = socket.gethostname()
    assert len(hostname) < 4 or hostname not in dumped
    assert set(as_dict) == {
        "tool_version", "python_version", "weasyprint_version", "kubernetes_version",
        "pydantic_version", "argv", "input_sha256",
    }  # fmt: skip
