"""One way to do each thing on the command line: one exit point, shared options defined once."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reporter.cli import _Reporter, cli
from reporter.commands import ExitCode
from reporter.commands.options import PATHS_HELP
from reporter.errors import InputError

PACKAGE = Path(__file__).resolve().parents[2] / "reporter"
# `python -m` entry points of developer tools (schema printers) exit from their __main__ guard.
EXITING_MODULES = {"cli.py", "__main__.py", "render/json.py"}


def _exits(tree: ast.AST) -> list[int]:
    """Lines that call sys.exit, exit(), ctx.exit or raise SystemExit."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("exit", "_exit"):
                lines.append(node.lineno)
        elif isinstance(node, ast.Raise) and "SystemExit" in ast.unparse(node):
            lines.append(node.lineno)
    return lines


def test_only_the_cli_exits() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in EXITING_MODULES or relative.endswith("/__main__.py"):
            continue
        lines = _exits(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[relative] = lines
    assert offenders == {}, "commands return an ExitCode; only reporter.cli exits"


def _option_signatures() -> dict[str, dict[str, tuple[object, ...]]]:
    """For each long option name: the commands using it, with its help, type and flags."""
    seen: dict[str, dict[str, tuple[object, ...]]] = {}
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                long_name = max(param.opts, key=len)
                signature = (param.help, repr(param.type), param.is_flag, param.multiple,
                             param.name, param.metavar)
                seen.setdefault(long_name, {})[name] = signature
    return seen


@pytest.mark.parametrize("option", ["--config", "--framework", "--require-clean", "--git-ref",
                                    "--ipblock-matches-pod-ips"])
def test_a_shared_option_is_the_same_in_every_command(option: str) -> None:
    users = _option_signatures()[option]
    assert len(users) >= 2, f"{option} is used by {sorted(users)} only"
    assert len(set(users.values())) == 1, f"{option} differs between {sorted(users)}"


def test_every_command_taking_paths_explains_them_alike() -> None:
    takers = {name: command for name, command in cli.commands.items()
              if any(p.name == "paths" for p in command.params)}
    assert {"connectivity", "explain", "check", "report"} <= set(takers)
    for name, command in takers.items():
        assert command.help is not None and command.help.endswith(PATHS_HELP), name


def _group_with(result: object) -> click.Group:
    group = _Reporter()

    @group.command("probe")
    def probe() -> object:
        if isinstance(result, Exception):
            raise result
        return result

    return group


@pytest.mark.parametrize("status", list(ExitCode))
def test_the_returned_status_is_the_exit_code(status: ExitCode) -> None:
    assert CliRunner().invoke(_group_with(status), ["probe"]).exit_code == status


def test_a_user_mistake_exits_2_with_diagnostics_and_no_traceback() -> None:
    mistake = InputError("--port x: not a port", hint="e.g. --port 5432")
    result = CliRunner().invoke(_group_with(mistake), ["probe"])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.output == "error: --port x: not a port\nhint: e.g. --port 5432\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_command_that_returns_no_status_is_a_bug_not_success() -> None:
    result = CliRunner().invoke(_group_with(None), ["probe"])
    assert isinstance(result.exception, TypeError)
    assert result.exit_code == 1
