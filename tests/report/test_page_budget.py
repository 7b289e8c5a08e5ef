"""The three sample packs, with every default framework, read as an auditor reads them: within
their page budgets, each finding once, no ditto marks, statuses apart from IDs, and the input
copies attached to the PDF equal to those in the pack folder."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from reporter.commands.report import report_run
from reporter.pack import REPORT_PDF
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import build_pack

from .conftest import REPO

if TYPE_CHECKING:
    from tests.conftest import Tool
from .test_golden import EPOCH, SAMPLES

BUDGET = {"three-tier": 12, "fixed": 10, "leaky": 30}
"""Pages, with every default framework."""


@pytest.fixture(scope="module", params=sorted(BUDGET))
def sample_pdf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("budget")
    shutil.copytree(REPO / "samples" / request.param, root / "samples" / request.param)
    paths, config = SAMPLES[request.param]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        run = report_run(paths, PipelineOptions(config_path=config))
        return request.param, build_pack(run.assessment, run.inputs)


def test_the_pack_stays_within_its_page_budget(sample_pdf: tuple[str, dict[str, bytes]]) -> None:
    sample, files = sample_pdf
    pages = len(PdfReader(io.BytesIO(files[REPORT_PDF])).pages)
    assert pages <= BUDGET[sample], f"{sample}: {pages} pages, budget {BUDGET[sample]}"


def test_the_attached_inputs_are_the_pack_folders_copies(
        sample_pdf: tuple[str, dict[str, bytes]]) -> None:
    _, files = sample_pdf
    attached = PdfReader(io.BytesIO(files[REPORT_PDF])).attachments
    inputs = {n: d for n, d in files.items() if n.startswith("inputs/")}
    assert inputs and {n: attached[n][0] for n in inputs} == inputs


def test_each_finding_once_no_ditto_and_statuses_apart_from_ids(
        sample_pdf: tuple[str, dict[str, bytes]], tool: Tool) -> None:
    _, files = sample_pdf
    text = subprocess.run([tool("pdftotext"), "-layout", "-", "-"], input=files[REPORT_PDF],
                          capture_output=True, check=True).stdout.decode()
    assert "〃" not in text
    assert not re.search(r"(PASS|FAIL|MANUAL|ERROR|EXCEPTED|N/A|APPLICABLE)[0-9A-Z]", text)
    html = files["report.html"].decode()
    entries = re.findall(r'<tr id="(F-[0-9a-f]{6,12})"', html)
    assert len(entries) == len(set(entries))  # printed once; elsewhere only referred to
    assert all(f'href="#{i}"' in html for i in entries[:1])
