"""pack.json is spliced from the check's JSON: it must be byte for byte what serialising the
assessment with the report's provenance gives, and the run ID hashes the check's JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.model import Assessment, ChangesSince
from reporter.pack import pack_json_of, run_id
from reporter.render.json import json_bytes, with_provenance

from .sample import sample_assessment

# Strings with what could look like structure: newlines, quotes, the key itself, indentation.
TEXT = st.lists(st.sampled_from(['a', 'é', '"', '\\', '\n', ' ', ',', ':', '{', '}', '[', ']',
                                '\u2028', '\x00', '\n  "provenance": ']),
                max_size=8).map("".join)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12)
PROVENANCE = st.none() | st.dictionaries(TEXT, VALUES, max_size=4)


def _expected(assessment: Assessment, provenance: dict[str, Any] | None) -> bytes:
    return json_bytes(assessment.model_copy(update={"provenance": provenance}))


@settings(max_examples=150, deadline=None)
@given(PROVENANCE, PROVENANCE)
def test_the_splice_is_the_serialisation(before: dict[str, Any] | None,
                                         after: dict[str, Any] | None) -> None:
    assessment = sample_assessment().model_copy(update={"provenance": before})
    assert with_provenance(json_bytes(assessment), after) == _expected(assessment, after)


def test_the_splice_works_whatever_follows_provenance() -> None:
    """A field after it set (--since's changes) or not; provenance as the last field (a model
    that one day ends with it) falls back to the closing brace."""
    changes = ChangesSince(since="v1", kind="git", commit=None, policies=[], level=None,
                           connections={"added": 1}, internet_exposure=0, requirements=[],
                           findings={}, exceptions={}, commits=None,
                           notes=['"provenance": {', "\n  x"])
    assessment = sample_assessment().model_copy(update={"changes_since": changes})
    provenance = {"report": {"run_id": "RUN-x", "attachments": [], "nested": {"a": [1, {}]}}}
    assert with_provenance(json_bytes(assessment), provenance) == _expected(assessment, provenance)
    last = b'{\n  "schema_version": "1",\n  "provenance": null\n}\n'
    assert with_provenance(last, {"a": 1}) == b'{\n  "schema_version": "1",\n  "provenance": ' \
                                              b'{\n    "a": 1\n  }\n}\n'


def test_pack_json_is_the_checks_json_with_the_reports_provenance(
        fixture_files: dict[str, bytes]) -> None:
    """The fixture pack's pack.json, parsed back for its provenance, serialises to itself, and
    its run ID hashes the assessment's JSON without that provenance."""
    stored = pack_json_of(fixture_files)
    provenance = json.loads(stored)["provenance"]
    assessment = sample_assessment()
    assert stored == _expected(assessment, provenance)
    canonical = json_bytes(assessment)
    digest = hashlib.sha256(canonical).hexdigest()[:8]
    assert provenance["report"]["run_id"] == run_id(assessment, canonical)
    assert provenance["report"]["run_id"].endswith(f"-{digest}")
