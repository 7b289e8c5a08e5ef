"""report.html in a real headless Chromium: it loads with no console message, makes no request
beyond its own file, shows the summary, and filters the findings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reporter.pack import REPORT_HTML

from .browser import CHROMIUM_NAMES, load_page

if TYPE_CHECKING:
    from tests.conftest import Tool

EXPRESSIONS = {
    "matrix_rows": "document.querySelectorAll('table.matrix tbody tr').length",
    "findings": "document.querySelectorAll('#finding-table tbody tr').length",
    "filters_shown": "!document.getElementById('finding-filters').hidden",
    "sections": "[...document.querySelectorAll('section.chapter > h1')].map(h => h.textContent)",
    "diagram": "document.querySelector('svg.diagram').getBBox().width > 100",
    "fits": "document.documentElement.scrollWidth <= document.documentElement.clientWidth",
    "broken_links": "[...document.querySelectorAll('a[href^=\"#\"]')]"
                    ".filter(a => !document.getElementById(a.getAttribute('href').slice(1)))"
                    ".map(a => a.getAttribute('href'))",
    # evaluated last: they change the filters
    "excepted": "(() => { const s = document.querySelector('select[data-filter=status]');"
                " s.value = 'EXCEPTED'; s.dispatchEvent(new Event('change'));"
                " return [...document.querySelectorAll('#finding-table tbody tr')]"
                ".filter(r => !r.hidden).map(r => r.dataset.status); })()",
    "hipaa_excepted": "(() => { const s = document.querySelector("
                      "'select[data-filter=framework]'); s.value = 'hipaa-security-rule';"
                      " s.dispatchEvent(new Event('change'));"
                      " return [document.getElementById('finding-count').textContent,"
                      " [...document.querySelectorAll('#finding-table tbody tr')]"
                      ".filter(r => !r.hidden).map(r => r.dataset.framework)]; })()",
}


@pytest.fixture(scope="module")
def report(fixture_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / REPORT_HTML
    path.write_bytes(fixture_files[REPORT_HTML])
    return path


def test_loads_without_console_messages_or_external_requests(report: Path, tool: Tool) -> None:
    page = load_page(tool(*CHROMIUM_NAMES), report, EXPRESSIONS)
    assert page.console == []
    assert page.requests == [report.resolve().as_uri()]
    assert page.values["matrix_rows"] == 10
    assert page.values["sections"][0] == "1. Executive summary"
    assert len(page.values["sections"]) == 8
    assert page.values["diagram"] is True
    assert page.values["fits"] is True
    assert page.values["broken_links"] == []


def test_findings_filter_by_status_and_framework(report: Path, tool: Tool) -> None:
    page = load_page(tool(*CHROMIUM_NAMES), report, EXPRESSIONS)
    assert page.console == []
    assert page.values["filters_shown"] is True
    excepted = page.values["excepted"]
    assert excepted and set(excepted) == {"EXCEPTED"} and len(excepted) < page.values["findings"]
    count, frameworks = page.values["hipaa_excepted"]
    assert all("hipaa-security-rule" in f.split() for f in frameworks)
    assert count == f"{len(frameworks)} of {page.values['findings']} findings shown"


def test_the_html_refers_to_nothing_outside_itself(fixture_files: dict[str, bytes]) -> None:
    html = fixture_files[REPORT_HTML].decode()
    assert not re.search(r"""\b(src|href|action|srcset)\s*=\s*["'](?!#)""", html)
    assert "url(" not in html and "@import" not in html and html.count("<script") == 1
    assert "default-src 'none'" in html  # and the browser is told to refuse anything else
    assert "script-src 'sha256-" in html  # only the one inline script, by its hash
