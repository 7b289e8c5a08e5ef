"""``reporter snapshot``: a frozen, sanitised copy of a live cluster that every command can read.

Exit codes: 0 when the snapshot is written, 2 when the cluster cannot be read, the objects do not
validate, or the file cannot be written (``cli`` prints why).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from reporter.commands import ExitCode
from reporter.commands.options import context_option, kubeconfig_option, timeout_option
from reporter.errors import OutputError, Problem

if TYPE_CHECKING:
    from reporter.inventory.cluster import ClusterState

try:
    from yaml import CSafeDumper as _SafeDumper
except ImportError:  # PyYAML built without libyaml: same text, slower
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]

DEFAULT_PARENT = Path("out")


def snapshot_text(state: ClusterState, now: datetime, tool_version: str) -> str:
    """One YAML ``List`` of every object read, after a comment saying where and when."""
    versions = " ".join(f"{listed.resource.qualified}={listed.resource_version}"
                        for listed in state.lists)
    header = [
        f"Snapshot of a live cluster, written by `reporter snapshot` {tool_version}.",
        f"context: {json.dumps(state.context)}",  # quoted: names cannot break out of the comment
        f"server: {json.dumps(state.server)}",
        f"read at: {now:%Y-%m-%dT%H:%M:%SZ}",
        f"resourceVersions: {versions}",
        "Secrets and ConfigMaps were not read. Each object keeps only its identity (name,",
        "namespace, uid, owners, labels, container names and images) and what the analysis",
        "reads (ports, hostNetwork, pod IPs and phase, NetworkPolicy specs); env, commands,",
        "annotations and managedFields were left out.",
    ]
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {},
        "items": [item for listed in state.lists for item in listed.items],
    }
    body = yaml.dump(document, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False)
    return "".join(f"# {line}\n" for line in header) + body


def default_path(context: str, now: datetime, parent: Path = DEFAULT_PARENT) -> Path:
    """``out/snapshot-<context>-<UTC time>.yaml``."""
    slug = re.sub(r"[^a-z0-9]+", "-", context.lower()).strip("-") or "cluster"
    return parent / f"snapshot-{slug}-{now:%Y%m%dT%H%M%SZ}.yaml"


def write_new_file(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place, so readers
    see the whole snapshot or none. An existing file is never replaced."""
    _refuse_existing(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                                 dir=path.parent)
    except OSError as error:
        raise _write_error(path, error) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the snapshot holds no secrets
        _refuse_existing(path)  # made meanwhile?
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _write_error(path, error) from None
        raise


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise OutputError([Problem("already exists; a snapshot is never overwritten",
                                 file=str(path))],
                        hint="choose another --out file, or move the existing one away")


def _write_error(path: Path, error: OSError) -> OutputError:
    return OutputError([Problem(f"cannot write the snapshot: {error.strerror or error}",
                              file=str(path))],
                     hint="check the folder's permissions and free space")


@click.command("snapshot")
@click.option("--out", metavar="FILE",
              help="The YAML file to create; it must not exist. "
                   "Default: out/snapshot-<context>-<UTC time>.yaml.")
@kubeconfig_option
@context_option
@timeout_option
def snapshot_command(kubeconfig: str | None, context: str | None, out: str | None,
                     timeout: float) -> ExitCode:
    """Read the live cluster and write one YAML List that every command takes as a PATH.

    Only list calls on Namespaces, Pods, workload controllers and NetworkPolicies are made;
    Secrets and ConfigMaps are never read, and env, annotations and managedFields are not kept.
    The file is written under a temporary name and renamed into place; with SOURCE_DATE_EPOCH
    set, the same cluster state gives the same bytes.
    """
    from reporter.inventory.cluster import read_cluster
    from reporter.inventory.kubeconfig import ClusterAccess
    from reporter.inventory.manifests import load_inventory
    from reporter.pipeline import clock, tool_version

    if out is not None:
        _refuse_existing(Path(out))
    state = read_cluster(ClusterAccess(kubeconfig=kubeconfig, context=context),
                         timeout=timeout)
    load_inventory(state.sources())  # never freeze what the other commands would reject
    now = clock()
    destination = Path(out) if out else default_path(state.context, now)
    write_new_file(destination, snapshot_text(state, now, tool_version()))
    counts = ", ".join(f"{len(listed.items)} {listed.resource.qualified}"
                       for listed in state.lists)
    click.echo(f"context {state.context} ({state.server}): {counts}")
    click.echo(f"wrote {destination}")
    return ExitCode.OK
