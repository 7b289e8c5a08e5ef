"""``reporter diff`` and ``reporter drift`` in-process: sides of every kind, exit codes, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reporter.cli import cli

from .estate import DENY_ALL, api_egress, db_policy, web_ingress, write_estate

EPOCH = "1712050200"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)  # outside any repository: no provenance


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def estates(tmp_path: Path) -> tuple[str, str]:
    write_estate(tmp_path / "old", {"deny.yaml": DENY_ALL, "db.yaml": db_policy(5432),
                                    "api.yaml": api_egress(5432)})
    write_estate(tmp_path / "new", {"deny.yaml": DENY_ALL, "db.yaml": db_policy(5433),
                                    "api.yaml": api_egress(5433), "web.yaml": web_ingress()})
    return "old", "new"


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def no_drift(*sides: str) -> str:
    """``drift SIDES -o txt``, which must find nothing (exit 0): its text."""
    result = run("drift", *sides, "-o", "txt")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_directory_compared_with_itself_exits_0(estates: tuple[str, str]) -> None:
    result = run("diff", "old", "old", "-o", "txt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["reporter diff: old (manifests) -> old (manifests)",
                                               "No differences."]


def test_differences_exit_1_and_the_terminal_view_names_them(estates: tuple[str, str]) -> None:
    result = run("diff", "old", "new")
    assert result.exit_code == 1, result.output
    assert "Policies: 1 added, 2 modified" in result.stdout
    assert "+ shop/web-ingress" in result.stdout
    assert "New exposure to the internet" in result.stdout


def test_a_pack_side_gives_the_same_delta_as_the_directory_it_was_made_from(
    estates: tuple[str, str],
) -> None:
    pack = run("check", "old", "-o", "json")
    Path("old.json").write_text(pack.stdout, encoding="utf-8")
    Path("pack").mkdir()
    Path("pack/pack.json").write_text(pack.stdout, encoding="utf-8")
    from_directory = as_json(run("diff", "old", "new", "-o", "json"))
    for side in ("old.json", "pack"):
        from_pack = as_json(run("diff", side, "new", "-o", "json"))
        assert from_pack.pop("old") == {"label": side, "kind": "pack", "commit": None}
        assert from_pack == {k: v for k, v in from_directory.items() if k != "old"}
    assert from_directory["policies"][0]["key"] == "shop/api-egress"
    assert from_directory["reachability"]["level"] == "workload"


def test_a_pack_without_specs_or_map_is_compared_as_far_as_it_goes(
    estates: tuple[str, str],
) -> None:
    pack = json.loads(run("check", "old", "-o", "json").stdout)
    pack["connections"] = None
    for policy in pack["policies"]:
        del policy["spec"]
    Path("old.json").write_text(json.dumps(pack), encoding="utf-8")
    delta = as_json(run("diff", "old.json", "new", "-o", "json"))
    assert [(p["key"], p["change"]) for p in delta["policies"]] == [
        ("shop/web-ingress", "added")]
    assert delta["reachability"]["level"] == "zone"
    assert delta["notes"] == [
        "3 policies on both sides were not compared as text: a pack made before policy specs "
        "were recorded does not have them",
        "a side has no exact connectivity map (a pack's pack.json records it up to 20,000 "
        "allowed pairs, its folder's connectivity.json.gz at any size: an older pack, or a "
        "pack.json named without its folder): reachability is compared between zones",
    ]


CACHE = """\
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: tools}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: cache, image: cache:1}]
"""


def test_packs_too_large_for_pack_json_compare_their_stored_maps(
    estates: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quarterly pack of a real estate records its map only in connectivity.json.gz: the
    comparison with it is as exact as with small packs, workloads on one side included."""
    with Path("new/workloads.yaml").open("a", encoding="utf-8") as file:
        file.write(CACHE)
    exact = as_json(run("diff", "old", "new", "-o", "json"))
    assert exact["reachability"]["level"] == "workload"
    changes = [*exact["reachability"]["internet_exposure"],
               *(c for g in exact["reachability"]["groups"] for c in g["changes"])]
    assert {c["dst"] for c in changes if c["change"] == "added"} >= {"tools/cache[Deployment]"}

    import reporter.diff.record
    import reporter.diff.sides
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", 0)
    assert run("report", "old", "--out", "pack").exit_code in (0, 1)
    assert json.loads(Path("pack/pack.json").read_text(encoding="utf-8"))["connections"] is None
    for old in ("pack", "pack/pack.json"):
        from_maps = as_json(run("diff", old, "new", "-o", "json"))
        side = from_maps.pop("old")
        assert (side["label"], side["kind"]) == (old, "pack")  # not its inputs/ as manifests
        assert from_maps == {k: v for k, v in exact.items() if k != "old"}

    import reporter.diff.compute
    monkeypatch.setattr(reporter.diff.compute, "LISTED_PAIRS_LIMIT", 1)
    zones = as_json(run("diff", "pack", "new", "-o", "json"))
    assert zones["reachability"]["level"] == "zone"
    assert zones["notes"] == [
        f"the exact maps were compared pair by pair: {len(changes)} allowed pairs differ, more "
        "than the 1 listed one by one, so the changes are listed between zones"]
    # As many differing pairs as are listed: each is listed.
    monkeypatch.setattr(reporter.diff.compute, "LISTED_PAIRS_LIMIT", len(changes))
    assert as_json(run("diff", "pack", "new", "-o", "json"))["reachability"]["level"] == "workload"


