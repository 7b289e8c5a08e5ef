"""The machine-readable renderers of an :class:`~reporter.model.Assessment`, one per output
format: each takes the assessment and returns the text (json: its UTF-8 bytes); none prints,
writes or exits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reporter.model import Assessment
from reporter.render.json import json_bytes
from reporter.render.junit import render_junit
from reporter.render.oscal import render_oscal
from reporter.render.sarif import render_sarif

AssessmentRenderer = Callable[[Assessment], str | bytes]

ASSESSMENT_FORMATS: Mapping[str, AssessmentRenderer] = {
    "json": json_bytes,
    "sarif": render_sarif,
    "junit": render_junit,
    "oscal": render_oscal,
}
"""``reporter check -o FORMAT``: json is the canonical result; the others derive from it."""
