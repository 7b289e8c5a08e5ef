"""The subcommands. Each returns an :class:`ExitCode`; ``reporter.cli`` registers them and is the
one place that turns it (or a :class:`~reporter.errors.ReporterError`) into the process's exit."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a command tells its caller (scripts and CI read these)."""

    OK = 0
    FAILED = 1
    """The question was answered with no: a control fails, a flow is denied, two states differ,
    a pack does not verify."""
    BAD_INPUT = 2
    """A user mistake; ``cli`` prints the diagnostics."""
    INTERNAL_ERROR = 3
    """A bug in reporter: ``cli.main`` prints one line and writes the details to a file."""
    CANCELLED = 130
    """Stopped by Ctrl-C (SIGINT: 128 + 2, as shells report it), never mistaken for an answer."""
    INTERRUPTED = 143
    """Stopped by SIGTERM (128 + 15, as shells report it); ``reporter run`` cleaned up."""
