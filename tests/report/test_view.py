"""The view model: finding and evidence IDs, the requirement matrix, manual requests,
limitations and the zone diagram."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from reporter.model import Finding, InputSummary, ScopeEntry, Status, ZoneFlow, ZoneSummary
from reporter.render.diagram import (
    MATRIX_COLUMNS,
    SEPARATE_NAMESPACES,
    network_diagram,
    zone_diagram,
)
from reporter.render.evidence import evidence_id, index_evidence, requirement_ids
from reporter.render.findings import (
    NAMED_PER_STATUS,
    ZONES_NAMED,
    FindingView,
    finding_ids,
    zones_by_status,
)
from reporter.render.html import render_html
from reporter.render.view import (
    HEADER_LENGTH,
    PRINTED_POLICIES,
    SHOWN_AFFECTED,
    SHOWN_SCOPE_NAMESPACES,
    PackFacts,
    ReportView,
    _header,
    build_view,
)
from reporter.timeline import point_in_time

from .sample import sample_assessment, sample_pair_map, sample_previous


def _facts(**changes: object) -> PackFacts:
    facts = PackFacts(run_id="RUN-x", tool_sha256="0" * 64, files=(), inputs_attached={},
                      connectivity=sample_pair_map(),
                      connectivity_file="connectivity.json.gz", evidence_file="evidence-index.csv")
    return facts if not changes else PackFacts(**{**{f: getattr(facts, f) for f in
                                                     facts.__dataclass_fields__}, **changes})


def _finding(fingerprint: str) -> Finding:
    return Finding(check_id="c.x", status=Status.FAIL, target="t", message="m",
                   fingerprint=fingerprint)


def test_evidence_ids_are_the_requirement_and_six_hex_digits() -> None:
    assert evidence_id("1.3.1", _finding("a1b2c3d4e5f6")) == "EV-1.3.1-a1b2c3"


def test_evidence_ids_lengthen_only_when_six_digits_collide() -> None:
    ids = requirement_ids("1.3.1", [_finding("a1b2c3000000"), _finding("a1b2c3ffffff"),
                                    _finding("0123456789ab")])
    assert ids == {"a1b2c3000000": "EV-1.3.1-a1b2c3000000",
                   "a1b2c3ffffff": "EV-1.3.1-a1b2c3ffffff",
                   "0123456789ab": "EV-1.3.1-012345"}


def test_evidence_ids_are_stable_across_runs() -> None:
    first = dict(index_evidence(sample_assessment()).ids)
    assert first == dict(index_evidence(sample_assessment()).ids)
    assert all(re.fullmatch(r"EV-[0-9A-Za-z.()]+-[0-9a-f]{6}", v) for v in first.values())


def _by_target(view: ReportView) -> dict[str, FindingView]:
    return {v.finding.target: v for v in view.findings.shown}


def test_finding_ids_are_f_and_six_hex_digits_lengthened_only_on_collision() -> None:
    assert finding_ids(["a1b2c3000000", "a1b2c3ffffff", "0123456789ab"]) == {
        "a1b2c3000000": "F-a1b2c3000000", "a1b2c3ffffff": "F-a1b2c3ffffff",
        "0123456789ab": "F-012345"}


def test_each_finding_is_printed_once_with_every_requirement_it_affects() -> None:
    view = build_view(sample_assessment(), _facts())
    fingerprints = [v.finding.fingerprint for v in view.findings.shown]
    assert len(fingerprints) == len(set(fingerprints))
    assert all(v.finding.status is not Status.PASS for v in view.findings.shown)
    leak = _by_target(view)["internet -> phi"]
    assert [(a.framework, a.requirements) for a in leak.affects] == [
        ("PCI DSS 4.0.1", ("1.2.5", "1.3.1")), ("HIPAA", ("164.308(a)(1)(ii)(D)",))]
    assert view.findings.shown[0].finding.status is Status.FAIL


def test_the_matrix_refers_to_finding_ids_within_the_requirements_zones() -> None:
    view = build_view(sample_assessment(), _facts())
    by_target = _by_target(view)
    hipaa = {r.requirement.id: r for r in view.findings.matrices[1].rows}
    review = hipaa["164.308(a)(1)(ii)(D)"]
    assert set(review.findings) == {by_target["internet -> phi"].id,
                                    by_target["connected -> phi"].id}
    assert review.automated is Status.FAIL
    pci = {r.requirement.id: r for r in view.findings.matrices[0].rows}
    assert (pci["1.4.1"].automated, pci["1.4.1"].findings) == (Status.PASS, ())
    assert (pci["1.1.2"].automated, pci["1.1.2"].manual) == (None, "pending")


def test_manual_requests_are_one_table_one_row_per_request() -> None:
    view = build_view(sample_assessment(), _facts())
    manual = view.findings.manual
    assert manual and all(m.attested is None for m in manual)
    texts = [m.request for m in manual]
    assert len(texts) == len(set(texts))
    wanted = {(f.id, r.id) for f in sample_assessment().frameworks for r in f.requirements
              if r.manual}
    assert sum(len(m.requirements) for m in manual) == len(wanted)


def test_changes_since_the_previous_run_take_three_lines() -> None:
    view = build_view(sample_assessment(), _facts(previous=sample_previous()))
    assert view.changes == (
        "2 requirements changed status: 1.3.2 PASS → FAIL, 1.4.1 FAIL → PASS.",
        "Findings (matched by fingerprint): 2 newly failing, 0 no longer failing; exceptions: "
        "0 new, 1 expired.",
        "Policies 9 → 11; workloads 16 → 16; allowed pairs 17 → 13; undeclared zone flows "
        "4 → 4.",
    )
    assert build_view(sample_assessment(), _facts()).changes is None


def test_exceptions_list_the_findings_they_excepted_by_id() -> None:
    view = build_view(sample_assessment(), _facts())
    assert [(s.value, [e.id for e in items]) for s, items in view.exceptions] == [
        ("active", ["EXC-001", "EXC-002"]), ("expired", ["EXC-003"]), ("unused", ["EXC-004"])]
    assert all(re.fullmatch(r"F-[0-9a-f]{6}", i) for i in view.exception_findings["EXC-001"])
    assert view.exception_findings["EXC-001"] and view.exception_findings["EXC-004"] == ()


def test_the_title_names_the_owner_and_the_header_fits_one_line() -> None:
    view = build_view(sample_assessment(), _facts())
    assert view.title == "Network segmentation evidence: Example Payments 株式会社 / prod-eu-1"
    assert len(view.running_header) <= HEADER_LENGTH
    nameless = sample_assessment().model_copy(update={"organisation": None, "cluster": None})
    # without names, the folder the inputs were read from
    assert build_view(nameless, _facts()).title == "Network segmentation evidence: estate"


def test_the_header_lists_fewer_zones_before_it_cuts_the_period() -> None:
    zones = ["cde", "connected", "phi", "tenant/a", "tenant/b", "platform"]
    header = _header("Example Health & Payments GmbH / shared-prod", zones, "point in time")
    assert header == ("Example Health & Payments GmbH / shared-prod · scope: cde +5 more · "
                      "point in time")
    assert len(header) <= HEADER_LENGTH
    # An owner too long for the line is shortened; the scope and the period stay whole.
    long_owner = _header("x" * 120, zones, "2026-10-01 to 2026-12-06, to date")
    assert len(long_owner) == HEADER_LENGTH
    assert long_owner.endswith("x… · scope: cde +5 more · 2026-10-01 to 2026-12-06, to date")
    # With no room left for an owner, the line itself is cut.
    crowded = _header("owner", zones, "p" * 100)
    assert len(crowded) == HEADER_LENGTH and crowded.startswith("owner · scope: cde +5 more · p")
    assert crowded.endswith("p…")


def test_limitations_state_what_was_not_examined() -> None:
    text = " ".join(build_view(sample_assessment(), _facts()).limitations)
    for words in ("Layers 3 and 4 only", "CIS Kubernetes 5.3.1", "files as read",
                  "hostNetwork", "manual part"):
        assert words in text


def test_the_point_in_time_examined_reads_as_a_sentence() -> None:
    def said(label: str) -> str:
        assessment = sample_assessment().model_copy(
            update={"period": point_in_time(f"point in time: {label}", None, None)})
        return next(line for line in build_view(assessment, _facts()).limitations
                    if line.startswith("Point in time"))

    assert said("state as of commit 0a1b2c3d4e5f") == (
        "Point in time: only the state as of commit 0a1b2c3d4e5f was examined; changes before "
        "or after it are not.")
    assert said("state as of commit 0a1b2c3d4e5f, with uncommitted changes to the inputs") == (
        "Point in time: only the state as of commit 0a1b2c3d4e5f, with uncommitted changes to "
        "the inputs, was examined; changes before or after it are not.")


def test_pending_manual_parts_of_frameworks_not_assessed_are_said_apart() -> None:
    """HIPAA without a PHI zone asks for evidence about a scope the pack does not have."""
    assessment = sample_assessment()
    frameworks = [f.model_copy(update={"status": Status.NOT_ASSESSED,
                                       "reason": "no zone holding electronic protected health "
                                                 "information (PHI) declared"})
                  if f.id == "hipaa-security-rule" else f for f in assessment.frameworks]
    said = [line for line in build_view(assessment.model_copy(update={
        "frameworks": frameworks}), _facts()).limitations if "manual part" in line]
    assert said == [
        "4 requirements have a manual part still pending, which this pack does not prove: the "
        "manual evidence table lists what to request. 1 of them belongs to frameworks not "
        "assessed here because their scope is not declared (HIPAA Security Rule 45 CFR Part "
        "164 Subpart C: 1): that evidence is due once it is."]
    assert "frameworks not assessed" not in " ".join(
        build_view(assessment, _facts()).limitations)
    # The manual evidence table marks the request where the auditor reads it.
    view = build_view(assessment.model_copy(update={"frameworks": frameworks}), _facts())
    marked = {(fw, rid) for m in view.findings.manual for fw, rid, _, unscoped in m.requirements
              if unscoped}
    assert marked == {("HIPAA", "164.312(e)(1)")}
    html = render_html(view)
    assert html.count('<span class="muted">(not assessed)</span>') == 1
    assert "Requests marked “(not assessed)” are of a framework not assessed" in re.sub(
        r"\s+", " ", html)
    assert "Requests marked" not in render_html(build_view(assessment, _facts()))


def test_diagram_draws_every_flow_and_the_internet() -> None:
    assessment = sample_assessment()
    diagram = zone_diagram(assessment.zones, assessment.zone_flows)
    names = [n.name for n in diagram.nodes]
    assert names[0] == "internet" and sorted(names) == sorted(
        ["internet", "cde", "connected", "phi", "out-of-scope"])
    assert [e.flow.declared for e in diagram.edges] == [False] * 4 + [True] * 4
    assert [e.number for e in diagram.edges] == list(range(1, 9))
    for node in diagram.nodes:  # every box inside the drawing
        assert node.left >= 0 and node.left + node.width <= diagram.width
        assert node.top >= 0 and node.top + node.height <= diagram.height
    badges = [(e.badge_x, e.badge_y) for e in diagram.edges]
    assert len(set(badges)) == len(badges)


def test_diagram_labels_external_ranges_briefly() -> None:
    zone = ZoneSummary(name="cde", kind="cde", frameworks=["pci"], namespaces=["a"],
                       workloads=["a/w[Deployment]"])
    flows = [ZoneFlow(src="cde", dst="10.0.0.2-10.0.0.2[External]", ports="UDP 53",
                      declared=True),
             ZoneFlow(src="cde", dst="10.0.0.0-10.0.0.255[External]", ports="TCP 443",
                      declared=False)]
    labels = {n.name: n.label for n in zone_diagram([zone], flows).nodes}
    assert labels == {"cde": "cde", "10.0.0.2-10.0.0.2[External]": "10.0.0.2",
                      "10.0.0.0-10.0.0.255[External]": "10.0.0.0 – 10.0.0.255"}


def test_many_address_ranges_fold_into_one_node() -> None:
    zone = ZoneSummary(name="cde", kind="cde", frameworks=["pci"], namespaces=["a"],
                       workloads=["a/w[Deployment]"])
    flows = [ZoneFlow(src="cde", dst=f"10.0.{i}.0-10.0.{i}.255[External]", ports=f"TCP {i}",
                      declared=i == 0) for i in range(5)]
    flows.append(ZoneFlow(src="internet", dst="cde", ports="TCP 443", declared=True))
    diagram = zone_diagram([zone], flows)
    assert diagram.folded_ranges == 5
    assert sorted(n.name for n in diagram.nodes) == ["cde", "internet", "other addresses"]
    folded = next(e for e in diagram.edges if e.flow.dst == "other addresses")
    assert (folded.folded, folded.undeclared, folded.flow.declared) == (5, 4, False)
    assert folded.flow.ports == "TCP 0, … (5 port sets)"


def test_large_zones_count_workloads_per_namespace() -> None:
    big = ZoneSummary(name="cde", kind="cde", frameworks=["pci"], namespaces=["a", "b"],
                      workloads=[f"a/w{i}[Deployment]" for i in range(10)]
                      + [f"b/w{i}[Deployment]" for i in range(5)])
    view = build_view(sample_assessment().model_copy(update={"zones": [big]}), _facts())
    assert view.zones[0].listed_workloads == ()
    assert view.zones[0].per_namespace == (("a", 10), ("b", 5))
    small = build_view(sample_assessment(), _facts()).zones[0]
    assert len(small.listed_workloads) == 4 and small.per_namespace == ()


def test_a_large_register_prints_the_policies_the_printed_findings_cite() -> None:
    assessment = sample_assessment()
    template = assessment.policies[0]
    many = [template.model_copy(update={"key": f"bulk/p-{i:03}", "namespace": "bulk",
                                        "name": f"p-{i:03}"}) for i in range(PRINTED_POLICIES)]
    large = assessment.model_copy(update={"policies": [*assessment.policies, *many]})
    view = build_view(large, _facts())
    cited = {k for v in view.findings.shown for k in v.finding.policies}
    assert len(view.policies) == len(large.policies) > PRINTED_POLICIES
    assert cited and {p.key for p in view.printed_policies} == cited & {
        p.key for p in large.policies}
    small = build_view(assessment, _facts())
    assert small.printed_policies == small.policies


def test_a_cause_lists_its_first_workloads_and_says_where_the_rest_are() -> None:
    assessment = sample_assessment()
    many = [f"shop/web-{i:02}[Deployment]" for i in range(20)]
    checks = [c.model_copy(update={"findings": [
        f.model_copy(update={"affected": many}) if f.status is Status.FAIL else f
        for f in c.findings]}) for c in assessment.checks]
    html = render_html(build_view(assessment.model_copy(update={"checks": checks}), _facts()))
    text = re.sub(r"<[^>]+>", "", html)
    assert (f"20 workloads affected: {', '.join(many[:SHOWN_AFFECTED])} and "
            f"{20 - SHOWN_AFFECTED} more — full list in evidence-index.csv and pack.json") in text
    assert many[SHOWN_AFFECTED] not in text


def _ring_of_zones(count: int, reach: int) -> tuple[list[ZoneSummary], list[ZoneFlow]]:
    """``count`` zones, each reaching the ``reach`` next ones."""
    zones = [ZoneSummary(name=f"z{i:03}", kind="other", frameworks=["soc2"],
                         namespaces=[f"n{i}"], workloads=[f"n{i}/w[Deployment]"])
             for i in range(count)]
    flows = [ZoneFlow(src=f"z{i:03}", dst=f"z{(i + k) % count:03}", ports="TCP 80",
                      declared=False)
             for i in range(count) for k in range(1, reach + 1)]
    return zones, flows


def test_a_diagram_too_dense_to_draw_is_a_matrix_numbering_a_row_per_source_and_ports() -> None:
    zones, flows = _ring_of_zones(MATRIX_COLUMNS, 20)
    # z000 reaches z001 on other ports, and z002 by a declared flow: rows of their own.
    flows[0] = flows[0].model_copy(update={"ports": "TCP 443"})
    flows[1] = flows[1].model_copy(update={"declared": True, "flows": ["backup"]})
    diagram = network_diagram(zones, flows, ())
    assert not diagram.drawn and len(diagram.edges) == MATRIX_COLUMNS * 20
    matrix = diagram.matrix
    assert matrix is not None and len(matrix.names) == MATRIX_COLUMNS
    rows = diagram.rows
    # Undeclared first: z000's two, then one per other zone; the declared one last.
    assert [(r.edge.flow.src, r.edge.flow.ports, len(r.destinations)) for r in rows[:3]] == [
        ("z000", "TCP 443", 1), ("z000", "TCP 80", 18), ("z001", "TCP 80", 20)]
    assert (rows[-1].edge.flow.declared, rows[-1].destinations) == (True, ("z002",))
    assert len(rows) == MATRIX_COLUMNS + 2
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert matrix.cells[0][1] == 1 and matrix.cells[0][3] == 2 and matrix.cells[0][2] == len(rows)
    assert matrix.cells[0][0] is None and matrix.cells[1][2] == 3
    assert matrix.undeclared == frozenset(range(1, len(rows)))
    # Beside the matrix, a row names up to three destinations; more are its marked cells.
    assert [r.listed for r in rows[:3]] == [True, False, False] and rows[-1].listed


def test_a_diagram_too_wide_for_a_matrix_is_the_table_alone_laid_out_without_badges() -> None:
    # 160 zones, each reaching 60 others: 9,600 arrows. Placing badges clear of each other is
    # quadratic in the arrows (minutes here); the table needs none of it. A matrix of 160
    # columns could not be printed.
    started = time.perf_counter()
    diagram = network_diagram(*_ring_of_zones(160, 60), ())
    assert time.perf_counter() - started < 20
    assert not diagram.drawn and diagram.matrix is None
    assert len(diagram.edges) == 9600 and len(diagram.nodes) == 160
    # No matrix to point into: each row names its destinations.
    assert len(diagram.rows) == 160
    assert all(r.listed and len(r.destinations) == 60 for r in diagram.rows)


def test_the_network_chapter_says_which_form_stands_for_the_drawing() -> None:
    view = build_view(sample_assessment(), _facts())

    def lead(count: int, reach: int) -> str:
        html = render_html(replace(view, diagram=network_diagram(*_ring_of_zones(count, reach),
                                                                 ())))
        chapter = html[html.index('id="network"'):]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", chapter[:chapter.index("</p>")]))

    assert ("the matrix marks each allowed connection with the number of its row in the table "
            "below (✘ undeclared); a row lists every destination a source reaches on the same "
            "ports.") in lead(MATRIX_COLUMNS, 20)
    assert ("They are too many to draw, or to print as a matrix (35 places): the table below "
            "lists each connection, a row every destination a source reaches on the same ports. "
            "Undeclared connections are listed first.") in lead(35, 20)
    assert "drawn dashed" in lead(4, 1)


def test_many_namespaces_in_pci_scope_fold_into_one_node() -> None:
    cde = ZoneSummary(name="cde", kind="cde", frameworks=["pci"], namespaces=["pay"],
                      workloads=["pay/api[Deployment]"])
    alone = [ZoneSummary(name=f"team-{i}", kind="namespace", frameworks=["pci"],
                         namespaces=[f"team-{i}"], workloads=[f"team-{i}/w[Deployment]"])
             for i in range(5)]
    flows = [ZoneFlow(src=f"team-{i}", dst="cde", ports=f"TCP {8080 + i}", declared=i == 0)
             for i in range(5)]
    flows += [ZoneFlow(src="cde", dst="team-0", ports="TCP 53", declared=True),
              ZoneFlow(src="cde+phi", dst="cde", ports="TCP 5432", declared=False)]
    diagram = zone_diagram([cde, *alone], flows)
    nodes = {n.name: n for n in diagram.nodes}
    assert sorted(nodes) == ["cde", "cde+phi", "connected-to namespaces"]
    assert nodes["connected-to namespaces"].subtitle == "5 namespaces in no zone · 5 workloads"
    assert not nodes["cde+phi"].external and nodes["cde+phi"].in_scope
    inbound = next(e for e in diagram.edges if e.flow.src == "connected-to namespaces")
    assert (inbound.folded, inbound.undeclared, inbound.flow.declared) == (5, 4, False)
    assert diagram.folded_namespaces is not None
    assert diagram.folded_namespaces.namespaces == [f"team-{i}" for i in range(5)]
    few = zone_diagram([cde, *alone[:SEPARATE_NAMESPACES]], flows[:SEPARATE_NAMESPACES])
    assert few.folded_namespaces is None and len(few.nodes) == 1 + SEPARATE_NAMESPACES


def test_a_large_estate_names_its_pci_scope_namespaces_and_counts_zone_statuses() -> None:
    assessment = sample_assessment()
    alone = [ZoneSummary(name=f"team-{i:02}", kind="namespace", frameworks=["pci-dss-4.0.1"],
                         namespaces=[f"team-{i:02}"], workloads=[f"team-{i:02}/w[Deployment]"])
             for i in range(SHOWN_SCOPE_NAMESPACES + 5)]
    scope = [ScopeEntry(name=z.name, kind="namespace", category="connected-to",
                        flows=[f"the CDE => namespace {z.name} : TCP 53"], flow_count=1)
             for z in alone]
    framework = assessment.frameworks[0]
    requirement = framework.requirements[0]
    zone_status = {"cde": Status.FAIL} | {
        z.name: Status.PASS if i % 2 else Status.FAIL for i, z in enumerate(alone)}
    framework = framework.model_copy(update={"requirements": [
        requirement.model_copy(update={"zone_status": zone_status}),
        *framework.requirements[1:]]})
    large = assessment.model_copy(update={
        "zones": [*assessment.zones, *alone], "pci_scope": [*assessment.pci_scope, *scope],
        "frameworks": [framework, *assessment.frameworks[1:]]})
    view = build_view(large, _facts())
    folded = [z for z in view.zones if z.folded]
    assert len(folded) == 1 and len(folded[0].zone.namespaces) == len(alone)
    assert len(view.zones) == len(assessment.zones) + 1
    assert view.pci_scope_named == tuple(z.name for z in alone[SHOWN_SCOPE_NAMESPACES:])
    assert [e.name for e in view.pci_scope if e.kind == "namespace"] == [
        z.name for z in alone[:SHOWN_SCOPE_NAMESPACES]]
    row = view.findings.matrices[0].rows[0]
    assert row.by_zone == ((Status.FAIL, ("cde", "team-00", "team-02", "team-04"), 14),
                           (Status.PASS, ("team-01", "team-03", "team-05", "team-07"), 12))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", render_html(view)))
    assert ("By zone: FAIL in 14 zones (cde, team-00, team-02, team-04 and 10 more) · "
            "PASS in 12 zones (team-01, team-03, team-05, team-07 and 8 more); "
            "each zone in pack.json") in text
    assert f"{len(alone) - SHOWN_SCOPE_NAMESPACES} more namespaces in no zone: " in text
    assert view.scope == (", ".join(z.name for z in assessment.zones if z.frameworks)
                          + f", {len(alone)} connected-to namespaces (see the PCI DSS scope)")


def test_a_pack_without_organisation_is_titled_by_what_it_read() -> None:
    def titled(paths: list[str], remote: str | None = None) -> str:
        current = sample_assessment()
        inputs = [InputSummary(path=p, sha256="a" * 64, documents=1) for p in paths]
        provenance = {"git": {"commit": "1" * 40, "files": [],
                              "repository": {"remote_url": remote}}} if remote else None
        assessment = current.model_copy(update={
            "organisation": None, "cluster": None, "provenance": provenance,
            "completeness": current.completeness.model_copy(update={"inputs": inputs})})
        return build_view(assessment, _facts()).title.removeprefix(
            "Network segmentation evidence: ")

    assert titled(["estate/a.yaml", "estate/web/b.yaml"]) == "estate"
    assert titled(["a.yaml", "b.yaml"]) == "a.yaml, b.yaml"
    # A repository's root: never two of its files, as if they were all that was read.
    assert titled(["guestbook/ui.yaml", "sock-shop/carts.yaml", "helm/x.yaml"]) == "3 input files"
    assert titled(["guestbook/ui.yaml", "sock-shop/carts.yaml", "helm/x.yaml"],
                  "https://github.com/argoproj/argocd-example-apps.git") == (
        "3 input files of argoproj/argocd-example-apps")


def test_the_changes_line_counts_findings_failing_for_more_workloads() -> None:
    from reporter.diff.model import FindingChange, StatusDelta
    from reporter.render.changes import _findings_line

    widened = FindingChange("f1", "zone.ingress-declared", "namespace/web", "…", "widened",
                            "FAIL", "FAIL", ("web/new[Deployment]",))
    assert _findings_line(StatusDelta((), (widened,), ())) == (
        "Findings (matched by fingerprint): 0 newly failing, 1 failing for more workloads, "
        "0 no longer failing; exceptions: 0 new, 0 expired.")


def test_the_inputs_table_names_a_copy_s_path_and_hash_only_where_they_differ() -> None:
    assessment = sample_assessment()
    records = [  # an unchanged copy at its own path; a redacted one renamed (a clash)
        {"path": "estate/policies.yaml", "attached": "inputs/estate/policies.yaml",
         "sha256_read": "a" * 64, "sha256_attached": "a" * 64, "redacted_lines": []},
        {"path": "estate/workloads.yaml", "attached": "inputs/estate/workloads-2.yaml",
         "sha256_read": "b" * 64, "sha256_attached": "c" * 64, "redacted_lines": [23]}]
    html = render_html(build_view(assessment.model_copy(
        update={"provenance": {"report": {"attachments": records}}}), _facts()))
    table = html[html.index('<table class="compact inputs">'):]
    table = table[:table.index("</table>")]
    policies, workloads = table.split("<tr><td>")[1:]
    assert policies.count('class="hash') == 1 and "attached as" not in policies
    assert "a" * 64 in policies and "none" in policies
    assert "attached as <code>inputs/estate/workloads-2.yaml</code>" in workloads
    assert re.findall(r'class="hash[^"]*"[^>]*>(\w+)<', workloads) == ["b" * 64, "c" * 64]


OTHER_KINDS = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7, namespace: shop}
spec: {endpointSelector: {matchLabels: {app: web}}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: tenants}
spec: {priority: 10, subject: {namespaces: {}}, ingress: []}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: monitoring}
spec: {priority: 20, subject: {namespaces: {}}, ingress: []}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: shop}
spec: {replicas: 1}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-labels}
spec: {rules: []}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec: {secretName: web-tls}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mesh-edge, namespace: shop}
spec: {selector: {istio: ingressgateway}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec: {gatewayClassName: public}
---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: web-http, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}, port: 80}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: lookalike, namespace: shop}
spec: {replicas: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: migrate, namespace: shop}
spec: {containers: [{name: c, image: migrate}]}
status: {phase: Succeeded}
"""


