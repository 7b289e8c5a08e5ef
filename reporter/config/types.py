"""Field types of reporter.yaml: names, globs, ports, CIDRs and label selectors."""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    StringConstraints,
    model_validator,
)

from reporter.inventory.model import LabelSelector, Requirement

API_VERSION: Final = "compliance-reporter/v1"
KIND: Final = "ReporterConfig"
STRICT = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
"""Keys as the schema and docs/config.md write them (``from``, not the field's name ``source``),
each once; a config read is never changed."""

_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_GLOB_PATTERN = r"^[-a-z0-9.*?\[\]/]+$"
Name = Annotated[str, StringConstraints(pattern=_NAME_PATTERN, max_length=63)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Pattern = Annotated[str, StringConstraints(pattern=_GLOB_PATTERN)]
"""A name or a shell-style glob (``tenant-*``)."""
_PORT_PATTERN = r"^(TCP|UDP|SCTP)( ([1-9][0-9]{0,4})(-([1-9][0-9]{0,4}))?)?$"


def _port_range(text: str) -> str:
    numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
    if any(n > 65535 for n in numbers) or numbers != sorted(numbers):
        raise ValueError(f"{text!r}: ports are 1-65535 and a range runs from low to high")
    return text


PortText = Annotated[str, StringConstraints(pattern=_PORT_PATTERN), AfterValidator(_port_range)]
"""``TCP 443``, ``UDP 53``, ``TCP 8000-8100``, or ``TCP`` alone for every TCP port."""
PATTERN_HELP = {
    _NAME_PATTERN: "use lower case letters, digits and '-' (a DNS label)",
    _GLOB_PATTERN: "use a name or a glob of lower case letters, digits, '-', '.', '/', '*', '?'",
    _PORT_PATTERN: "write a port as 'TCP 443', 'UDP 53', 'TCP 8000-8100', or 'TCP' for all",
}

NOT_INTERNET_DEFAULT: tuple[str, ...] = (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
    "100.64.0.0/10",  # RFC 6598 shared address space (carrier-grade NAT, some pod networks)
    "127.0.0.0/8", "169.254.0.0/16",  # loopback, link-local (cloud metadata endpoints)
    "::1/128", "fe80::/10", "fc00::/7",  # IPv6 loopback, link-local, unique local
)


class Expression(BaseModel):
    """One ``matchExpressions`` entry, as in Kubernetes."""

    model_config = STRICT

    key: Text
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _values_fit_operator(self) -> Expression:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs values")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values")
        return self


_TERM = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<absent>[^\s=!(),]+)"
    r"|(?P<key>[^\s=!(),]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s=!(),]*)"
    r"|\s+(?P<set>in|notin)\s*\((?P<values>[^()]*)\))?)\s*$"
)


def _parse_selector_text(value: object) -> object:
    """``tier in (db, database),app!=x,team`` (kubectl's syntax) -> the mapping form."""
    if not isinstance(value, str):
        return value
    labels: dict[str, str] = {}
    expressions: list[dict[str, object]] = []
    for term in re.split(r",(?![^()]*\))", value):
        match = _TERM.match(term)
        if match is None or not term.strip():
            raise ValueError(f"cannot read selector term {term.strip()!r}: use key=value, "
                             "key!=value, key in (a,b), key notin (a,b), key or !key")
        if match["absent"]:
            expressions.append({"key": match["absent"], "operator": "DoesNotExist"})
        elif match["op"] in ("=", "=="):
            labels[match["key"]] = match["value"]
        elif match["op"] == "!=":
            expressions.append({"key": match["key"], "operator": "NotIn",
                                "values": [match["value"]]})
        elif match["set"]:
            values = [v.strip() for v in match["values"].split(",") if v.strip()]
            operator = "In" if match["set"] == "in" else "NotIn"
            expressions.append({"key": match["key"], "operator": operator, "values": values})
        else:
            expressions.append({"key": match["key"], "operator": "Exists"})
    return {"matchLabels": labels, "matchExpressions": expressions}


class Selector(BaseModel):
    """A Kubernetes label selector: the mapping form, or kubectl's ``-l`` text form."""

    model_config = STRICT

    matchLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815 (Kubernetes name)
    matchExpressions: tuple[Expression, ...] = ()  # noqa: N815

    def to_label_selector(self) -> LabelSelector:
        return LabelSelector(
            tuple(sorted(self.matchLabels.items())),
            tuple(Requirement(e.key, e.operator, e.values) for e in self.matchExpressions),
        )


SelectorField = Annotated[
    Selector, BeforeValidator(_parse_selector_text, json_schema_input_type=Selector | str)
]


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


Networks = Annotated[tuple[IPvAnyNetwork, ...], BeforeValidator(
    _one_or_many, json_schema_input_type=list[str] | str)]
