"""The canonical JSON of an assessment (``reporter check -o json``): the model, field order as
declared, lists already in a deterministic order, so equal inputs give equal bytes.

``python -m reporter.render.json --schema`` prints its JSON Schema
(schemas/assessment.schema.json; docs/pack-schema.md explains the fields).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from reporter.model import SCHEMA_VERSION, Assessment

SCHEMA_ID = "https://compliance-reporter.example/schemas/assessment.schema.json"


def json_bytes(assessment: Assessment) -> bytes:
    """The canonical JSON, UTF-8, as pydantic writes it: a large estate's ~100 MB would
    otherwise be decoded to text only to be encoded again on output (0.2 s at 10,000
    workloads)."""
    return assessment.__pydantic_serializer__.to_json(assessment, indent=2) + b"\n"


_PROVENANCE_KEY = b'\n  "provenance": '
_NEXT_KEY = b',\n  "'
"""Only the top-level keys start a line indented by two spaces (strings hold no raw newline)."""
_PROVENANCE = TypeAdapter(dict[str, Any] | None)


def with_provenance(canonical: bytes, provenance: dict[str, Any] | None) -> bytes:
    """``json_bytes`` of the assessment that ``canonical`` is the JSON of, with this
    ``provenance`` instead of its own: pack.json is the check's JSON plus the report's
    provenance, and a large estate's assessment takes longer to serialise again (0.15 s at
    5,000 workloads) than this splice."""
    start = canonical.index(_PROVENANCE_KEY) + len(_PROVENANCE_KEY)
    stop = canonical.find(_NEXT_KEY, start)
    if stop < 0:  # the last field
        stop = canonical.rindex(b"\n}")
    value = _PROVENANCE.dump_json(provenance, indent=2).replace(b"\n", b"\n  ")
    return b"".join((canonical[:start], value, canonical[stop:]))


def assessment_schema() -> dict[str, Any]:
    """The JSON Schema of the output, for the schema version this code writes."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "x-schema-version": SCHEMA_VERSION,
        **Assessment.model_json_schema(mode="serialization"),
    }


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["--schema"]:
        print("usage: python -m reporter.render.json --schema", file=sys.stderr)
        return 2
    print(json.dumps(assessment_schema(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
