"""Arguments and options several commands share, defined once so that their names, help and
meaning cannot drift apart between commands."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from reporter.pipeline import PipelineOptions

F = TypeVar("F", bound=Callable[..., Any])

PATHS_HELP = ("PATHS: manifest files or directories (*.yaml, *.yml, *.json, recursively), "
              "e.g. a `reporter snapshot` file; '-' reads stdin. Inputs in a Git repository are "
              "recorded with their commit (and whether they are committed).")


def paths_argument(command: F) -> F:
    """The PATHS argument (one or more), its help appended to the command's own."""
    command.__doc__ = f"{inspect.cleandoc(command.__doc__ or '')}\n\n{PATHS_HELP}"
    return click.argument("paths", nargs=-1, required=True)(command)


ipblock_option = click.option(
    "--ipblock-matches-pod-ips", is_flag=True,
    help="Also match pods by their status.podIP(s) against ipBlocks (some CNIs do).",
)
git_ref_option = click.option(
    "--git-ref", metavar="REF",
    help="Read the manifests as committed at REF (paths in the repository; the work tree is "
         "not touched).",
)
config_option = click.option(
    "--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
    help="reporter.yaml: zones, declared flows, internet, exceptions, organisation, period "
         "(docs/config.md). Without it the whole cluster is one zone and nothing is declared.",
)
framework_option = click.option(
    "--framework", "frameworks", multiple=True, metavar="ID",
    help="Assess only this framework (repeatable), e.g. pci-dss-4.0.1. Default: the config's "
         "'frameworks', else every framework of the catalog.",
)
kubeconfig_option = click.option(
    "--kubeconfig", metavar="FILE",
    help="Kubeconfig file(s), ':'-separated. Default: $KUBECONFIG, else ~/.kube/config, else "
         "the pod's service account (in-cluster).",
)
context_option = click.option(
    "--context", metavar="NAME", help="Kubeconfig context. Default: current-context.")
timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
    help="Seconds allowed to list each resource of the cluster, retries (429/5xx) included.",
)


def _period(_ctx: click.Context, _param: click.Parameter, value: str | None
            ) -> tuple[date, date] | None:
    from reporter.period import parse_period
    from reporter.pipeline import clock

    if value is None:
        return None
    period = parse_period(value, clock().date())
    return period.start, period.end


period_option = click.option(
    "--period", metavar="PERIOD", callback=_period,
    help="The assessment period: 2024Q1, 2024-01-01..2024-03-31, quarter or previous-quarter "
         "(default: the config's 'period'). With inputs in Git, every state of the period is "
         "assessed from the history and the worst counts (docs/status.md).",
)
require_clean_option = click.option(
    "--require-clean", is_flag=True,
    help="Refuse inputs with uncommitted changes: the result then names one commit.",
)


fail_on_error_option = click.option(
    "--fail-on-error", is_flag=True,
    help="Exit 1 also when a requirement is ERROR (a check could not judge it), not only when "
         "one fails: a pipeline then never passes on what was not judged.")
exclude_option = click.option(
    "--exclude", "exclude", multiple=True, metavar="GLOB",
    help="Leave out paths matching GLOB (repeatable), relative to a directory named or as "
         "given; a folder's name leaves out everything under it, e.g. --exclude 'tests/*'.",
)
strict_option = click.option(
    "--strict", is_flag=True,
    help="Make every file or document that is not a Kubernetes manifest (Helm templates, "
         "kustomize files, CI workflows, data) an error instead of a listed skip.",
)
verbose_inputs_option = click.option(
    "-v", "--verbose", is_flag=True,
    help="List every skipped file, document and object with its reason (on stderr).",
)


def input_options(command: F) -> F:
    """--exclude and --strict: which files are read as manifests."""
    return exclude_option(strict_option(command))


def assessment_options(command: F) -> F:
    """--config, --framework, --ipblock-matches-pod-ips, --require-clean, --exclude and
    --strict, handed to the
    command as one ``options: PipelineOptions``, so every assessing command reads them alike."""

    @functools.wraps(command)
    def with_options(*args: Any, config_path: str | None, frameworks: tuple[str, ...],
                     ipblock_matches_pod_ips: bool, require_clean: bool,
                     exclude: tuple[str, ...], strict: bool, **kwargs: Any) -> Any:
        from reporter.inputs import ReadOptions
        from reporter.pipeline import PipelineOptions
        from reporter.workers import processes

        options: PipelineOptions = PipelineOptions(
            config_path=config_path, frameworks=frameworks,
            reading=ReadOptions(exclude=exclude, strict=strict),
            ipblock_matches_pod_ips=ipblock_matches_pod_ips, require_clean=require_clean,
            processes=processes())  # a wrong REPORTER_PROCESSES is refused before any reading
        return command(*args, options=options, **kwargs)

    decorated: Any = with_options
    for option in (strict_option, exclude_option, require_clean_option, ipblock_option,
                   framework_option, config_option):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
