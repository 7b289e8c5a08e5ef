"""Automated checks, registered by ID in :data:`reporter.checks.registry.REGISTRY`.

Importing the package registers every check family.
"""

from reporter.checks import (  # noqa: F401 (imported to register the checks)
    default_deny,
    dns,
    hygiene,
    internet,
    lateral,
    rules,
    tenants,
    zones,
)
from reporter.checks.context import CheckContext
from reporter.checks.registry import REGISTRY, CheckSpec, Evaluation, check, run_check

__all__ = ["REGISTRY", "CheckContext", "CheckSpec", "Evaluation", "check", "run_check"]
