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

from reporter.model import SCHEMA_VERSION, Assessment

SCHEMA_ID = "https://compliance-reporter.example/schemas/assessment.schema.json"


def json_bytes(assessment: Assessment) -> bytes:
    """The canonical JSON, UTF-8, as pydantic writes it: a large estate's ~100 MB would
    otherwise be decoded to text only to be encoded again on output (0.2 s at 10,000
    workloads)."""
    return assessment.__pydantic_serializer__.to_json(assessment, indent=2) + b"\n"


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
