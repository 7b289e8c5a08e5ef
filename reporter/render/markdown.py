"""Text put into Markdown (pull-request comments, the paths report) so that it reads as
written: names and messages never turn into formatting, and a ``|`` never ends a table cell."""

from __future__ import annotations

import re

_MEANINGFUL = re.compile(r"([\\`*_<|~&])")
"""Characters that start inline Markdown (emphasis, code, HTML and autolinks, entities,
strikethrough) or end a table cell. Brackets are left as they are: with no link reference
defined, ``db[StatefulSet]`` is no link; nor is ``>`` anywhere but at a line's start."""


def markdown_text(text: str) -> str:
    """Plain text, each meaningful character backslash-escaped (CommonMark lets any ASCII
    punctuation be), line breaks as spaces: ``api_v2_policy.yaml`` is not italicised."""
    return _MEANINGFUL.sub(r"\\\1", text).replace("\n", " ")


def markdown_code(text: str) -> str:
    """A code span, in a table cell or not. Backslashes do not escape inside code, so a
    backtick becomes a quote; a ``|`` is still escaped, since a table is split into cells
    before code spans are read."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"
