"""Run checks on manifests written inline or in case files, exactly as ``reporter check`` does.

A case file is a multi-document manifest; a ``kind: ReporterConfig`` document in it, if any, is
the config (the loader skips it as a non-Kubernetes kind, as it would on disk).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from reporter.checks import REGISTRY, CheckContext, run_check
from reporter.config import KIND, Config
from reporter.inventory.manifests import load_inventory
from reporter.inventory.sources import Source
from reporter.model import CheckResult
from reporter.netpol.engine import analyse


def context(text: str, name: str = "case.yaml") -> CheckContext:
    documents = [d for d in yaml.safe_load_all(text) if d is not None]
    configs = [d for d in documents if d.get("kind") == KIND]
    config = Config.model_validate(configs[0]) if configs else Config()
    inventory = load_inventory([Source(name, text)])
    return CheckContext(analyse(inventory), config)


def run(check_id: str, text: str, name: str = "case.yaml") -> CheckResult:
    return run_check(REGISTRY[check_id], context(text, name))


def run_file(check_id: str, path: Path) -> CheckResult:
    return run(check_id, path.read_text(encoding="utf-8"), path.name)
