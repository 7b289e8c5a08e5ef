"""`reporter gate` on a real Git history: a commit that opens the database to another namespace
fails it; one that only tightens a policy passes it, although old findings remain."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from reporter.cli import cli
from reporter.diff.render import COMMENT_LIMIT
from reporter.gate.render import SHOWN
from tests.git.conftest import Repo

WORKLOADS = """\
apiVersion: v1
kind: Namespace
metadata: {name: db, labels: {kubernetes.io/metadata.name: db, data-classification: phi}}
---
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {kubernetes.io/metadata.name: app}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {kubernetes.io/metadata.name: other}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: db}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres, tier: db}}
    spec: {containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: app}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: other}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: client}]}
"""

CONFIG = """\
apiVersion: compliance-reporter/v1
kind: ReporterConfig
zones:
- {name: records, kind: phi, names: [db]}
flows:
- name: api-to-db
  from: {namespace: app, pods: app=api}
  to: {zone: records}
  ports: [TCP 5432]
  justification: The API stores records.
"""


def db_policy(ports: tuple[int, ...], other: bool = False) -> str:
    peer = ("    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}\n"
            if other else "")
    port_lines = "".join(f"    - {{protocol: TCP, port: {p}}}\n" for p in ports)
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: db}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: postgres-ingress, namespace: db}}
spec:
  podSelector: {{matchLabels: {{app: postgres}}}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: app}}}}
      podSelector: {{matchLabels: {{app: api}}}}
{peer}    ports:
{port_lines}"""


RULE_LINE = 15
"""The line of postgres-ingress ingress[0] (``- from:``) in policies/db.yaml."""


@pytest.fixture
def history(make_repo: Callable[..., Repo]) -> tuple[Repo, dict[str, str]]:
    repo = make_repo()
    repo.write("estate/workloads.yaml", WORKLOADS)
    repo.write("estate/policies/db.yaml", db_policy((5432,)))
    repo.write("reporter.yaml", CONFIG)
    base = repo.commit("the estate")
    repo.write("estate/policies/db.yaml", db_policy((5432, 5433), other=True))
    opened = repo.commit("db: let the other team's client in")
    repo.write("estate/policies/db.yaml", db_policy((5432,), other=True))
    tightened = repo.commit("db: only 5432")
    assert repo.git("show", f"{base}:estate/policies/db.yaml").splitlines()[RULE_LINE - 1] == (
        "  - from:")
    return repo, {"base": base, "opened": opened, "tightened": tightened}


def gate(repo: Repo, range_text: str, *options: str, config: bool = True) -> tuple[int, str]:
    """The gate as CI runs it: in the work tree, on a path of the repository."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(repo.path)
        result = CliRunner().invoke(cli, ["gate", "--git-range", range_text, "estate",
                                          *(["--config", "reporter.yaml"] if config else []),
                                          *options])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def test_opening_the_database_to_another_namespace_fails(
        history: tuple[Repo, dict[str, str]]) -> None:
    repo, commits = history
    code, out = gate(repo, f"{commits['base']}..{commits['opened']}", "-o", "md")
    assert code == 1
    assert out.startswith("### reporter gate: FAIL")
    worse = out.split("**What got worse**")[1].split("**What got better**")[0]
    assert ("new connection other/client[Deployment] -> db/postgres[StatefulSet] "
            "(TCP 5432-5433) zone records, not declared") in worse
    row = next(line for line in out.splitlines()
               if line.startswith("| `other/client[Deployment]` | `db/postgres[StatefulSet]`"))
    assert "**worse**" in row
    assert f"db/postgres-ingress ingress[0] (estate/policies/db.yaml:{RULE_LINE})" in row


def test_json_names_the_reasons(history: tuple[Repo, dict[str, str]]) -> None:
    repo, commits = history
    code, out = gate(repo, f"{commits['base']}..{commits['opened']}", "-o", "json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "fail"
    # the client already reached the database through the API (3 hops): no new entry, no
    # shorter minimum, so the attack paths are no worse; the direct connection is, and so is
    # the new high finding (undeclared connections into the PHI zone: 5433, the client)
    assert {r["kind"] for r in data["worse"]} == {"connection", "finding"}
    assert any(r["text"].startswith(
        "high: zone.ingress-declared zone records: policy db/postgres-ingress ingress[0]: "
        "db/postgres[StatefulSet] accepts") for r in data["worse"])
    assert [(c["src"], c["undeclared"]) for c in data["new_connections"] if c["worse"]] == [
        ("app/api[Deployment]", "TCP 5433"), ("other/client[Deployment]", "TCP 5432-5433")]


def test_a_range_that_only_tightens_passes(history: tuple[Repo, dict[str, str]]) -> None:
    repo, commits = history
    code, out = gate(repo, f"{commits['opened']}..{commits['tightened']}", "-o", "md")
    assert code == 0, out
    assert out.startswith("### reporter gate: PASS")
    better = out.split("**What got better**")[1].split("<details>")[0]
    assert ("- connection: app/api[Deployment] -> db/postgres[StatefulSet]: TCP 5433 no longer "
            "allowed") in better
    assert "**New connections**" not in out


def test_no_change_passes(history: tuple[Repo, dict[str, str]]) -> None:
    repo, commits = history
    code, out = gate(repo, f"{commits['tightened']}..{commits['tightened']}")
    assert code == 0
    assert out.startswith("PASS:")


def test_a_bad_range_is_a_user_error(history: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = history
    result = CliRunner().invoke(cli, ["gate", "--git-range", "nope", str(repo.path)])
    assert result.exit_code == 2
    assert "OLD..NEW" in result.stderr


def test_the_config_at_the_repository_root_is_found_and_named(
        history: tuple[Repo, dict[str, str]]) -> None:
    repo, commits = history
    code, out = gate(repo, f"{commits['base']}..{commits['opened']}", "-o", "md", config=False)
    assert code == 1
    assert ("Config: `reporter.yaml (found at the root of the inputs' Git repository)`"
            in out)
    given = gate(repo, f"{commits['base']}..{commits['opened']}", "-o", "md")[1]
    assert "Config: `reporter.yaml (given with --config)`" in given
    assert out.split("Config:")[0] == given.split("Config:")[0]


REPLICA = """\
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres-replica, namespace: db}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres, role: replica}}
    spec: {containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]}