def test_maps_too_large_to_compare_pair_by_pair_are_compared_between_zones(
    estates: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond what a packed pair holds (~740,000 endpoints, tried here with fewer bits), diff
    compares the zone flows and says why; drift, which has no zones to fall back on, says that
    it did not compare the connections: no traceback either way."""
    import reporter.diff.pairdiff
    import reporter.diff.record
    import reporter.diff.sides
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)  # maps, not rows
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", 0)
    monkeypatch.setattr(reporter.diff.pairdiff, "CONNECTION_BITS", 60)
    found = as_json(run("diff", "old", "new", "-o", "json"))
    assert found["reachability"]["level"] == "zone"
    assert found["notes"] == [
        "the exact maps were not compared pair by pair: 4 endpoints are more than a pair "
        "comparison holds (2 at most), so reachability is compared between zones"]
    result = run("drift", "new", "old", "-o", "txt")
    assert result.exit_code == 1, result.output
    assert ("  - reachability is not compared: 4 endpoints are more than a pair comparison "
            "holds (2 at most)") in result.stdout


def test_manifests_with_more_pairs_than_pack_json_records_compare_their_rows(
    estates: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack.json named alone holds its rows, not a map; the manifests' run records none in
    its assessment (more pairs than pack.json records): the map's rows are compared with the
    pack's, up to EXACT_DIFF_LIMIT pairs, beyond which only zones are."""
    Path("old.json").write_text(run("check", "old", "-o", "json").stdout, encoding="utf-8")
    exact = as_json(run("diff", "old.json", "new", "-o", "json"))
    assert exact["reachability"]["level"] == "workload"
    pairs = as_json(run("check", "new", "-o", "json"))["connectivity"]["connected_pairs"]

    import reporter.diff.record
    import reporter.diff.sides
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", pairs)
    assert as_json(run("diff", "old.json", "new", "-o", "json")) == exact
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", pairs - 1)
    zones = as_json(run("diff", "old.json", "new", "-o", "json"))
    assert zones["reachability"]["level"] == "zone"
    assert zones["notes"][0].startswith("a side has no exact connectivity map")


def test_the_map_of_a_pack_folder_without_sums_is_read(
    estates: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack folder without SHA256SUMS (nothing to verify it against, as a pack.json alone)
    still holds its map: drift compares it, and so does diff when pack.json does not record
    the map."""
    import reporter.diff.record
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)
    assert run("report", "old", "--out", "pack").exit_code in (0, 1)
    Path("pack/SHA256SUMS").unlink()
    for command in ("drift", "diff"):
        from_pack = as_json(run(command, "pack", "new", "-o", "json"))
        from_manifests = as_json(run(command, "old", "new", "-o", "json"))
        assert from_pack["reachability"]["level"] == "workload"
        assert from_pack["reachability"] == from_manifests["reachability"]


def test_a_quarterly_run_compares_its_map_with_the_previous_packs_stored_one(
    estates: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``reporter run`` reads the previous pack's connectivity.json.gz when its pack.json does
    not record the map: the pack's changes are counted pair by pair, as ``diff`` counts them."""
    exact = as_json(run("diff", "old", "new", "-o", "json"))["reachability"]
    import reporter.diff.record
    import reporter.diff.sides
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", 0)
    for side, period in (("old", "2026Q3"), ("new", "2026Q4")):
        result = run("run", side, "--archive", "A", "--period", period)
        assert result.exit_code in (0, 1), result.output
    pack = json.loads(Path(json.loads(result.stdout)["pack"], "pack.json").read_text())
    assert pack["connections"] is None
    changes = pack["changes_since"]
    assert changes["level"] == "workload" and changes["notes"] == []
    listed = [*exact["internet_exposure"], *(c for g in exact["groups"] for c in g["changes"])]
    assert changes["connections"] == {
        kind: sum(c["change"] == kind for c in listed)
        for kind in sorted({c["change"] for c in listed})}
    assert run("verify", "A").exit_code == 0


def test_a_json_manifest_is_read_as_manifests_not_as_a_pack(tmp_path: Path) -> None:
    dump = {"apiVersion": "v1", "kind": "List", "items": []}
    Path("empty.json").write_text(json.dumps(dump), encoding="utf-8")
    write_estate(tmp_path / "one", {"db.yaml": db_policy()})
    delta = as_json(run("drift", "empty.json", "one", "-o", "json"))
    assert delta["old"]["kind"] == "manifests" and delta["new"]["kind"] == "snapshot"
    assert [(p["key"], p["change"]) for p in delta["policies"]] == [("shop/db", "removed")]


def test_a_pack_json_of_another_schema_is_bad_input() -> None:
    Path("pack.json").write_text('{"schema_version": "1.0", "frameworks": 3}', encoding="utf-8")
    result = run("diff", "pack.json", "pack.json")
    assert result.exit_code == 2
    assert "pack.json: not a pack.json of this schema" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["diff", "old"], "expected OLD and NEW, got 1 argument(s)"),
    (["diff", "old", "new", "extra"], "expected OLD and NEW, got 3 argument(s)"),
    (["diff", "old", "missing"], "missing: no such file or directory"),
    (["drift", "old"], "expected LIVE and DESIRED, got 1 argument(s)"),
    (["diff", "--git-range", "v1", "old"], "--git-range 'v1' is not of the form OLD..NEW"),
    (["diff", "--git-range", "v1...v2", "old"], "is not of the form OLD..NEW"),
])
def test_bad_input_exits_2_with_what_to_do(estates: tuple[str, str], args: list[str],
                                            message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_drift_without_a_policy_on_either_side_says_what_was_compared(tmp_path: Path
                                                                       ) -> None:
    """With workloads on both sides, their connections were compared (all open on both);
    with none, nothing was."""
    write_estate(tmp_path / "desired", {})
    write_estate(tmp_path / "live", {})
    for folder in ("desired-policies", "live-policies"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "empty.json").write_text(
            '{"apiVersion": "v1", "kind": "List", "items": []}', encoding="utf-8")
    for sides, expected in (
            (("live", "desired"), "No drift: neither side has a NetworkPolicy, and the "
                                  "connections between the 3 workloads on both sides are the "
                                  "same."),
            (("live-policies", "desired-policies"), "No drift found, but nothing was compared: "
                                                    "neither side has a NetworkPolicy.")):
        for fmt, title in (("txt", "reporter drift"), ("md", "# reporter drift")):
            result = run("drift", *sides, "-o", fmt)
            assert result.exit_code == 0, result.output
            lines = [line for line in result.stdout.splitlines() if line]
            assert lines[0].startswith(title)
            assert lines[1] == expected
        assert as_json(run("drift", *sides, "-o", "json"))["compared"] == 0


def test_drift_of_a_snapshot_against_the_source_of_truth(tmp_path: Path) -> None:
    write_estate(tmp_path / "desired", {"deny.yaml": DENY_ALL, "db.yaml": db_policy(5432)})
    write_estate(tmp_path / "live", {"deny.yaml": DENY_ALL, "db.yaml": db_policy(5432)})
    assert run("drift", "--cluster", "live", "desired", "-o", "txt").stdout.splitlines() == [
        "reporter drift: desired state desired (manifests) -> live state live (snapshot)",
        "No drift: 2 NetworkPolicies compared, each the same on both sides, and so are the "
        "connections between the 3 workloads on both sides.",
        "Policy drift: none",
        "Reachability drift (between workloads on both sides): none"]
    (tmp_path / "live" / "db.yaml").write_text(db_policy(5433), encoding="utf-8")
    result = run("drift", "live", "desired", "-o", "md")
    assert result.exit_code == 1
    assert "| differ | `shop/db` | desired/db.yaml:1 → live/db.yaml:1 |" in result.stdout


def test_labels_drifting_under_the_same_policies_is_drift(tmp_path: Path) -> None:
    """The live database's pods lost the label the policy selects: the policy text is the same
    on both sides, but nothing isolates the database any more."""
    policies = {"db.yaml": db_policy(5432), "api.yaml": api_egress(5432)}
    write_estate(tmp_path / "desired", policies)
    live = write_estate(tmp_path / "live", policies)
    workloads = live / "workloads.yaml"
    workloads.write_text(workloads.read_text(encoding="utf-8").replace(
        "{app: db}", "{app: db-2}"), encoding="utf-8")
    result = run("drift", "live", "desired", "-o", "txt")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "No drift" not in result.stdout
    assert lines[1] == "Policy drift: none"
    assert lines[2:] == [
        "Reachability drift (between workloads on both sides): 2 only in the live state, 1 only "
        "in the desired state",
        "  New exposure to the internet",
        "    + 0.0.0.0-255.255.255.255[External] => shop/db[StatefulSet] : All Connections",
        "  cluster -> cluster",
        "    - shop/api[Deployment] => shop/db[StatefulSet] : TCP 5432",
        "    + shop/web[Deployment] => shop/db[StatefulSet] : All Connections"]
    found = as_json(run("drift", "live", "desired", "-o", "json"))
    assert found["workloads_compared"] == 3
    assert found["reachability"]["groups"]
    markdown = run("drift", "live", "desired", "-o", "md").stdout
    assert "## Reachability drift (between workloads on both sides): " in markdown
    assert "2 only in the live state, 1 only in the desired state" in markdown


def test_drift_compares_connections_only_between_workloads_on_both_sides(tmp_path: Path
                                                                         ) -> None:
    """A workload running live that the source of truth does not describe is expected (the
    repository rarely holds every workload): its connections are not drift, and the note says
    they were not compared. A source of truth of policies alone compares no connection."""
    write_estate(tmp_path / "desired", {"deny.yaml": DENY_ALL})
    live = write_estate(tmp_path / "live", {"deny.yaml": DENY_ALL})
    (live / "more.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\n"
        "spec: {containers: [{name: c, image: i}]}\n", encoding="utf-8")
    text = no_drift("live", "desired")
    assert text.splitlines()[1] == (
        "No drift: 1 NetworkPolicy compared, each the same on both sides, and so are the "
        "connections between the 3 workloads on both sides.")
    assert "- 1 workload on one side only: its connections are not compared" in text

    policies_only = tmp_path / "policies"
    policies_only.mkdir()
    (policies_only / "deny.yaml").write_text(DENY_ALL, encoding="utf-8")
    text = no_drift("live", "policies")
    assert text.splitlines()[1] == (
        "No drift in policy text: 1 NetworkPolicy compared, each the same on both sides; their "
        "effect is not compared: no workload is on both sides.")
    assert "- 4 workloads on one side only: their connections are not compared" in text


def test_drift_against_a_pack_folder_compares_its_map(tmp_path: Path) -> None:
    """The live cluster against the evidence pack of the last review: the pack folder's
    connectivity.json.gz is the map the auditor saw; a pack.json alone has no map."""
    policies = {"db.yaml": db_policy(5432), "api.yaml": api_egress(5432)}
    write_estate(tmp_path / "reviewed", policies)
    assert run("report", "reviewed", "--out", "pack").exit_code in (0, 1)
    live = write_estate(tmp_path / "live", policies)
    assert no_drift("live", "pack").splitlines()[1] == (
        "No drift: 2 NetworkPolicies compared, each the same on both sides, and so are the "
        "connections between the 3 workloads on both sides.")
    workloads = live / "workloads.yaml"
    workloads.write_text(workloads.read_text(encoding="utf-8").replace(
        "{app: db}", "{app: db-2}"), encoding="utf-8")
    result = run("drift", "live", "pack", "-o", "txt")
    assert result.exit_code == 1, result.output
    assert "    - shop/api[Deployment] => shop/db[StatefulSet] : TCP 5432" in result.stdout

    # Its pack.json, named in its verified folder, stands for the pack and its map.
    assert run("drift", "live", "pack/pack.json", "-o", "txt").stdout == result.stdout.replace(
        "pack (pack)", "pack/pack.json (pack)")

    Path("pack.json").write_bytes(Path("pack/pack.json").read_bytes())  # with nothing beside
    text = no_drift("reviewed", "pack.json")
    assert text.splitlines()[1] == (
        "No drift: 2 NetworkPolicies compared, each the same on both sides (their effect is not "
        "compared: see the notes).")
    assert ("- reachability is not compared: a pack.json alone does not hold the map (name the "
            "pack folder: its connectivity.json.gz does)") in text



@pytest.mark.parametrize("command", ["diff", "drift"])
@pytest.mark.parametrize(("altered", "named"), [("connectivity.json.gz", "pack"),
                                                ("pack.json", "pack"),
                                                ("pack.json", "pack/pack.json")])
def test_an_altered_pack_is_refused_not_compared(tmp_path: Path, command: str, altered: str,
                                                 named: str) -> None:
    """A pack named as a side is verified first: evidence changed after it was written must
    not be compared as if it were the last review's."""
    policies = {"db.yaml": db_policy(5432)}
    write_estate(tmp_path / "reviewed", policies)
    assert run("report", "reviewed", "--out", "pack").exit_code in (0, 1)
    assert run(command, "reviewed", named).exit_code == 0
    file = Path("pack") / altered
    data = file.read_bytes()
    file.write_bytes(data.replace(b"5432", b"5433") if altered == "pack.json" else b"altered")
    assert file.read_bytes() != data
    result = run(command, "reviewed", named)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        f"error: {file}: content differs from its SHA256SUMS entry (the file was changed after "
        "the pack was written)")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["diff", "drift"])