def test_limitations_name_policies_of_other_kinds_and_what_else_was_not_modelled(
        tmp_path: Path) -> None:
    """Policies the map does not apply make it wrong where the cluster enforces them: the
    pack says which, how many of each, and which way they move real reachability. Objects are
    told by what they do, not by kind name: a Kyverno ClusterPolicy admits objects and is one
    of the custom resources, Istio's Gateway configures a mesh while the Gateway API's runs its
    implementation's proxy pods, a Deployment of another group is no workload; a finished Pod
    has no traffic and limits nothing."""
    from reporter.pipeline import Assessor, PipelineOptions

    (tmp_path / "estate.yaml").write_text(OTHER_KINDS)
    assessment = Assessor(PipelineOptions()).run([str(tmp_path / "estate.yaml")]).assessment
    lines = build_view(assessment, _facts()).limitations
    assert [line for line in lines if line.startswith((
        "Policy objects", "Objects that run", "Workloads under", "Kinds present",
        "Service-mesh", "Custom resources"))] == [
        "Policy objects of other kinds were read but not applied: AdminNetworkPolicy (2), "
        "CiliumNetworkPolicy (1), Server (1). Where the cluster enforces them, real "
        "reachability differs from the map (narrower for deny rules, wider for admin allow "
        "rules).",
        "Objects that run pods were read but not modelled: Gateway (1), Prometheus (1). Their "
        "pods are not in the map, nor are their connections.",
        "Workloads under an apiVersion that is not a Kubernetes workload API for their kind "
        "were not read: Deployment (1). If the cluster runs them, their pods are not in the "
        "map (the completeness statement gives each one's apiVersion).",
        "Kinds present but not modelled: Service (1). They do not select or run "
        "pods, so they do not change which pods may connect; what they expose (for example a "
        "Service of type LoadBalancer) is not examined.",
        "Service-mesh configuration read but not examined: Gateway (1). It runs no pods; the "
        "routing, mTLS and layer 7 rules the mesh's proxies enforce may narrow what the map "
        "allows, and are not evidence here.",
        "Custom resources read but not modelled, none holding a pod template: Certificate (1), "
        "ClusterPolicy (1). What their operators run is not known: pods they create (for "
        "example a database or search cluster) are not in the map, nor are their connections."]
    assert not any("Pod (" in line for line in lines)


def test_a_requirements_zones_are_grouped_by_status_worst_first_up_to_a_limit() -> None:
    mixed = {"a": Status.PASS, "b": Status.FAIL, "c": Status.EXCEPTED, "d": Status.ERROR,
             "e": Status.FAIL}
    assert zones_by_status(mixed) == (
        (Status.FAIL, ("b", "e"), 2), (Status.ERROR, ("d",), 1),
        (Status.EXCEPTED, ("c",), 1), (Status.PASS, ("a",), 1))
    assert zones_by_status({"a": Status.FAIL, "b": Status.FAIL}) == ()  # all alike: the status
    # Every zone is named up to ZONES_NAMED zones; beyond, the first few of each status.
    for count, named in ((ZONES_NAMED, ZONES_NAMED - 1), (ZONES_NAMED + 1, NAMED_PER_STATUS)):
        zones = {"cde": Status.FAIL} | {f"z{n:02}": Status.PASS for n in range(count - 1)}
        failing, passing = zones_by_status(zones)
        assert failing == (Status.FAIL, ("cde",), 1)
        assert passing == (Status.PASS, tuple(f"z{n:02}" for n in range(named)), count - 1)