"""


def test_a_failing_cause_that_reaches_one_more_workload_fails(
        history: tuple[Repo, dict[str, str]]) -> None:
    """The finding was there before (one per cause), but the replica is newly exposed by it."""
    repo, commits = history
    repo.git("checkout", "-q", commits["opened"])
    repo.write("estate/workloads.yaml", WORKLOADS + REPLICA)
    replica = repo.commit("db: a replica")
    code, out = gate(repo, f"{commits['opened']}..{replica}", "-o", "json")
    data = json.loads(out)
    assert code == 1
    widened = [r["text"] for r in data["worse"] if r["kind"] == "finding"]
    assert any(t.startswith("high: zone.ingress-declared zone records: policy "
                            "db/postgres-ingress ingress[0]: 2 workloads") and
               t.endswith("; now also affects db/postgres-replica[StatefulSet]")
               for t in widened), widened


def test_a_pull_request_opening_hundreds_of_connections_still_fits_one_comment(
        history: tuple[Repo, dict[str, str]]) -> None:
    """GitHub refuses a comment over 65,536 characters: the reviewer would see nothing."""
    repo, commits = history
    repo.write("estate/batch.yaml", "".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: job-{n:02}, namespace: "
        f"other}}\nspec:\n  selector: {{matchLabels: {{app: job-{n:02}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: job-{n:02}, tier: db}}}}\n"
        "    spec: {containers: [{name: c, image: i}]}\n" for n in range(40)))
    head = repo.commit("a batch of jobs, no policy")
    code, comment = gate(repo, f"{commits['tightened']}..{head}", "-o", "md")
    assert code == 1 and len(comment) <= COMMENT_LIMIT
    rows = [line for line in comment.splitlines() if line.startswith("| `")]
    listed = re.search(r"… and ([\d,]+) more new connections \(`-o json` lists every one\)",
                       comment)
    assert listed is not None and len(rows) == SHOWN
    data = json.loads(gate(repo, f"{commits['tightened']}..{head}", "-o", "json")[1])
    assert len(data["new_connections"]) == SHOWN + int(listed.group(1).replace(",", ""))
    # What fails the gate is listed first.
    worse = sum(c["worse"] for c in data["new_connections"])
    assert worse > 0 and all("**worse**" in row for row in rows[:min(worse, SHOWN)])
    terminal = gate(repo, f"{commits['tightened']}..{head}")[1]
    assert f"  … and {listed.group(1)} more new connections" in terminal


INTERNET_TO_DB = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: postgres-public, namespace: db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{protocol: TCP, port: 5432}]}]
"""


def test_a_shorter_path_from_the_internet_to_a_data_store_fails(
        history: tuple[Repo, dict[str, str]]) -> None:
    """Before, the internet reached the database through the API (2 hops); now directly."""
    repo, commits = history
    repo.git("checkout", "-q", commits["tightened"])
    repo.write("estate/policies/public.yaml", INTERNET_TO_DB)
    public = repo.commit("db: open to the internet")
    code, out = gate(repo, f"{commits['tightened']}..{public}", "-o", "json")
    data = json.loads(out)
    assert code == 1
    assert [r["text"] for r in data["worse"] if r["kind"] == "path"] == [
        "new path to db/postgres[StatefulSet]: 1 hop (before: 2), e.g. internet -> "
        "db/postgres[StatefulSet]"]
    assert [r["text"] for r in data["worse"] if r["kind"] == "connection"] == [
        "new connection 0.0.0.0-255.255.255.255[External] -> db/postgres[StatefulSet] "
        "(TCP 5432) from the internet, zone records, not declared"]
    assert not any("were not judged" in note for note in data["notes"])


def test_without_a_workload_by_workload_map_new_connections_are_not_judged(
        history: tuple[Repo, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Too many changes to list pair by pair: the comparison is between zones, so the gate
    judges requirements and paths only, and says so."""
    import reporter.diff.compute
    monkeypatch.setattr(reporter.diff.compute, "LISTED_PAIRS_LIMIT", 0)
    import reporter.diff.record
    import reporter.diff.sides
    monkeypatch.setattr(reporter.diff.record, "PACK_CONNECTIONS_LIMIT", 0)
    monkeypatch.setattr(reporter.diff.sides, "EXACT_DIFF_LIMIT", 0)
    repo, commits = history
    code, out = gate(repo, f"{commits['base']}..{commits['opened']}", "-o", "json")
    data = json.loads(out)
    assert data["new_connections"] == []
    assert {r["kind"] for r in data["worse"]} == {"finding"}
    assert ("new connections were not judged: the exact map is missing or too large; "
            "requirements and paths were") in data["notes"]
