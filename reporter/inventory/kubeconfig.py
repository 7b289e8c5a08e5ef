"""How the reporter reaches a live API server: a kubeconfig context, else the pod's service account.

The kubeconfig is checked here, with the safe YAML loader, before the ``kubernetes`` client reads
it: the client's own messages can quote whole kubeconfig entries, tokens included, so they are
never shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import InClusterConfigLoader

from reporter.errors import InputError, Problem
from reporter.inventory.yamlload import load_documents

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
IN_CLUSTER = "in-cluster"
"""The context name given to a service-account connection."""
_SECTIONS = ("contexts", "clusters", "users")
_KUBECONFIG_HINT = "check it with `kubectl --kubeconfig FILE config view` (which hides secrets)"


@dataclass(frozen=True, slots=True)
class ClusterAccess:
    """Where to find the API server and credentials; the environment is an input, like files."""

    kubeconfig: str | None = None
    """Kubeconfig file(s), ``:``-separated; default $KUBECONFIG, else ~/.kube/config."""
    context: str | None = None
    """Default: the kubeconfig's current-context."""
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    """Where a pod's token and ca.crt are mounted; used when no kubeconfig is found."""


@dataclass(frozen=True, slots=True)
class Connection:
    client: Any
    """A ``kubernetes.client.ApiClient``; the caller closes it."""
    context: str
    server: str
    """The API server's URL, any user:password part removed."""


def connect(access: ClusterAccess) -> Connection:
    """A client for the kubeconfig (explicit, $KUBECONFIG, ~/.kube/config, in that order),
    else for the pod's service account, as kubectl and client-go choose."""
    paths = _kubeconfig_paths(access)
    if paths:
        return _from_kubeconfig(paths, access.context)
    if access.environ.get("KUBERNETES_SERVICE_HOST"):
        if access.context:
            raise InputError(f"--context {access.context}: there is no kubeconfig to find it in",
                             hint="pass --kubeconfig FILE, or leave out --context to use the "
                             "pod's service account")
        return _in_cluster(access)
    raise InputError(
        "no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config), and not running in a "
        "Kubernetes pod",
        hint="pass --kubeconfig FILE (and --context NAME), or run inside the cluster with the "
        "service account of deploy/rbac.yaml",
    )


def _kubeconfig_paths(access: ClusterAccess) -> list[str]:
    if access.kubeconfig:
        named = [p for p in access.kubeconfig.split(os.pathsep) if p]
        missing = [p for p in named if not os.path.isfile(p)]
        if missing:
            raise InputError([Problem("no such kubeconfig file", file=p) for p in missing],
                             hint="name an existing kubeconfig with --kubeconfig")
        return named
    listed = access.environ.get("KUBECONFIG")
    if listed:  # files that do not exist are ignored, as kubectl ignores them
        return [p for p in listed.split(os.pathsep) if p and os.path.isfile(p)]
    home = access.environ.get("HOME")
    default = Path(home, ".kube", "config") if home else None
    return [str(default)] if default is not None and default.is_file() else []


def _from_kubeconfig(paths: Sequence[str], context: str | None) -> Connection:
    chosen, server = _checked_context(paths, context)
    configuration = k8s.Configuration()
    try:
        # persist_config=False: refreshed credentials are never written back to the user's file
        k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=os.pathsep.join(paths), context=chosen,
            client_configuration=configuration, persist_config=False)
    except (ConfigException, ValueError, OSError) as error:
        raise _credentials_error(paths, chosen, error) from None
    return Connection(_client(configuration), chosen, _without_password(server))


