"""A NetworkPolicy spec as the API server would store it, so that only real changes differ.

The inventory keeps each spec as written; here it becomes plain data with the server's defaults
applied (``policyTypes``, ``protocol: TCP``) and what the server drops on a round trip dropped
(nulls, empty lists, empty ``matchLabels``). Key order and comments are gone after parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_OMITTED_WHEN_EMPTY = frozenset({"matchLabels"})
"""Maps the API serialises with ``omitempty``; other empty maps ({} peers, rules) mean "all"."""


def normalised_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` (as written, possibly empty) with the defaults the API server applies, keys
    sorted at every level."""
    plain = _plain(spec)
    result: dict[str, Any] = plain if isinstance(plain, dict) else {}
    result.setdefault("podSelector", {})
    if not result.get("policyTypes"):
        result["policyTypes"] = ["Ingress", "Egress"] if result.get("egress") else ["Ingress"]
    result["policyTypes"] = sorted(set(result["policyTypes"]))  # a set to the API
    for direction in ("ingress", "egress"):
        for rule in result.get(direction, ()):
            for port in rule.get("ports", ()) if isinstance(rule, dict) else ():
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    return _key_sorted(result)  # type: ignore[no-any-return]


def _key_sorted(value: Any) -> Any:
    """Maps with their keys in order at every level: equal specs give equal JSON."""
    if isinstance(value, dict):
        return {key: _key_sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_key_sorted(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Plain dicts and lists (no LineDict), without nulls, empty lists and empty matchLabels;
    a null list entry is an empty mapping, as the API reads it."""
    if isinstance(value, Mapping):
        kept = {}
        for key, item in value.items():
            plain = _plain(item)
            if plain is None or plain == [] or (plain == {} and key in _OMITTED_WHEN_EMPTY):
                continue
            kept[str(key)] = plain
        return kept
    if isinstance(value, list):
        return [{} if item is None else _plain(item) for item in value]
    return value


def spec_yaml(spec: Mapping[str, Any]) -> str:
    """The normalised spec as block YAML with sorted keys: the text policy diffs compare."""
    if not spec:
        return ""
    return yaml.dump(dict(spec), Dumper=_SafeDumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=100)
