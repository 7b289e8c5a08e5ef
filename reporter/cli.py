"""The ``reporter`` command line: registers the subcommands (reporter/commands/) and is the one
place the process exits.

Each command returns an :class:`~reporter.commands.ExitCode`; renderers and commands never exit.
Exit codes: 0 success, 1 the answer is no (a control fails, a flow is denied, states differ, a
pack does not verify), 2 bad input (a :class:`~reporter.errors.ReporterError`, with diagnostics),
3 an internal error (a bug: one line on stderr, the traceback in a file under the temp dir),
130 Ctrl-C.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import traceback
from collections.abc import Sequence
from typing import NoReturn

import click

from reporter.commands import ExitCode
from reporter.commands.archive import fleet_command, history_command
from reporter.commands.check import check_command
from reporter.commands.connectivity import connectivity_command, explain_command
from reporter.commands.diff import diff_command, drift_command
from reporter.commands.fix import fix_command
from reporter.commands.gate import gate_command
from reporter.commands.paths import paths_command
from reporter.commands.report import report_command, verify_command
from reporter.commands.run import run_command
from reporter.commands.snapshot import snapshot_command
from reporter.errors import ReporterError


class _Reporter(click.Group):
    """Turns a command's status, or a user mistake (ReporterError, printed as diagnostics, never
    a traceback), or Ctrl-C, into the exit code."""

    def invoke(self, ctx: click.Context) -> NoReturn:
        try:
            status = super().invoke(ctx)
        except ReporterError as error:
            click.echo(error.diagnostics(), err=True)
            status = ExitCode.BAD_INPUT
        except KeyboardInterrupt:  # click's own "Aborted!" exits 1, read as "a control failed"
            click.echo("\ninterrupted (Ctrl-C)", err=True)
            status = ExitCode.CANCELLED
        if not isinstance(status, int):
            raise TypeError(f"reporter {ctx.invoked_subcommand} returned {status!r}, "
                            "not an ExitCode")
        ctx.exit(status)


@click.group(cls=_Reporter, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="compliance-reporter", prog_name="reporter")
def cli() -> None:
    """Evidence that Kubernetes NetworkPolicies segment what you claim."""


COMMANDS = (connectivity_command, explain_command, check_command, report_command, verify_command,
            snapshot_command, diff_command, drift_command, run_command, history_command,
            fleet_command, paths_command, gate_command, fix_command)
for _command in COMMANDS:
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="reporter")
    except Exception as error:  # a bug: one line, the details in a file, never exit 1
        details = _write_details(error)
        click.echo(f"internal error (a bug in reporter, not in your input): "
                   f"{type(error).__name__}; details written to {details}", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
    finally:
        if argv is None:  # the process's own command line: it exits next
            # Frozen, what the command built is left out of the interpreter's last full
            # collection: ~0.5 s of CPU after a 5,000-workload check.
            gc.freeze()


def _write_details(error: BaseException) -> str:
    """The traceback, in a file under the temporary directory (never on the terminal)."""
    with tempfile.NamedTemporaryFile("w", prefix="reporter-bug-", suffix=".txt",
                                     delete=False, encoding="utf-8",
                                     errors="backslashreplace") as out:
        out.write("".join(traceback.format_exception(error)))
    return out.name
