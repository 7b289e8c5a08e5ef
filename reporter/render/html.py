"""report.html: one self-contained file (inline CSS, SVG and one small filtering script, no
external requests) rendered from ``templates/``; the PDF is rendered from the same HTML."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from reporter.model import Status
from reporter.render.view import ReportView
from reporter.resources import TEMPLATES
from reporter.wording import counted
from reporter.workers import computed_ahead

MAIN_TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
SCRIPT = "report.js"


class _CompiledTemplates(jinja2.BytecodeCache):
    """The templates' compiled code, held in this process only: a cache on disk would be code
    that another user could replace. Jinja checks each entry against its template's source."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def _compile_all() -> dict[str, bytes]:
    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    return _COMPILED.code


def compile_ahead(processes: int) -> Callable[[], None]:
    """Compile the templates (~0.15 s) in a worker while this process reads and assesses the
    inputs, which leaves the second CPU idle; the function returned keeps what the worker
    compiled. Templates it did not compile are compiled when first rendered."""
    compiled = computed_ahead(_compile_all, processes)

    def keep() -> None:
        code = compiled()
        if isinstance(code, dict):
            _COMPILED.code.update(code)
    return keep


@cache
def environment(directory: Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        bytecode_cache=_COMPILED,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["Status"] = Status
    env.globals["counted"] = counted  # the wording of counts the rest of the tool prints
    return env


def _verbatim(env: jinja2.Environment, name: str) -> Markup:
    # CSS and JavaScript are not templates, and escaping would break ``>`` and quotes.
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return Markup(source)


def _csp_hash(script: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def render_html(view: ReportView) -> str:
    env = environment()
    script = _verbatim(env, SCRIPT)
    return env.get_template(MAIN_TEMPLATE).render(
        view=view, stylesheet=_verbatim(env, STYLESHEET), script=script,
        script_hash=_csp_hash(str(script)))
