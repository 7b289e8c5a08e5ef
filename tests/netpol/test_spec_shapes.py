"""Policies as written in YAML, through the loader and the engine: the shapes whose meaning the API
reference spells out (missing vs empty lists, policyTypes defaulting, field defaults).

World: namespace x with Pod a (app=a, TCP 80 named http) and Pod b (app=b, no ports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reporter.inventory.manifests import load_paths
from reporter.netpol.engine import Reachability, analyse

from .flows import NONE, engine_flows, expected_flows

WORLD = """\
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec:
  containers:
  - {name: web, image: nginx, ports: [{name: http, containerPort: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec:
  containers:
  - {name: app, image: busybox}
"""
A = {"matchLabels": {"app": "a"}}
A_INGRESS_DENIED = {"x/b -> x/a": NONE, "ext -> x/a": NONE}
A_EGRESS_DENIED = {"x/a -> x/b": NONE, "x/a -> ext": NONE}

SHAPES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("ingress-missing-still-isolates-ingress", {"podSelector": A}, A_INGRESS_DENIED),
    ("ingress-empty-list-isolates-ingress", {"podSelector": A, "ingress": []}, A_INGRESS_DENIED),
    (
        "egress-empty-list-does-not-default-egress",
        {"podSelector": A, "egress": []},
        A_INGRESS_DENIED,
    ),
    (
        "egress-rules-default-both-types",
        {"podSelector": A, "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]},
        {**A_INGRESS_DENIED, "x/a -> x/b": "UDP 53", "x/a -> ext": "UDP 53"},
    ),
    (
        "explicit-egress-type-without-rules-denies-egress-only",
        {"podSelector": A, "policyTypes": ["Egress"]},
        A_EGRESS_DENIED,
    ),
    (
        "explicit-egress-type-ignores-ingress-rules",
        {"podSelector": A, "policyTypes": ["Egress"], "ingress": [{"from": [{"podSelector": {}}]}]},
        A_EGRESS_DENIED,
    ),
    ("ingress-with-one-empty-rule-allows-all", {"podSelector": A, "ingress": [{}]}, {}),
    (
        "both-types-with-empty-rules-allow-all",
        {"podSelector": A, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]},
        {},
    ),
    (
        "empty-from-and-ports-lists-mean-all",
        {"podSelector": A, "ingress": [{"from": [], "ports": []}]},
        {},
    ),
    (
        "port-protocol-defaults-to-tcp",
        {"podSelector": A, "ingress": [{"ports": [{"port": 80}]}]},
        {"x/b -> x/a": "TCP 80", "ext -> x/a": "TCP 80"},
    ),
    (
        "end-port",
        {"podSelector": A, "ingress": [{"ports": [{"port": 8000, "endPort": 8080}]}]},
        {"x/b -> x/a": "TCP 8000-8080", "ext -> x/a": "TCP 8000-8080"},
    ),
    (
        "empty-to-with-named-port-egress",
        {
            "podSelector": {"matchLabels": {"app": "b"}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [], "ports": [{"port": "http"}]}],
        },
        {"x/b -> x/a": "TCP 80", "x/b -> ext": NONE},
    ),
    (
        "empty-pod-selector-peer-is-every-pod-of-the-namespace-only",
        {"podSelector": A, "ingress": [{"from": [{"podSelector": {}}]}]},
        {"ext -> x/a": NONE},
    ),
    (
        "empty-namespace-selector-peer-is-every-pod-not-external",
        {"podSelector": A, "ingress": [{"from": [{"namespaceSelector": {}}]}]},
        {"ext -> x/a": NONE},
    ),
]


def _analyse_policy(tmp_path: Path, spec: dict[str, Any]) -> Reachability:
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": spec,
    }
    path = tmp_path / "manifests.yaml"
    path.write_text(WORLD + "---\n" + yaml.safe_dump(manifest), encoding="utf-8")
    return analyse(load_paths([str(path)]))


@pytest.mark.parametrize(("spec", "flows"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_policy_shape(tmp_path: Path, spec: dict[str, Any], flows: dict[str, str]) -> None:
    r = _analyse_policy(tmp_path, spec)
    keys = [e.key for e in r.endpoints]
    assert keys == ["x/a[Pod]", "x/b[Pod]", "0.0.0.0-255.255.255.255[External]"]
    assert engine_flows(r) == expected_flows(keys, flows)


def test_ipblock_with_except_splits_the_space(tmp_path: Path) -> None:
    block = {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}
    r = _analyse_policy(tmp_path, {"podSelector": A, "ingress": [{"from": [{"ipBlock": block}]}]})
    ranges = [e.key for e in r.endpoints if e.workload is None]
    assert ranges == [
        "0.0.0.0-9.255.255.255[External]",
        "10.0.0.0-10.0.255.255[External]",
        "10.1.0.0-10.1.255.255[External]",
        "10.2.0.0-10.255.255.255[External]",
        "11.0.0.0-255.255.255.255[External]",
    ]
    allowed_from = [c.src.key for c in r.connections() if c.dst.key == "x/a[Pod]" and c.conn.is_all]
    assert allowed_from == ["10.0.0.0-10.0.255.255[External]", "10.2.0.0-10.255.255.255[External]"]
