"""What made the report: tool and library versions, the command line, the input digests."""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import PurePath

from reporter.provenance.collect import strip_credentials
from reporter.provenance.model import RunInfo

REDACTED = "<redacted>"
_SECRET_OPTION = re.compile(r"^--?[\w-]*(token|passw|secret|api-?key|credential|auth)[\w-]*", re.I)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def redact_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` without the program's directory, secret option values or URL credentials."""
    if not argv:
        return ()
    redacted = [PurePath(argv[0]).name]
    value_is_secret = False
    for arg in argv[1:]:
        option, equals, _ = arg.partition("=")
        if value_is_secret:
            redacted.append(REDACTED)
        elif equals and _SECRET_OPTION.match(option):
            redacted.append(f"{option}={REDACTED}")
        else:
            redacted.append(_URL.sub(lambda m: strip_credentials(m.group()), arg))
        value_is_secret = not value_is_secret and not equals and bool(_SECRET_OPTION.match(arg))
    return tuple(redacted)


def collect_run_info(argv: Sequence[str], input_sha256: Mapping[str, str]) -> RunInfo:
    """Versions and command line for this process; ``input_sha256`` maps input path to digest
    (e.g. ``{f.path: f.sha256 for f in inventory.inputs}``)."""
    return RunInfo(
        tool_version=_version("compliance-reporter") or "unknown",
        python_version=platform.python_version(),
        weasyprint_version=_version("weasyprint"),
        kubernetes_version=_version("kubernetes"),
        pydantic_version=_version("pydantic"),
        argv=redact_argv(argv),
        input_sha256=tuple(sorted(input_sha256.items())),
    )
