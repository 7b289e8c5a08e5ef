"""The gate's comment and terminal view of a result built by hand: what each new connection's
row says, text escaped for Markdown and only there, and the shorter forms of a comment that
would be too long for GitHub."""

from __future__ import annotations

from reporter.diff.model import Delta, FindingChange, PolicyChange, SideInfo, StatusDelta
from reporter.diff.render import COMMENT_LIMIT
from reporter.gate.compute import GateResult, NewConnection, Reason
from reporter.gate.render import SHOWN, render_md, render_terminal

SIDE = SideInfo("x", "git", "1" * 40)


def result(worse: tuple[Reason, ...] = (), findings: tuple[FindingChange, ...] = (),
           connections: tuple[NewConnection, ...] = (), notes: tuple[str, ...] = (),
           better: tuple[Reason, ...] = (), policies: tuple[PolicyChange, ...] = ()
           ) -> GateResult:
    delta = Delta(mode="diff", old=SIDE, new=SIDE, policies=policies, reachability=None,
                  status=StatusDelta((), findings, ()), authorship=None, notes=(), compared=1)
    return GateResult("main", "pr_branch", worse, better, connections, delta, 4, notes,
                      "reporter.yaml (given with --config)")


def test_each_connection_says_whether_it_is_declared_and_what_it_enters() -> None:
    declared = NewConnection("a/web[Pod]", "a/api[Pod]", "TCP 80", (), None, ())
    undeclared = NewConnection("a/web[Pod]", "a/cache[Pod]", "TCP 6379", (), "TCP 6379",
                               ("ingress of a/cache[Pod]: allowed by a/c ingress[0] (x.yaml:3)",))
    worse = NewConnection("b/x[Pod]", "db/pg[Pod]", "TCP 5432", ("records",), "TCP 5432", ())
    rows = [line for line in render_md(result(connections=(declared, undeclared, worse)))
            .splitlines() if line.startswith("| `")]
    assert rows == [
        "| `b/x[Pod]` | `db/pg[Pod]` | TCP 5432 | records | **worse** | — |",
        "| `a/web[Pod]` | `a/api[Pod]` | TCP 80 | — | declared | — |",
        "| `a/web[Pod]` | `a/cache[Pod]` | TCP 6379 | — | undeclared | ingress of a/cache[Pod]: "
        "allowed by a/c ingress[0] (x.yaml:3) |"]


def test_markdown_escapes_what_it_shows_and_the_terminal_does_not() -> None:
    gated = result(worse=(Reason("finding", "high: c zone cde: *: in k8s_net/db_policy.yaml"),),
                   better=(Reason("path", "a_b: no path"),), notes=("see k8s_net/notes",),
                   policies=(PolicyChange("shop/db", "removed", "k8s_net/db.yaml:1", None,
                                          "-spec: {}\n"),))
    comment = render_md(gated).splitlines()
    assert "- path: a\\_b: no path" in comment
    assert "removed `shop/db` (k8s\\_net/db.yaml:1)" in comment
    assert comment[0] == "### reporter gate: FAIL: pr\\_branch is worse than main (1 reason)"
    assert "- finding: high: c zone cde: \\*: in k8s\\_net/db\\_policy.yaml" in comment
    assert "> see k8s\\_net/notes" in comment
    assert "Config: `reporter.yaml (given with --config)`" in comment
    assert render_terminal(gated).splitlines()[:4] == [
        "FAIL: pr_branch is worse than main (1 reason)", "", "worse:",
        "  finding: high: c zone cde: *: in k8s_net/db_policy.yaml"]


def test_a_comment_too_long_leaves_out_its_details_then_lists_fewer_reasons() -> None:
    long = "x" * 2_000
    findings = tuple(FindingChange(f"f{i}", "c", f"t{i}", long, "newly-failing", None, "FAIL")
                     for i in range(40))
    twelve = tuple(Reason("finding", f"high: c t{i}") for i in range(12))
    few = result(worse=twelve, findings=findings)
    full = render_md(result(worse=(Reason("finding", "high: c t0"),), findings=findings[:2]))
    assert "<details>" in full and "Details (policy changes and findings) left out" not in full
    shortened = render_md(few)
    assert len(shortened) <= COMMENT_LIMIT
    assert "<details>" not in shortened
    assert sum(line.startswith("- finding: ") for line in shortened.splitlines()) == 12
    assert "Details (policy changes and findings) left out: the comment would be too long " \
        "for GitHub; `-o json` and `reporter diff` have them." in shortened
    many = tuple(Reason("finding", f"high: c t{i} {long}") for i in range(SHOWN))
    fewer = render_md(result(worse=many)).splitlines()
    assert len("\n".join(fewer)) <= COMMENT_LIMIT and "<details>" not in fewer
    assert sum(line.startswith("- finding: ") for line in fewer) == 10
    assert f"- … and {SHOWN - 10} more reasons (`-o json` lists every one)" in fewer
