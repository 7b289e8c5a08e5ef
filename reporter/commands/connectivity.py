"""``reporter connectivity`` (who can connect to whom) and ``reporter explain`` (why one flow is
allowed or denied): questions about the map itself, without the control catalog."""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import click

from reporter.commands import ExitCode
from reporter.commands.options import (
    git_ref_option,
    input_options,
    ipblock_option,
    paths_argument,
    verbose_inputs_option,
)
from reporter.errors import InputError
from reporter.inventory.classify import ALLOWS_OR_DENIES, RUNS_PODS
from reporter.wording import counted

if TYPE_CHECKING:
    from reporter.inventory.model import Inventory, Protocol
    from reporter.netpol.engine import Reachability
    from reporter.netpol.explain import Party


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _load(paths: Sequence[str], ipblock_pod_ips: bool, git_ref: str | None,
          exclude: tuple[str, ...], strict: bool, verbose: bool) -> Reachability:
    command = click.get_current_context().info_name or "connectivity"
    from reporter.inputs import ReadOptions, load_inputs
    from reporter.netpol.engine import analyse

    inventory = load_inputs(paths, git_ref=git_ref, stdin=sys.stdin, provenance=False,
                            reading=ReadOptions(exclude=exclude, strict=strict)).inventory
    warn_about_inventory(inventory, command, verbose)
    return analyse(inventory, ipblock_matches_pod_ips=ipblock_pod_ips)


HOST_NETWORK_NAMED = 3
"""Up to this many hostNetwork workloads get a warning each; more share one (each with -v)."""


def warn_about_inventory(inventory: Inventory, command: str, verbose: bool = False) -> None:
    """One line for everything skipped (each item with -v), one per kustomize overlay that
    changes objects read as written (a few, then a count), one for policy kinds that are
    present but not modelled, one per hostNetwork workload up to ``HOST_NETWORK_NAMED``."""
    from reporter.render.skipped import (
        RENDER_HINT,
        needs_rendering,
        overlay_lines,
        skip_summary,
    )

    skipped = inventory.all_skipped()
    pairs = [(s.kind, s.reason) for s in skipped]
    summary = skip_summary(pairs)
    if summary:
        _warn(summary + ("" if verbose else "; -v lists each with its reason"))
    if verbose:
        for item in skipped:
            where = item.name if item.kind == "File" else str(item.origin)
            what = "" if item.kind in ("File", "Document") else (
                f" {item.kind} {item.namespace + '/' if item.namespace else ''}{item.name}:")
            click.echo(f"  skipped {where}:{what} {item.reason}", err=True)
    if not verbose:
        for line in overlay_lines((s.kind, s.name, s.reason) for s in skipped):
            _warn(line)
    if needs_rendering(pairs):
        click.echo(f"hint: {RENDER_HINT.format(command=command)}", err=True)
    if inventory.not_modelled:
        _warn(not_modelled_line(inventory))
    host = inventory.host_network
    if verbose or len(host) <= HOST_NETWORK_NAMED:
        for workload in host:
            _warn(f"{workload.key} uses hostNetwork: NetworkPolicies do not apply to it; "
                  "it is not part of the map")
    else:
        _warn(f"{len(host)} workloads use hostNetwork ({', '.join(w.key for w in host[:3])}, "
              "…): NetworkPolicies do not apply to them; they are not part of the map; "
              "-v lists each")


_PLURAL_EFFECT = {ALLOWS_OR_DENIES: "allow or deny traffic",
                  RUNS_PODS: "run pods the map leaves out"}


def not_modelled_line(inventory: Inventory) -> str:
    policies = inventory.not_modelled
    namespaces = sorted({p.namespace or "every namespace" for p in policies})
    names = ", ".join(p.key for p in policies[:3]) + (", …" if len(policies) > 3 else "")
    effects = sorted({p.effect for p in policies})
    what = (f"it {effects[0]}" if len(policies) == 1
            else f"they {' or '.join(_PLURAL_EFFECT[e] for e in effects)}")
    return (f"{counted(len(policies), 'object')} the map does not model "
            f"{'is' if len(policies) == 1 else 'are'} present ({names}): {what}, so the map "
            f"may be wrong in {', '.join(namespaces)}")


def _warn_about_named_ports(reach: Reachability) -> None:
    from reporter.netpol.named import unresolved_named_ports

    for item in unresolved_named_ports(reach):
        _warn(f"{item.rule.origin}: {item.policy.key} {item.rule.direction}[{item.rule.index}]: "
              f"named port {item.spec.port!r}/{item.spec.protocol} is declared by no destination; "
              "it allows nothing")


@click.command("connectivity")
@paths_argument
@click.option("-o", "--output", "fmt", type=click.Choice(["txt", "json", "csv", "md", "dot"]),
              default="txt", show_default=True, help="Output format of the map.")
