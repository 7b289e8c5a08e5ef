"""``python benchmarks/until_pdf.py NOTE ARGS...`` runs ``reporter ARGS...`` as ``python -m
reporter`` does, and appends to the file NOTE the wall-clock time at which the PDF's layout
starts: what ``make bench`` reads as ``report``'s time before the PDF (imports included, as the
summary's are), from a run that is otherwise the command itself."""

from __future__ import annotations

import os
import sys

sys.path[0] = os.getcwd()  # as under `python -m reporter`, not this script's folder

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import reporter.render.bundle as bundle  # noqa: E402
from reporter.cli import main  # noqa: E402


def _noting(render_pdf: Callable[..., bytes], note: Path) -> Callable[..., bytes]:
    def render(*args: Any, **kwargs: Any) -> bytes:
        with note.open("a", encoding="utf-8") as file:
            file.write(f"{time.time()!r}\n")
        return render_pdf(*args, **kwargs)
    return render


if __name__ == "__main__":
    bundle.render_pdf = _noting(bundle.render_pdf, Path(sys.argv[1]))
    sys.argv = ["reporter", *sys.argv[2:]]
    main()
