"""report.html: one self-contained file (inline CSS and SVG, no scripts, no external requests)
rendered from ``templates/``; the PDF is rendered from the same HTML."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from reporter.model import Status
from reporter.render.view import ReportView
from reporter.resources import TEMPLATES

MAIN_TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


@cache
def environment(directory: Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["Status"] = Status
    return env


def _stylesheet(env: jinja2.Environment) -> Markup:
    # Inserted verbatim: CSS is not a template, and escaping would break selectors like ``>``.
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, STYLESHEET)
    return Markup(source)


def render_html(view: ReportView) -> str:
    env = environment()
    return env.get_template(MAIN_TEMPLATE).render(view=view, stylesheet=_stylesheet(env))