def _credentials_error(paths: Sequence[str], context: str, error: Exception) -> InputError:
    """What failed, in words that cannot quote the kubeconfig (the client's message can)."""
    missing_file = re.match(r"File does not exist: (.+)$", str(error))
    missing_key = re.match(r"Invalid kube-config file\. Expected key ([\w-]+) in ", str(error))
    if missing_file:
        what = f"a file it names does not exist: {missing_file.group(1)}"
    elif missing_key:
        what = f"a required key is missing: {missing_key.group(1)}"
    else:
        what = "the user's credentials (token, client certificate or exec plugin) failed to load"
    return InputError(
        [Problem(f"context {context!r} cannot be used: {what}", file=p) for p in paths[:1]],
        hint=f"check that `kubectl --context {context} get namespaces` works; {_KUBECONFIG_HINT}",
    )


def _checked_context(paths: Sequence[str], context: str | None) -> tuple[str, str]:
    """The context to use and its server URL, from the merged kubeconfig files."""
    merged: dict[str, dict[str, Any]] = {section: {} for section in _SECTIONS}
    current = None
    for path in paths:
        document = _read_kubeconfig(path)
        for section in _SECTIONS:
            for item in _entries(document, section, path):
                merged[section].setdefault(item["name"], item)
        current = current or document.get("current-context")  # the first file wins, as in kubectl
    name = context or current
    if not isinstance(name, str) or not name:
        raise InputError(f"{paths[0]}: no current-context is set",
                         hint=f"pass --context NAME; known: {_names(merged['contexts'])}")
    entry = merged["contexts"].get(name)
    if entry is None:
        raise InputError(f"{paths[0]}: there is no context {name!r}",
                         hint=f"pass --context with one of: {_names(merged['contexts'])}")
    details = entry.get("context")
    cluster_name = details.get("cluster") if isinstance(details, dict) else None
    cluster = merged["clusters"].get(cluster_name) if isinstance(cluster_name, str) else None
    details = cluster.get("cluster") if cluster is not None else None
    server = details.get("server") if isinstance(details, dict) else None
    if not isinstance(server, str) or not server:
        raise InputError(
            f"{paths[0]}: context {name!r} names cluster {cluster_name!r}, which is not "
            "defined or has no server URL",
            hint=f"add the cluster with its server; {_KUBECONFIG_HINT}",
        )
    return name, server


def _read_kubeconfig(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise InputError([Problem(f"cannot read the kubeconfig: {reason}", file=path)],
                         hint=_KUBECONFIG_HINT) from None
    documents = load_documents(text, path)  # errors are located, never quoted
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise InputError([Problem("not a kubeconfig: expected one YAML mapping", file=path)],
                         hint=_KUBECONFIG_HINT)
    return documents[0]


def _entries(document: dict[str, Any], section: str, path: str) -> list[dict[str, Any]]:
    entries = document.get(section) or []
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
    ):
        line = getattr(document, "line", None)
        raise InputError(
            [Problem(f"{section} must be a list of entries, each with a name", file=path,
                     line=line, field=section)],
            hint=_KUBECONFIG_HINT,
        )
    return entries


def _names(entries: Mapping[str, Any]) -> str:
    return ", ".join(sorted(entries)) or "(none)"


def _in_cluster(access: ClusterAccess) -> Connection:
    directory = Path(access.service_account_dir)
    configuration = k8s.Configuration()
    loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
        token_filename=str(directory / "token"), cert_filename=str(directory / "ca.crt"),
        environ=access.environ)
    try:
        loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
    except ConfigException as error:  # fixed texts, such as "Service token file does not exist."
        raise InputError(
            f"in-cluster configuration: {error}",
            hint="run the reporter in a pod that mounts its service account token "
            "(automountServiceAccountToken: true, as deploy/cronjob.yaml does), or pass "
            "--kubeconfig",
        ) from None
    return Connection(_client(configuration), IN_CLUSTER,
                      _without_password(configuration.host))


def _client(configuration: Any) -> Any:
    # No retries inside urllib3 (its default retries a read timeout 3 times): cluster.py
    # retries itself, within each resource's deadline.
    configuration.retries = False
    return k8s.ApiClient(configuration)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=netloc))
