"""report.html in a real headless Chromium: it loads with no console message, makes no request
beyond its own file, and shows the summary."""

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
    "summary_rows": "document.querySelectorAll('table.summary-table tbody tr').length",
    "sections": "[...document.querySelectorAll('section.chapter > h1')].map(h => h.textContent)",
    "diagram": "document.querySelector('svg.diagram').getBBox().width > 100",
    "fits": "document.documentElement.scrollWidth <= document.documentElement.clientWidth",
    "broken_links": "[...document.querySelectorAll('a[href^=\"#\"]')]"
                    ".filter(a => !document.getElementById(a.getAttribute('href').slice(1)))"
                    ".map(a => a.getAttribute('href'))",
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
    assert page.values["summary_rows"] == 10
    assert page.values["sections"][0] == "1. Executive summary"
    assert len(page.values["sections"]) == 8
    assert page.values["diagram"] is True
    assert page.values["fits"] is True
    assert page.values["broken_links"] == []


def test_the_html_refers_to_nothing_outside_itself(fixture_files: dict[str, bytes]) -> None:
    html = fixture_files[REPORT_HTML].decode()
    assert not re.search(r"""\b(src|href|action|srcset)\s*=\s*["'](?!#)""", html)
    assert "url(" not in html and "@import" not in html and "<script" not in html
    assert "default-src 'none'" in html  # and the browser is told to refuse anything else
