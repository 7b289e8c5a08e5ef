"""One repository whose history holds every kind of change a diff must tell apart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.git.conftest import ALICE, BOB, Repo, SshKey, allowed_signers, sign_with

from .estate import WORKLOADS, db_policy, web_ingress

DB_FILE = "estate/policies/db.yaml"


@dataclass(frozen=True)
class History:
    repo: Repo
    signers: Path
    added: str
    """v1: workloads, shop/db (TCP 5432) in estate/db.yaml, shop/web-ingress."""
    reformatted: str
    """shop/db with other key order, flow style and a comment: the same spec."""
    renamed: str
    """v2: estate/db.yaml moved to estate/policies/db.yaml."""
    port_changed: str
    """On a branch, SSH-signed by Alice: shop/db allows TCP 5433 instead."""
    merged: str
    """v3: the branch merged (taking the branch's file unchanged)."""
    web_removed: str
    """v4: shop/web-ingress deleted."""


def build_history(repo: Repo, key: SshKey, signers_file: Path) -> History:
    repo.write("estate/workloads.yaml", WORKLOADS)
    repo.write("estate/db.yaml", db_policy(5432))
    repo.write("estate/web.yaml", web_ingress())
    added = repo.commit("add the shop estate", date="2024-01-10T09:00:00+01:00")
    repo.git("tag", "v1")
    repo.write("estate/db.yaml", db_policy(5432, reordered=True, comment="# owned by team db\n"))
    reformatted = repo.commit("db: house style", author=BOB, date="2024-01-20T09:00:00+01:00")
    repo.move("estate/db.yaml", DB_FILE)
    renamed = repo.commit("move policies into their folder", date="2024-02-01T09:00:00+01:00")
    repo.git("tag", "v2")
    repo.git("switch", "--quiet", "-c", "db-port")
    sign_with(repo, key)
    repo.write(DB_FILE, db_policy(5433))
    port_changed = repo.commit("db: listen on 5433", date="2024-03-01T09:00:00+01:00", sign=True)
    repo.git("switch", "--quiet", "main")
    merged = repo.merge("db-port", date="2024-03-02T09:00:00+01:00")
    repo.git("tag", "v3")
    repo.git("rm", "--quiet", "estate/web.yaml")
    web_removed = repo.commit("web: no public ingress", author=BOB,
                              date="2024-04-01T09:00:00+02:00")
    repo.git("tag", "v4")
    return History(repo, allowed_signers(signers_file, (ALICE[1], key)), added, reformatted,
                   renamed, port_changed, merged, web_removed)