def test_a_comparison_says_when_the_pack_matched_pods_by_ip_and_this_run_does_not(
        tmp_path: Path, command: str) -> None:
    write_estate(tmp_path / "reviewed", {"web.yaml": web_ingress("10.0.0.0/8")})
    assert run("report", "reviewed", "--out", "pack",
               "--ipblock-matches-pod-ips").exit_code in (0, 1)
    sides = ("reviewed", "pack") if command == "drift" else ("pack", "reviewed")
    note = "one map was made with --ipblock-matches-pod-ips and the other without"
    assert note in run(command, *sides).stdout
    same = run(command, *sides, "--ipblock-matches-pod-ips")
    assert same.exit_code == 0, same.output
    assert note not in same.stdout


@pytest.mark.parametrize("command", ["diff", "drift"])
def test_exclude_and_strict_choose_what_both_sides_read(tmp_path: Path, command: str) -> None:
    """A repository's chart and a scratch copy of a policy are left out with --exclude; --strict
    makes the unrendered template an error, as for every other command that reads manifests."""
    for side in ("old", "new"):
        write_estate(tmp_path / side, {"deny.yaml": DENY_ALL, "db.yaml": db_policy(5432)})
        chart = tmp_path / side / "chart"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 1.0.0\n")
        (chart / "templates" / "np.yaml").write_text("kind: NetworkPolicy\n{{ .Values.x }}\n")
    write_estate(tmp_path / "new" / "scratch", {"db.yaml": db_policy(5433)})
    assert run(command, "old", "new", "--exclude", "scratch").exit_code == 0
    changed = run(command, "old", "new")
    assert changed.exit_code == 2 and "duplicate object" in changed.stderr  # scratch/db.yaml
    strict = run(command, "old", "new", "--exclude", "scratch", "--strict")
    assert strict.exit_code == 2
    assert "old/chart/templates/np.yaml" in strict.stderr
    assert "unrendered Helm chart template" in strict.stderr


