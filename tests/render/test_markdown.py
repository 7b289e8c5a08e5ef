"""Text put into Markdown reads as written: the diff's and gate's comments, the paths report."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from reporter.model import Location
from reporter.paths.render import render_md
from reporter.paths.search import AttackPath, Hop, PathReport, TargetPaths
from reporter.render.markdown import markdown_code, markdown_text


def test_characters_that_would_format_are_escaped_and_the_rest_left_alone() -> None:
    assert markdown_text("net_pol_v2.yaml") == "net\\_pol\\_v2.yaml"
    assert markdown_text("zone cde: *") == "zone cde: \\*"
    assert markdown_text("Bob <b@x.org> & `x` ~~y~~ a|b \\") == (
        "Bob \\<b@x.org> \\& \\`x\\` \\~\\~y\\~\\~ a\\|b \\\\")
    assert markdown_text("db[StatefulSet] -> web #7\nnext") == (
        "db[StatefulSet] -> web #7 next")


def test_a_code_span_holds_no_backtick_and_no_bare_pipe() -> None:
    assert markdown_code("a/b[Pod]") == "`a/b[Pod]`"
    assert markdown_code("x|`y`_z\nw") == "`x\\|'y'_z w`"


@given(st.text())
def test_removing_the_escapes_gives_the_text_back(text: str) -> None:
    assert re.sub(r"\\(.)", r"\1", markdown_text(text), flags=re.S) == text.replace("\n", " ")


def test_the_paths_report_in_markdown_keeps_file_names_as_written() -> None:
    rule = "policy shop/db-in ingress[0] (k8s_net/db_policy.yaml:3)"
    hop = Hop("shop/web[Deployment]", "shop/db[StatefulSet]", "TCP 5432", (rule,),
              (Location(file="k8s_net/db_policy.yaml", line=3),))
    target = TargetPaths("shop/db[StatefulSet]", ("cde",), 1, 1,
                         (AttackPath("shop/web[Deployment]", (hop,)),))
    markdown = render_md(PathReport("every workload", "data stores", 4, (target,)))
    assert markdown.splitlines() == [
        "**1 of 1 data stores reachable from every workload within 4 hops**",
        "",
        "| data store | min hops | entry workloads |",
        "| --- | ---: | ---: |",
        "| `shop/db[StatefulSet]` | 1 | 1 |",
        "",
        "- `shop/web[Deployment] → shop/db[StatefulSet]`",
        "  - `shop/web[Deployment]` → `shop/db[StatefulSet]` (TCP 5432): policy shop/db-in "
        "ingress[0] (k8s\\_net/db\\_policy.yaml:3)",
    ]
