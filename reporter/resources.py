"""Where the control catalog and the report templates are.

In a source checkout they sit beside the package (``controls/``, ``templates/``: the project's
fixed layout); a wheel carries them inside it as ``reporter/_controls`` and
``reporter/_templates`` (pyproject's package-dir mapping).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    return checkout if checkout.is_dir() else _PACKAGE / f"_{name}"


CONTROLS = _resource_dir("controls")
TEMPLATES = _resource_dir("templates")
