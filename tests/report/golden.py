"""Golden files of the report: pack.json and report.html with what depends on the machine
(tool digest, library versions, who ran it, the run ID and pack.json's hash that follow from
them) replaced by placeholders. ``pytest --update-goldens`` rewrites them (tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.pack import PACK_JSON, REPORT_HTML, sha256

if TYPE_CHECKING:
    from tests.conftest import Goldens

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "report"
_VERSIONS = ("tool_version", "python_version", "weasyprint_version", "kubernetes_version",
             "pydantic_version")


def normalised(files: Mapping[str, bytes]) -> dict[str, str]:
    pack = json.loads(files[PACK_JSON])
    report = pack["provenance"]["report"]
    swaps = {report["tool_sha256"]: "<tool-sha256>", report["run_id"]: "<run-id>",
             f'Run by</th><td>{report["runner"]["description"]}<':
                 "Run by</th><td><runner><",
             sha256(files[PACK_JSON]): "<pack.json-sha256>",
             f"compliance-reporter {pack['tool_version']}": "compliance-reporter <version>"}
    report.update(tool_sha256="<tool-sha256>", run_id="<run-id>", runner="<runner>")
    report["run"].update({k: f"<{k}>" for k in _VERSIONS})
    pack["tool_version"] = "<version>"
    html = files[REPORT_HTML].decode()
    for old, new in swaps.items():
        html = html.replace(old, new)
    return {PACK_JSON: json.dumps(pack, indent=2, ensure_ascii=False) + "\n", REPORT_HTML: html}


def assert_golden(goldens: Goldens, scenario: str, files: Mapping[str, bytes]) -> None:
    goldens.check({GOLDEN / scenario / name: text for name, text in normalised(files).items()})