@pytest.mark.parametrize("command", ["diff", "drift"])
def test_a_side_with_no_manifests_is_bad_input_not_an_empty_cluster(
        estates: tuple[str, str], command: str) -> None:
    Path("notes.txt").write_text("meeting notes\n", encoding="utf-8")
    result = run(command, "notes.txt", "new")
    assert result.exit_code == 2, result.output
    assert "notes.txt: no manifests to compare: 1 file or document read, none of them " \
           "Kubernetes manifests (not a Kubernetes object: a single value" in result.stderr
    assert "Traceback" not in result.output


def test_markdown_counts_what_it_leaves_out_of_a_long_list(tmp_path: Path) -> None:
    """Removing the default deny opens hundreds of connections: the Markdown lists 50 per group
    and counts the rest (GitHub refuses a comment over 65,536 characters); JSON has all."""
    from reporter.diff.markdown import SHOWN

    write_estate(tmp_path / "old", {"deny.yaml": DENY_ALL})
    new = write_estate(tmp_path / "new", {})
    (new / "more.yaml").write_text("".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: job-{n:02}, namespace: "
        f"shop}}\nspec:\n  selector: {{matchLabels: {{app: job-{n:02}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: job-{n:02}}}}}\n"
        "    spec: {containers: [{name: c, image: i}]}\n" for n in range(12)), encoding="utf-8")
    markdown = run("diff", "old", "new", "-o", "md").stdout
    groups = as_json(run("diff", "old", "new", "-o", "json"))["reachability"]["groups"]
    long = [g for g in groups if len(g["changes"]) > SHOWN]
    assert long, "the estate must open more than SHOWN connections in one group"
    for group in long:
        assert (f"- … and {len(group['changes']) - SHOWN} more connections (`-o json` lists "
                "every one)") in markdown
    assert markdown.count("\n- `") <= SHOWN * len(groups)


