"""report and run compile the templates in a worker while they read and assess: the report is
the same (the fixture's golden), nothing is compiled twice, and code that does not match a
template is compiled again rather than used."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import jinja2
import pytest

from reporter.render import html
from reporter.render.bundle import PackInputs, render_documents

from .golden import assert_golden
from .sample import SAMPLE_MANIFESTS, sample_assessment, sample_pair_map, sample_previous

if TYPE_CHECKING:
    from tests.conftest import Goldens

forking = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


@pytest.fixture
def fresh_templates() -> Iterator[None]:
    """No template compiled or loaded yet, as in a new process (and again afterwards)."""
    html._COMPILED.code.clear()
    html.environment.cache_clear()
    yield
    html._COMPILED.code.clear()
    html.environment.cache_clear()


def _every_template(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Loads every template; returns those that had to be compiled here."""
    compiled: list[str] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None,
                 *args: object, **kwargs: object) -> object:
        compiled.append(str(name))
        return compile_template(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    env = html.environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    return compiled


@forking
@pytest.mark.usefixtures("fresh_templates")
def test_templates_compiled_ahead_are_not_compiled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    html.compile_ahead(processes=2)()
    assert _every_template(monkeypatch) == []
    assert html.MAIN_TEMPLATE in html.environment().list_templates()


@forking
@pytest.mark.usefixtures("fresh_templates")
def test_templates_compiled_ahead_render_the_golden_report(goldens: Goldens) -> None:
    html.compile_ahead(processes=2)()
    inputs = PackInputs(SAMPLE_MANIFESTS, sample_pair_map(), sample_previous())
    assert_golden(goldens, "fixture", render_documents(sample_assessment(), inputs))


@pytest.mark.usefixtures("fresh_templates")
def test_one_process_compiles_the_templates_when_first_rendered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    html.compile_ahead(processes=1)()
    assert html.MAIN_TEMPLATE in _every_template(monkeypatch)


@pytest.mark.usefixtures("fresh_templates")
def test_code_that_does_not_match_a_template_is_compiled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = html.environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    html._COMPILED.code = dict.fromkeys(html._COMPILED.code, b"not Jinja's code")
    html.environment.cache_clear()
    assert html.MAIN_TEMPLATE in _every_template(monkeypatch)
