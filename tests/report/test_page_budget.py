"""The three sample packs, with every default framework, read as an auditor reads them: within
their page budgets (three-tier also inside a Git repository with history, as `make demo` makes
it), each finding once, no ditto marks, statuses apart from IDs, the input copies attached to
the PDF equal to those in the pack folder, and the cover naming who ran it."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from reporter.commands.report import report_run
from reporter.pack import PACK_JSON, REPORT_HTML, REPORT_PDF
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import build_pack
from tests.git.conftest import Repo

from .conftest import REPO

if TYPE_CHECKING:
    from tests.conftest import Tool
from .test_golden import EPOCH, SAMPLES

BUDGET = {"three-tier": 12, "fixed": 10, "leaky": 30}
"""Pages, with every default framework."""
IN_GIT = "three-tier in Git"
"""three-tier as `make demo` renders it: inside a Git repository with history, so every
citation names its commit and the policy inventory each policy's last change."""
CI_ENV = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo-auditor",
          "GITHUB_REPOSITORY": "example/estate", "GITHUB_WORKFLOW": "quarterly evidence",
          "GITHUB_RUN_ID": "4242", "GITHUB_TOKEN": "ghs_NEVER-IN-ANY-OUTPUT"}
"""The pack is made in a GitHub Actions job: the cover names it, the token appears nowhere."""


def _in_git(root: Path) -> tuple[list[str], str | None]:
    """three-tier committed in three steps, by authors with long names and subjects."""
    repo = Repo(root / "estate")
    repo.path.mkdir()
    repo.git("init", "--quiet", "-b", "main")
    source = REPO / "samples" / "three-tier"
    policies = (source / "policies.yaml").read_text()
    repo.write("samples/three-tier/workloads.yaml", (source / "workloads.yaml").read_text())
    repo.write("samples/three-tier/policies.yaml", policies[:policies.index("\n---", 200)])
    repo.commit("Platform baseline: namespaces, workloads and the default-deny policy",
                author=("Platform Engineering Team", "platform-engineering@example.com"))
    repo.write("samples/three-tier/policies.yaml", policies)
    repo.commit("Allow the frontend, backend and database tiers to talk as the article says",
                author=("Payments Application Maintainers", "payments-maintainers@example.com"),
                date="2024-02-20T16:30:00+01:00")
    repo.write("README.md", "The estate's manifests.\n")
    repo.commit("Document the estate", date="2024-03-01T09:00:00+00:00")
    return ["estate/samples/three-tier"], None


@pytest.fixture(scope="module", params=[*sorted(BUDGET), IN_GIT])
def sample_pdf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("budget")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        if request.param == IN_GIT:
            paths, config = _in_git(root)
        else:
            shutil.copytree(REPO / "samples" / request.param, root / "samples" / request.param)
            paths, config = SAMPLES[request.param]
        patch.chdir(root)
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for name, value in CI_ENV.items():
            patch.setenv(name, value)
        run = report_run(paths, PipelineOptions(config_path=config))
        return request.param, build_pack(run.assessment, run.inputs)


def test_the_pack_stays_within_its_page_budget(sample_pdf: tuple[str, dict[str, bytes]]) -> None:
    sample, files = sample_pdf
    pages = len(PdfReader(io.BytesIO(files[REPORT_PDF])).pages)
    budget = BUDGET[sample.removesuffix(" in Git")]
    assert pages <= budget, f"{sample}: {pages} pages, budget {budget}"


def test_the_cover_names_the_ci_job_and_no_token_is_written(
        sample_pdf: tuple[str, dict[str, bytes]]) -> None:
    sample, files = sample_pdf
    runner = json.loads(files[PACK_JSON])["provenance"]["report"]["runner"]
    assert runner == {
        "kind": "github-actions", "who": "octo-auditor",
        "where": "GitHub Actions example/estate workflow quarterly evidence run 4242",
        "description": "octo-auditor, GitHub Actions example/estate workflow quarterly "
                       "evidence run 4242"}
    assert (f"Run by</th><td>{runner['description']}</td>"
            in files[REPORT_HTML].decode()), sample
    secret = CI_ENV["GITHUB_TOKEN"].encode()
    assert [name for name, data in files.items() if secret in data] == []


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


LARGE_BUDGET = 60
"""Pages of a large estate's pack: the findings printed, the zones and the scope table are
bounded, the full lists are in the attached files."""


def test_a_large_generated_estate_stays_within_its_page_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,500 workloads with varied labels whose policies connect most namespaces with the CDE:
    dozens of namespaces become zones of their own (PCI DSS connected-to), hundreds of
    findings fail. The 5,000-workload estate of the issue gives 55 pages the same way."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from generate import GENERATED_CONFIG, generate_estate

    (tmp_path / "estate.yaml").write_text(generate_estate(1500, 60, 600, 1, "varied"))
    (tmp_path / "reporter.yaml").write_text(GENERATED_CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run = report_run(["estate.yaml"], PipelineOptions(config_path="reporter.yaml"))
    namespace_zones = [z for z in run.assessment.zones if z.kind == "namespace"]
    assert len(namespace_zones) > 30 and len(run.assessment.checks) > 10
    files = build_pack(run.assessment, run.inputs)
    pages = len(PdfReader(io.BytesIO(files[REPORT_PDF])).pages)
    assert pages <= LARGE_BUDGET, f"{pages} pages, budget {LARGE_BUDGET}"
    html = files[REPORT_HTML].decode()
    assert "connected-to namespaces" in html and "more namespaces in no zone" in html
