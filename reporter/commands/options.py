"""Options several commands share, defined once so their names and help cannot drift apart."""

from __future__ import annotations

import click

ipblock_option = click.option(
    "--ipblock-matches-pod-ips", is_flag=True,
    help="Also match pods by their status.podIP(s) against ipBlocks (some CNIs do).",
)
git_ref_option = click.option(
    "--git-ref", metavar="REF",
    help="Read the manifests as committed at REF (the work tree is not touched).",
)
