"""``python -m reporter.config --schema``: print the JSON Schema of reporter.yaml."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from reporter.config import json_schema


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["--schema"]:
        print("usage: python -m reporter.config --schema", file=sys.stderr)
        return 2
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
