"""The reporter.yaml model: zones, declared flows, the internet, DNS, exceptions."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, IPvAnyAddress, model_validator

from reporter.config.types import (
    API_VERSION,
    KIND,
    NOT_INTERNET_DEFAULT,
    STRICT,
    Expression,
    Name,
    Networks,
    Pattern,
    PortText,
    Selector,
    SelectorField,
    Text,
)
from reporter.inventory.model import IPNetwork
from reporter.inventory.names import label_key_errors

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
PERIOD_HELP = "write START..END (dates, e.g. 2024-01-01..2024-03-31) or a quarter (2024Q1)"

_Date = date
"""``date`` under another name, for classes with a field called ``date``."""


def parse_period(text: str) -> tuple[date, date]:
    """``2024-01-01..2024-03-31`` or ``2024Q1`` -> (start, end), both inclusive."""
    quarter = _QUARTER.match(text.strip())
    if quarter:
        year, number = int(quarter[1]), int(quarter[2])
        start = date(year, 3 * number - 2, 1)
        following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
        return start, following - timedelta(days=1)
    dates = _RANGE.match(text.strip())
    if dates:
        return date.fromisoformat(dates[1]), date.fromisoformat(dates[2])
    raise ValueError(f"{text!r} is not a period: {PERIOD_HELP}")


class Period(BaseModel):
    """The assessment period the evidence covers: ``{start, end}``, ``START..END`` or ``2024Q1``."""

    model_config = STRICT

    start: date
    end: date

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, end = parse_period(value)
            return {"start": start, "end": end}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Zone(BaseModel):
    """A named set of workloads: namespaces (by name and/or labels), optionally narrowed by pod
    labels. A namespace must match every criterion given."""

    model_config = STRICT

    name: Name
    kind: Literal["cde", "phi", "tenant", "other"]
    """What the zone holds; frameworks apply by kind (PCI DSS: cde, HIPAA: phi)."""
    description: str | None = None
    names: tuple[Pattern, ...] = ()
    """Namespace names or globs, e.g. ``[payments, tenant-*]``."""
    namespaces: SelectorField | None = None
    """Namespace label selector, e.g. ``pci-scope=cde``."""
    pods: SelectorField | None = None
    """Narrows the zone to pods with these labels."""
    split_by: str | None = None
    """``namespace`` or a namespace label key: one zone per value, named ``<name>/<value>``
    (one zone per tenant)."""
    data_stores: tuple[SelectorField, ...] | None = None
    """Pods that hold data (any selector matches); defaults to the top-level ``data_stores``."""
    frameworks: tuple[str, ...] | None = None
    """Framework IDs judged on this zone, instead of those whose zone kinds match its kind."""

    @model_validator(mode="after")
    def _has_namespaces(self) -> Zone:
        if not self.names and self.namespaces is None:
            raise ValueError("give 'names' and/or 'namespaces' (use names: ['*'] for all)")
        if self.split_by is not None and self.split_by != "namespace":
            errors = label_key_errors(self.split_by)
            if errors:
                raise ValueError(f"split_by {self.split_by!r} is neither 'namespace' nor a "
                                 f"namespace label key: {'; '.join(errors)}")
        return self


class FlowEnd(BaseModel):
    """One end of a declared flow: exactly one of zone, namespace, workload, cidr, internet."""

    model_config = STRICT

    zone: Name | None = None
    namespace: Pattern | None = None
    workload: Pattern | None = None
    """``namespace/name`` of a workload (globs allowed)."""
    pods: SelectorField | None = None
    """With ``zone`` or ``namespace``: only pods with these labels."""
    cidr: Networks | None = None
    internet: bool = False
    """Every address the ``internet`` section counts as the internet."""

    @model_validator(mode="after")
    def _exactly_one(self) -> FlowEnd:
        given = [k for k in ("zone", "namespace", "workload", "cidr") if getattr(self, k)]
        given += ["internet"] if self.internet else []
        if len(given) != 1:
            raise ValueError("give exactly one of zone, namespace, workload, cidr, internet: true"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.pods is not None and given[0] not in ("zone", "namespace"):
            raise ValueError("'pods' narrows a zone or a namespace only")
        return self

    def __str__(self) -> str:
        if self.internet:
            return "internet"
        if self.cidr:
            return ",".join(map(str, self.cidr))
        main = next(f"{k} {getattr(self, k)}" for k in ("zone", "namespace", "workload")
                    if getattr(self, k))
        return f"{main} pods {self.pods.to_label_selector()}" if self.pods else main


class Flow(BaseModel):
    """An approved connection; anything reachable beyond the declared flows is a finding."""

    model_config = STRICT

    name: Name
    source: FlowEnd = Field(alias="from")
    destination: FlowEnd = Field(alias="to")
    ports: Annotated[tuple[PortText, ...], Field(min_length=1)]
    justification: Text
    """The business reason (PCI DSS 1.2.5 asks for one per allowed service and port)."""


class Internet(BaseModel):
    """What counts as the internet: every address outside ``exclude`` and the cluster's CIDRs."""

    model_config = STRICT

    exclude: Networks = tuple(ipaddress.ip_network(n) for n in NOT_INTERNET_DEFAULT)
    pod_cidrs: Networks = ()
    service_cidrs: Networks = ()

    @property
    def not_internet(self) -> tuple[IPNetwork, ...]:
        return (*self.exclude, *self.pod_cidrs, *self.service_cidrs)


