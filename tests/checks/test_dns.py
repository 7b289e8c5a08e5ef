"""hygiene.dns-egress explains each failure: which rules mention port 53 and why each falls
short, or that none does, and what the workload does reach on the DNS servers."""

from __future__ import annotations

import pytest

from reporter.model import Status

from .harness import run

DNS_PODS = "{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}"
ESTATE = """
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: coredns, image: coredns}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: app, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: web, image: web}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  egress:
"""
RULE = "case.yaml:26"
"""Where the egress rule below starts; the ingress rule above mentions port 53 too, and is
never cited: it does not decide what the workloads may send."""


@pytest.mark.parametrize(("rules", "details"), [
    (f"  - to: [{DNS_PODS}]\n    ports: [{{port: 53, protocol: UDP}}]\n",
     [f"app/egress egress[0] ({RULE}): it allows port 53 over UDP only",
      "reaches kube-system/coredns[Pod] on UDP 53 only"]),
    ("  - to: [{podSelector: {matchLabels: {app: web}}}]\n"
     "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
     [f"app/egress egress[0] ({RULE}): its peers include no DNS server"]),
    ("  - to: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 53, protocol: TCP}]\n",
     [f"app/egress egress[0] ({RULE}): its peers include no DNS server; it allows port 53 "
      "over TCP only"]),
    # A port-less rule of a protocol mentions every port: 53 among them, on SCTP.
    (f"  - to: [{DNS_PODS}]\n    ports: [{{protocol: SCTP}}]\n",
     [f"app/egress egress[0] ({RULE}): it allows port 53 over neither UDP nor TCP",
      "reaches kube-system/coredns[Pod] on SCTP 1-65535 only"]),
    ("  - to: [{namespaceSelector: {}}]\n    ports: [{port: 443}]\n",
     ["no egress rule of its policies allows port 53",
      "reaches kube-system/coredns[Pod] on TCP 443 only"]),
    (f"  - to: [{DNS_PODS}]\n    ports: [{{port: 53, protocol: UDP}}, {{port: 53, protocol: TCP}}]"
     "\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
     "metadata: {name: deny, namespace: kube-system}\n"
     "spec: {podSelector: {}, policyTypes: [Ingress]}\n",
     [f"app/egress egress[0] ({RULE}): the DNS server's ingress does not admit it"]),
])
def test_a_failure_says_why_each_rule_on_port_53_falls_short(rules: str,
                                                             details: list[str]) -> None:
    result = run("hygiene.dns-egress", ESTATE + rules)
    [finding] = result.findings
    assert (result.status, finding.target) == (Status.FAIL, "policy app/egress")
    assert finding.affected == ["app/api[Pod]", "app/web[Pod]"]
    assert finding.details == ["e.g. app/api[Pod]:", *details]
    cited = "rule" if details[0].startswith("app/egress") else "policy"
    assert [(place.object, place.rule) for place in finding.locations] == [
        ("NetworkPolicy app/egress", "egress[0]" if cited == "rule" else None)]


def test_one_workload_is_named_alone() -> None:
    one = ESTATE.replace("podSelector: {}\n  policyTypes", "podSelector: {matchLabels: "
                         "{app: api}}\n  policyTypes")
    [finding] = run("hygiene.dns-egress", one + "  - ports: [{port: 443}]\n").findings
    assert finding.message == (
        "app/api[Pod] cannot resolve names: the egress policies isolating it (the target) "
        "reach no DNS server on both UDP 53 and TCP 53")
    assert finding.details == ["no egress rule of its policies allows port 53",
                               "reaches kube-system/coredns[Pod] on TCP 443 only"]


def test_a_dns_server_is_a_dns_pod_of_the_dns_namespaces_not_either_alone() -> None:
    """Port 53 to another pod of kube-system, or to a pod labelled k8s-app=kube-dns in another
    namespace, resolves nothing."""
    near_misses = ESTATE + """\
  - to: [{podSelector: {matchLabels: {k8s-app: kube-dns}}},
         {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
          podSelector: {matchLabels: {app: metrics}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: metrics, namespace: kube-system, labels: {app: metrics}}
spec: {containers: [{name: metrics, image: metrics}]}
---
apiVersion: v1
kind: Pod
metadata: {name: resolver, namespace: app, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: resolver, image: resolver}]}
"""
    result = run("hygiene.dns-egress", near_misses)
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert finding.affected == ["app/api[Pod]", "app/resolver[Pod]", "app/web[Pod]"]
    assert finding.details[1:] == [
        f"app/egress egress[0] ({RULE}): its peers include no DNS server"]
