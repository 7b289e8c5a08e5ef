"""Who or what ran the report, for the pack's cover: a CI job, a pod's service account, or a
user on a host.

Only identifiers are read, from an allow-list of variables (CI job and actor, the service
account's name given by the downward API, the pod name); never a token, never any other
environment value. The service account's namespace comes from the mounted ``namespace`` file,
never from its token.
"""

from __future__ import annotations

import getpass
import re
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
SERVICE_ACCOUNT_ENV = "REPORTER_SERVICE_ACCOUNT"
"""The pod's ``spec.serviceAccountName`` (downward API, deploy/cronjob.yaml)."""
_MAX = 120
_UNSAFE = re.compile(r"[^\w .:/@+=,#()-]")


@dataclass(frozen=True, slots=True)
class Runner:
    kind: str
    """``github-actions``, ``gitlab-ci``, ``ci``, ``in-cluster`` or ``local``."""
    who: str | None
    """The user, CI actor or service account; None when unknown."""
    where: str | None
    """The host, pod or CI job; None when unknown."""

    def describe(self) -> str:
        parts = [p for p in (self.who, self.where) if p]
        return ", ".join(parts) if parts else "not known"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "description": self.describe()}


def _clean(value: str | None) -> str | None:
    """An identifier as shown: printable, short; None when empty."""
    if not value:
        return None
    text = _UNSAFE.sub("?", value.strip())[:_MAX]
    return text or None


def _joined(*parts: str | None) -> str | None:
    present = [p for p in parts if p]
    return " ".join(present) if present else None


def _ci(env: Mapping[str, str]) -> Runner | None:
    get = env.get
    if get("GITHUB_ACTIONS") == "true":
        run = _clean(get("GITHUB_RUN_ID"))
        attempt = _clean(get("GITHUB_RUN_ATTEMPT"))
        where = _joined("GitHub Actions", _clean(get("GITHUB_REPOSITORY")),
                        f"workflow {_clean(get('GITHUB_WORKFLOW'))}" if get("GITHUB_WORKFLOW")
                        else None,
                        f"run {run}" + (f" attempt {attempt}" if attempt else "") if run else None)
        return Runner("github-actions", _clean(get("GITHUB_ACTOR")), where)
    if get("GITLAB_CI") == "true":
        job = _clean(get("CI_JOB_ID"))
        where = _joined("GitLab CI", _clean(get("CI_PROJECT_PATH")),
                        f"job {job}" if job else None)
        return Runner("gitlab-ci", _clean(get("GITLAB_USER_LOGIN")), where)
    if get("CI_JOB_ID"):
        return Runner("ci", None, f"CI job {_clean(get('CI_JOB_ID'))}")
    return None


def _in_cluster(env: Mapping[str, str], account_dir: Path) -> Runner | None:
    namespace_file = account_dir / "namespace"
    if not env.get("KUBERNETES_SERVICE_HOST") or not namespace_file.is_file():
        return None
    try:
        namespace = _clean(namespace_file.read_text(encoding="utf-8"))
    except OSError:
        namespace = None
    name = _clean(env.get(SERVICE_ACCOUNT_ENV))
    who = (f"service account {namespace or '?'}/{name}" if name
           else f"a service account of namespace {namespace or '?'} (name not exposed)")
    pod = _clean(env.get("HOSTNAME"))
    return Runner("in-cluster", who, f"pod {pod}" if pod else None)


def _user() -> str | None:
    try:
        return _clean(getpass.getuser())
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return None


def collect_runner(env: Mapping[str, str], *, account_dir: Path = SERVICE_ACCOUNT_DIR,
                   user: str | None = None, host: str | None = None) -> Runner:
    """Who ran this process, from ``env`` (the process environment) and the pod's mounted
    service account; ``user`` and ``host`` default to this process's."""
    found = _ci(env) or _in_cluster(env, account_dir)
    if found is not None:
        return found
    host = _clean(host if host is not None else socket.gethostname())
    return Runner("local", user if user is not None else _user(),
                  f"host {host}" if host else None)