@click.option("--focus", metavar="NS/NAME", help="Only connections to or from this workload.")
@click.option("--zones", metavar="LABEL",
              help="Group workloads into zones by this namespace label (e.g. pci-scope).")
@click.option("--summary", is_flag=True, help="Compute the full map, print only counts.")
@ipblock_option
@git_ref_option
@input_options
@verbose_inputs_option
def connectivity_command(paths: tuple[str, ...], fmt: str, focus: str | None, zones: str | None,
                         summary: bool, ipblock_matches_pod_ips: bool,
                         git_ref: str | None, exclude: tuple[str, ...], strict: bool,
                         verbose: bool) -> ExitCode:
    """Print who can connect to whom: 'SRC => DST : CONN' (np-guard netpol-analyzer format)."""
    from reporter.render.connectivity import map_rows, render, zone_rows

    reach = _load(paths, ipblock_matches_pod_ips, git_ref, exclude, strict, verbose)
    _warn_about_named_ports(reach)
    if summary:
        from reporter.netpol.pairs import summarise

        click.echo(_format_summary(summarise(reach).as_dict(), fmt))
        return ExitCode.OK
    if focus is not None and not any(
        e.workload and e.workload.ref == focus for e in reach.endpoints
    ):
        raise InputError(f"--focus {focus}: no such workload",
                         hint="name it as NAMESPACE/NAME, e.g. production/backend")
    rows = zone_rows(reach, zones) if zones else map_rows(reach, focus)
    click.echo(render(rows, fmt), nl=False)
    return ExitCode.OK


def _format_summary(counts: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(counts, indent=2)
    lines = []
    for key, value in counts.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _parse_port(text: str) -> tuple[str | int, Protocol]:
    port, _, proto = text.partition("/")
    protocol = (proto or "TCP").upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise InputError(f"--port {text}: unknown protocol {proto!r}",
                         hint="use PORT or PORT/PROTO with PROTO one of TCP, UDP, SCTP")
    known = cast("Protocol", protocol)
    if port.isdigit() and 1 <= int(port) <= 65535:
        return int(port), known
    if port and not port.isdigit():
        return port, known
    raise InputError(f"--port {text}: not a port number 1-65535 or a port name",
                     hint="e.g. --port 5432, --port 53/UDP or --port http")


def _party(reach: Reachability, text: str, option: str) -> Party:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    matches = [e.workload for e in reach.endpoints
               if e.workload and (e.workload.ref == text or e.workload.key == text)]
    if len(matches) == 1:
        return matches[0]
    host = [w for w in reach.inventory.host_network if w.ref == text or w.key == text]
    if host:
        raise InputError(f"{option} {text}: {host[0].key} uses hostNetwork; "
                         "NetworkPolicies do not apply to it")
    if matches:
        raise InputError(f"{option} {text}: ambiguous: {', '.join(m.key for m in matches)}",
                         hint="name it with its kind, e.g. production/web[Deployment]")
    raise InputError(f"{option} {text}: no such workload and not an IP address",
                     hint="name a workload as NAMESPACE/NAME or give an IP address")


@click.command("explain")
@paths_argument
@click.option("--src", required=True, metavar="NS/NAME|IP", help="Source workload or address.")
@click.option("--dst", required=True, metavar="NS/NAME|IP", help="Destination workload or address.")
@click.option("--port", "port_text", required=True, metavar="PORT[/PROTO]",
              help="Port number or name (resolved on the destination); protocol defaults to TCP.")
@click.option("-o", "--output", "fmt", type=click.Choice(["txt", "json"]), default="txt",
              show_default=True)
@ipblock_option
@git_ref_option
@input_options
@verbose_inputs_option
def explain_command(paths: tuple[str, ...], src: str, dst: str, port_text: str, fmt: str,
                    ipblock_matches_pod_ips: bool, git_ref: str | None,
                    exclude: tuple[str, ...], strict: bool, verbose: bool) -> ExitCode:
    """Say whether one flow is allowed, and which policy rule (file:line) allows or denies it.

    Exit code 0 when allowed, 1 when denied.
    """
    from reporter.netpol.explain import describe, explain_flow

    reach = _load(paths, ipblock_matches_pod_ips, git_ref, exclude, strict, verbose)
    source, destination = _party(reach, src, "--src"), _party(reach, dst, "--dst")
    port, protocol = _parse_port(port_text)
    result = explain_flow(reach, source, destination, protocol, port,
                          ipblock_matches_pod_ips=ipblock_matches_pod_ips)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo("\n".join(describe(result)))
    return ExitCode.OK if result.allowed else ExitCode.FAILED