def _many_policies(ports: range) -> str:
    """80 policies of namespace shop, each admitting ``ports``: one line of diff per port."""
    rules = "".join(f"    - {{port: {p}}}\n" for p in ports)
    return "".join(
        f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata: {{name: allow-{n:02}, namespace: shop}}\n"
        f"spec:\n  podSelector: {{matchLabels: {{app: app-{n:02}}}}}\n  ingress:\n  - ports:\n"
        f"{rules}" for n in range(80))


def test_markdown_too_long_for_a_comment_is_shortened_until_it_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """80 policies each changed in ~90 lines: listed whole, the text would be ~4 times what
    GitHub accepts in a comment; it lists 10 policies with 50 lines of diff each, and, if that
    still does not fit, no diff at all, saying so. `-o txt` keeps everything."""
    from reporter.diff import render
    from reporter.diff.render import COMMENT_LIMIT

    write_estate(tmp_path / "old", {"many.yaml": _many_policies(range(1000, 1030))})
    write_estate(tmp_path / "new", {"many.yaml": _many_policies(range(2000, 2030))})
    text = run("diff", "old", "new", "-o", "md").stdout
    assert len(text) <= COMMENT_LIMIT
    assert "… and 70 more policies (`-o json` lists every one)" in text
    assert text.count("```diff") == 10
    cut = re.findall(r"^… and (\d+) more lines", text, re.MULTILINE)
    assert len(cut) == 10 and all(int(n) > 0 for n in cut), cut
    assert all(len(block.split("```")[0].strip().splitlines()) == 50
               for block in text.split("```diff")[1:])
    assert "allow-79" in run("diff", "old", "new", "-o", "txt").stdout
    monkeypatch.setattr(render, "COMMENT_LIMIT", 3_000)
    text = run("diff", "old", "new", "-o", "md").stdout
    assert "```diff" not in text
    assert ("The policies' diffs are left out: with them the text would be too long for a "
            "pull-request comment; `-o txt` and `-o json` have them.") in text


