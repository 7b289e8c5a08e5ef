"""``reporter.yaml``: what is in scope (zones), what is approved (declared flows), what counts as
the internet, and which findings are accepted for a while (exceptions).

Every field is optional: with no file at all the whole cluster is one zone and nothing is
declared. ``python -m reporter.config --schema`` prints the JSON Schema (docs/config.md).
"""

from __future__ import annotations

from typing import Any

from reporter.config.load import LoadedConfig, check_references, load_config
from reporter.config.model import (
    DEFAULT_DATA_STORES,
    PERIOD_HELP,
    AttestationEntry,
    Config,
    Dns,
    ExceptionEntry,
    Flow,
    FlowEnd,
    Internet,
    Period,
    Zone,
    parse_period,
)
from reporter.config.types import API_VERSION, KIND, NOT_INTERNET_DEFAULT, Expression, Selector

SCHEMA_ID = "https://compliance-reporter.example/schemas/reporter-config.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of reporter.yaml (schemas/reporter-config.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **Config.model_json_schema(by_alias=True),
    }


__all__ = [
    "API_VERSION", "DEFAULT_DATA_STORES", "KIND", "NOT_INTERNET_DEFAULT", "PERIOD_HELP",
    "AttestationEntry", "Config", "Dns",
    "ExceptionEntry", "Expression", "Flow", "FlowEnd", "Internet", "LoadedConfig", "Period",
    "Selector", "Zone", "check_references", "json_schema", "load_config", "parse_period",
]
