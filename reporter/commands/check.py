"""``reporter check``: judge the manifests against the control catalog.

Exit codes: 0 no automated requirement fails, 1 one does, 2 bad input (``cli`` prints why).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import click
from rich.console import Console

from reporter.errors import InputError
from reporter.inventory.model import Inventory
from reporter.model import Assessment, Location, SkippedItem, Status

FORMATS = {
    "text": None,
    "json": ("reporter.render.json", "render_json"),
    "sarif": ("reporter.render.sarif", "render_sarif"),
    "junit": ("reporter.render.junit", "render_junit"),
    "oscal": ("reporter.render.oscal", "render_oscal"),
}


def clock(environ: dict[str, str] | None = None) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds): the same inputs, the same JSON."""
    value = (environ if environ is not None else dict(os.environ)).get("SOURCE_DATE_EPOCH")
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    if not value.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds",
                         hint="set it to a Unix timestamp, e.g. $(git log -1 --format=%ct)")
    return datetime.fromtimestamp(int(value), UTC)


def tool_version() -> str:
    try:
        return importlib.metadata.version("compliance-reporter")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "0+unknown"


def _same_file(a: str, b: str) -> bool:
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def _inventory(paths: Sequence[str], config_path: str | None
               ) -> tuple[Inventory, list[SkippedItem]]:
    """The inventory, leaving out the config file when it sits among the manifests."""
    from reporter.inventory.manifests import load_inventory
    from reporter.inventory.sources import collect_sources

    sources = collect_sources(paths, sys.stdin)
    kept = [s for s in sources if config_path is None or not _same_file(s.path, config_path)]
    skipped = [
        SkippedItem(kind="File", name=s.path, reason="the reporter configuration (--config), "
                    "not a manifest", location=Location(file=s.path))
        for s in sources if s not in kept
    ]
    return load_inventory(kept), skipped


def _command(paths: Sequence[str], config_path: str | None, frameworks: Sequence[str],
             fmt: str, verbose: bool, ipblock_pod_ips: bool) -> list[str]:
    """The command line as run (reconstructed, so the JSON never depends on how it was called)."""
    argv = ["reporter", "check", *paths]
    argv += ["--config", config_path] if config_path else []
    argv += [a for f in frameworks for a in ("--framework", f)]
    argv += ["-o", fmt] if fmt != "text" else []
    argv += ["--verbose"] if verbose else []
    argv += ["--ipblock-matches-pod-ips"] if ipblock_pod_ips else []
    return argv


def _render(assessment: Assessment, fmt: str, verbose: bool) -> None:
    target = FORMATS[fmt]
    if target is None:
        from reporter.render.terminal import render_terminal

        render_terminal(assessment, Console(highlight=False), verbose=verbose)
        return
    module, function = target
    click.echo(getattr(importlib.import_module(module), function)(assessment), nl=False)


def failed(assessment: Assessment) -> bool:
    """Whether an automated requirement fails (MANUAL ones never do)."""
    return any(r.status is Status.FAIL for f in assessment.frameworks for r in f.requirements)


@click.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="reporter.yaml: zones, declared flows, internet, exceptions (docs/config.md). "
                   "Without it the whole cluster is one zone and nothing is declared.")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Assess only this framework (repeatable), e.g. pci-dss-4.0.1. Default: the "
                   "config's 'frameworks', else every framework of the catalog.")
@click.option("-o", "--output", "fmt", type=click.Choice(list(FORMATS)), default="text",
              show_default=True, help="text for people; json is the canonical result.")
@click.option("-v", "--verbose", is_flag=True, help="Show every finding with its evidence.")
@click.option("--ipblock-matches-pod-ips", is_flag=True,
              help="Also match pods by their status.podIP(s) against ipBlocks (some CNIs do).")
def check_command(paths: tuple[str, ...], config_path: str | None, frameworks: tuple[str, ...],
                  fmt: str, verbose: bool, ipblock_matches_pod_ips: bool) -> None:
    """Judge NetworkPolicies against the control catalog: PASS, FAIL, MANUAL per requirement.

    PATHS: manifest files or directories (*.yaml, *.yml, *.json, recursively); '-' reads stdin.
    Exit code 0 when no automated requirement fails, 1 when one does, 2 for bad input.
    """
    from reporter.assess import assess
    from reporter.catalog import load_catalog
    from reporter.checks import REGISTRY
    from reporter.config import check_references, load_config
    from reporter.netpol.engine import analyse

    loaded = load_config(config_path)
    catalog = load_catalog(known_checks=REGISTRY)
    check_references(loaded, catalog.framework_ids, REGISTRY)
    inventory, skipped = _inventory(paths, config_path)
    reach = analyse(inventory, ipblock_matches_pod_ips=ipblock_matches_pod_ips)
    assessment = assess(
        reach, catalog, loaded, now=clock(), tool_version=tool_version(), frameworks=frameworks,
        command=_command(paths, config_path, frameworks, fmt, verbose, ipblock_matches_pod_ips),
        skipped=skipped)
    _render(assessment, fmt, verbose)
    sys.exit(1 if failed(assessment) else 0)
