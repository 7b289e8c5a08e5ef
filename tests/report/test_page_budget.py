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
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from reporter.commands.report import report_run
from reporter.pack import PACK_JSON, REPORT_HTML, REPORT_PDF
from reporter.pipeline import PipelineOptions
from reporter.render.bundle import build_pack
from reporter.render.diagram import MATRIX_COLUMNS, PORTRAIT_COLUMNS, network_diagram
from reporter.render.html import render_html
from reporter.render.pdf import render_pdf
from reporter.render.view import build_view
from tests.git.conftest import Repo

from .conftest import REPO

if TYPE_CHECKING:
    from tests.conftest import Tool
from .sample import sample_assessment
from .test_golden import EPOCH, SAMPLES
from .test_view import _facts, _ring_of_zones

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


def _namespaces_talking_within(namespaces: int, per_namespace: int) -> str:
    """Namespaces whose workloads may connect only with each other (a policy per namespace
    isolating every pod both ways and allowing egress to its own pods), each workload on a
    port of its own (so that no two connections of a source share a row of the table)."""
    documents = []
    for n in range(namespaces):
        documents.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: team-{n}}}\n")
        documents += [
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{w}, namespace: "
            f"team-{n}}}\nspec:\n  selector: {{matchLabels: {{app: app-{w}}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: app-{w}}}}}\n    spec:\n      containers:\n"
            f"      - {{name: c, image: nginx}}\n" for w in range(per_namespace)]
        documents.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: own, "
            f"namespace: team-{n}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n"
            f"  egress: [{{to: [{{podSelector: {{}}}}]}}]\n")
        documents += [
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: in-{w}, "
            f"namespace: team-{n}}}\nspec:\n  podSelector: {{matchLabels: {{app: app-{w}}}}}\n"
            f"  ingress: [{{from: [{{podSelector: {{}}}}], ports: [{{port: {8000 + w}}}]}}]\n"
            for w in range(per_namespace)]
    return "---\n".join(documents)


def test_a_dense_workload_map_is_printed_as_a_matrix_on_a_landscape_page_with_whole_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        pdftotext: Callable[[bytes, int, int], str]) -> None:
    """30 workloads (the most drawn workload by workload), 150 connections each on ports of
    its own (a row of the table each): a matrix of 30 columns whose cells hold three-digit
    numbers. On a portrait page they broke digit by digit (✘, 1, 5, 0 on four lines, read as
    four things)."""
    (tmp_path / "estate.yaml").write_text(_namespaces_talking_within(5, 6))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run = report_run(["estate.yaml"], PipelineOptions())
    pdf = build_pack(run.assessment, run.inputs)[REPORT_PDF]
    pages = PdfReader(io.BytesIO(pdf)).pages
    at = next(i for i in range(len(pages)) if "From \\ to" in pdftotext(pdf, i + 1, i + 1))
    box = pages[at].mediabox
    assert box.width > box.height  # landscape
    assert [p.mediabox.width < p.mediabox.height for p in pages[:at]] == [True] * at
    text = pdftotext(pdf, at + 1, at + 1)
    row = next(line for line in text.splitlines() if "team-4/app-5[Deployment]" in line)
    # The last row: the five others of its namespace, numbered 146 to 150, each whole.
    assert re.findall(r"✘\d+", row) == [f"✘{n}" for n in range(146, 151)]


@pytest.mark.parametrize("columns", [PORTRAIT_COLUMNS, MATRIX_COLUMNS])
def test_the_widest_matrix_fits_its_page(columns: int,
                                         pdftotext: Callable[[bytes, int, int], str]) -> None:
    """The most places a portrait and a landscape matrix may have, with long names, each
    connected to every other: the last column and the largest number are on the page, not cut
    off at its edge. (Zones without workloads: the diagram is drawn zone by zone.)"""
    zones, flows = _ring_of_zones(columns, columns - 1)
    # Each connection on ports of its own: a row of the table each, numbered up to 992.
    flows = [f.model_copy(update={"ports": f"TCP {1000 + i}"}) for i, f in enumerate(flows)]
    long = {z.name: f"payments-settlement-{z.name}" for z in zones}
    diagram = network_diagram(
        [z.model_copy(update={"name": long[z.name], "workloads": []}) for z in zones],
        [f.model_copy(update={"src": long[f.src], "dst": long[f.dst]}) for f in flows], ())
    assert diagram.matrix is not None and diagram.matrix.wide == (columns > PORTRAIT_COLUMNS)
    view = replace(build_view(sample_assessment(), _facts()), diagram=diagram)
    pdf = render_pdf(render_html(view), [], datetime(2024, 4, 1, tzinfo=UTC))
    pages = PdfReader(io.BytesIO(pdf)).pages
    at = next(i for i in range(len(pages)) if "From \\ to" in pdftotext(pdf, i + 1, i + 1))
    assert (pages[at].mediabox.width > pages[at].mediabox.height) == diagram.matrix.wide
    lines = pdftotext(pdf, at + 1, at + 2).splitlines()  # 32 rows take two pages
    header = next(line for line in lines if line.startswith("From \\ to"))
    assert header.split()[-1] == str(columns)
    rows = [line.rstrip() for line in lines]
    # The first row's last cell is in the last column; the last row holds the largest number.
    assert any(row.endswith(f" ✘{columns - 1}") for row in rows)
    assert any(row.endswith(f" ✘{columns * (columns - 1)}") for row in rows)