class Dns(BaseModel):
    """Where pods resolve names: hygiene.dns-egress checks that each egress-isolated pod can."""

    model_config = STRICT

    namespaces: tuple[Pattern, ...] = ("kube-system",)
    pods: SelectorField = Selector(matchLabels={"k8s-app": "kube-dns"})
    addresses: tuple[IPvAnyAddress, ...] = ()
    """Resolver addresses outside the cluster map, e.g. NodeLocal DNSCache's 169.254.20.10."""


class Paths(BaseModel):
    """Attack paths (``reporter paths``, ``paths.internet-to-datastore``)."""

    model_config = STRICT

    max_hops: Annotated[int, Field(ge=1, le=16)] = 2
    """A CDE/PHI data store reachable from the internet in this many hops or fewer fails
    ``paths.internet-to-datastore``."""


class ExceptionEntry(BaseModel):
    """An accepted finding: it shows as EXCEPTED until ``expires``, then fails again."""

    model_config = STRICT

    id: Text
    check: Text
    target: Text
    """The finding's target, as findings name it; ``*`` and ``?`` are wildcards."""
    reason: Text
    ticket: Text
    approver: Text
    expires: date


class AttestationEntry(BaseModel):
    """Manual evidence for one requirement: its manual part is ATTESTED while this is valid."""

    model_config = STRICT

    framework: Text
    """A framework ID of the catalog, e.g. ``pci-dss-4.0.1``."""
    requirement: Text
    """The requirement's ID in that framework, e.g. ``1.2.7``."""
    evidence: Text
    """The document, ticket or URL that evidences the manual part."""
    by: Text
    """Who attests it."""
    date: date
    expires: _Date | None = None


DEFAULT_DATA_STORES = (
    Selector(matchExpressions=(Expression(key="tier", operator="In",
                                          values=("database", "datastore", "db")),)),
    Selector(matchExpressions=(Expression(key="app.kubernetes.io/component", operator="In",
                                          values=("database", "datastore", "db")),)),
)


class RunSettings(BaseModel):
    """``run:``: defaults for ``reporter run`` (its flags win). Relative paths are read from
    the folder of reporter.yaml."""

    model_config = STRICT

    source: tuple[str, ...] = ()
    """Manifest files or folders; empty: the live cluster (kubeconfig, else in-cluster)."""
    archive: str | None = None
    sign_key: str | None = None
    """Ed25519 private key file: signs each pack and its index entry."""
    period: str | None = None
    """As ``--period``: ``2026Q3``, ``START..END``, ``quarter`` or ``previous-quarter``."""


class Config(BaseModel):
    """reporter.yaml."""

    model_config = STRICT

    apiVersion: Literal["compliance-reporter/v1"] = API_VERSION  # noqa: N815
    """Lets the file sit among manifests: Kubernetes readers skip an unknown kind."""
    kind: Literal["ReporterConfig"] = KIND
    organisation: str | None = None
    cluster: str | None = None
    period: Period | None = None
    frameworks: tuple[str, ...] = ()
    """Framework IDs assessed by default (``--framework`` overrides); empty: every one."""
    zones: tuple[Zone, ...] = ()
    """No zones: the whole cluster is one zone, ``cluster``, judged for every framework."""
    flows: tuple[Flow, ...] = ()
    internet: Internet = Internet()
    dns: Dns = Dns()
    data_stores: tuple[SelectorField, ...] = DEFAULT_DATA_STORES
    """Pods that hold data (any selector matches), for zone.internet-to-datastore; when not
    given, ``reporter paths`` also counts StatefulSets and workloads on database ports."""
    paths: Paths = Paths()
    exceptions: tuple[ExceptionEntry, ...] = ()
    attestations: tuple[AttestationEntry, ...] = ()
    """Manual evidence per requirement; without one a manual part stays PENDING."""
    run: RunSettings = RunSettings()

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        for what, names in (("zone", [z.name for z in self.zones]),
                            ("flow", [f.name for f in self.flows]),
                            ("exception", [e.id for e in self.exceptions])):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{what} names must be unique: {', '.join(repeated)}")
        zones = {z.name for z in self.zones}
        for flow in self.flows:
            for end in (flow.source, flow.destination):
                if end.zone is not None and end.zone not in zones:
                    raise ValueError(f"flow {flow.name}: no zone named {end.zone!r}")
        return self