@pytest.mark.parametrize("command", ["diff", "drift"])
def test_a_side_with_unrendered_inputs_says_the_comparison_covers_what_was_read(
        tmp_path: Path, command: str) -> None:
    """The repository keeps a policy in a Helm chart: "no drift" (or the policy "only in the
    live state") says nothing about it, and the output says so."""
    policies = {"db.yaml": db_policy(5432)}
    write_estate(tmp_path / "live", {**policies, "api.yaml": api_egress(5432)})
    desired = write_estate(tmp_path / "desired", policies)
    (desired / "chart" / "templates").mkdir(parents=True)
    (desired / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    (desired / "chart" / "templates" / "api.yaml").write_text(
        "{{- if .Values.api }}\n" + api_egress(5432) + "{{- end }}\n")
    sides = ("live", "desired") if command == "drift" else ("desired", "live")
    result = run(command, *sides, "-o", "txt")
    assert result.exit_code == 1, result.output
    name = "the desired state" if command == "drift" else "desired"
    assert (f"  - {name}: not examined: 1 unrendered template (what it deploys is not in the "
            "map); the comparisons cover the manifests read only") in result.stdout
    assert as_json(run(command, *sides, "-o", "json"))["partial"] is True
    (desired / "api.yaml").write_text(api_egress(5432))  # the rendered policy, beside the chart
    result = run(command, *sides, "-o", "txt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].endswith(" Not everything was examined: see the notes.")
    assert as_json(run(command, "live", "live", "-o", "json"))["partial"] is False
