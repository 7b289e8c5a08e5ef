"""How findings name the workloads they affect: all of a few, else the first three and a count."""

from __future__ import annotations

import pytest

from reporter.checks.causes import affected_text, who

NAMES = ["a/1[Pod]", "a/2[Pod]", "a/3[Pod]", "a/4[Pod]", "a/5[Pod]"]


@pytest.mark.parametrize(("count", "text", "message"), [
    (1, "a/1[Pod]", "a/1[Pod]"),
    (2, "a/1[Pod], a/2[Pod]", "2 workloads (a/1[Pod], a/2[Pod])"),
    (3, "a/1[Pod], a/2[Pod], a/3[Pod]", "3 workloads (a/1[Pod], a/2[Pod], a/3[Pod])"),
    (4, "a/1[Pod], a/2[Pod], a/3[Pod] and 1 more",
     "4 workloads (a/1[Pod], a/2[Pod], a/3[Pod] and 1 more)"),
    (5, "a/1[Pod], a/2[Pod], a/3[Pod] and 2 more",
     "5 workloads (a/1[Pod], a/2[Pod], a/3[Pod] and 2 more)"),
])
def test_the_first_three_are_named_and_the_rest_counted(count: int, text: str,
                                                        message: str) -> None:
    assert affected_text(NAMES[:count]) == text
    assert who(NAMES[:count]) == message
