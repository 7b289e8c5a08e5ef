"""What the selects-nothing checks say: a plain miss, hostNetwork pods only (FAIL), and pods run
by an object the map does not model (ERROR: not judged, the objects named)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reporter.cli import cli
from reporter.model import Status

from .harness import run, run_file

CASES = Path(__file__).parent / "cases"


def test_a_policy_over_operator_pods_is_not_judged_and_names_the_operator_resource() -> None:
    result = run_file("hygiene.policy-selects-nothing",
                      CASES / "hygiene.policy-selects-nothing" / "operator-pods-ERROR.yaml")
    (finding,) = result.findings
    assert finding.status is Status.ERROR and finding.fix is None
    assert finding.message == (
        "monitoring/prometheus-k8s: podSelector app.kubernetes.io/name=prometheus matches no "
        "workload read in monitoring, but 1 object there runs pods the map does not model: "
        "whether it selects them is not known; give the reporter the live pods (reporter "
        "snapshot) to judge")
    assert finding.details[0] == ("runs pods, not modelled: Prometheus monitoring/k8s "
                                  "(operator-pods-ERROR.yaml:9)")


def test_a_policy_over_host_network_pods_only_says_so() -> None:
    result = run_file("hygiene.policy-selects-nothing",
                      CASES / "hygiene.policy-selects-nothing" / "host-network-FAIL.yaml")
    (finding,) = result.findings
    assert finding.status is Status.FAIL
    assert finding.message == (
        "web/storefront: podSelector app=storefront matches only hostNetwork pods "
        "(web/storefront[Pod]), which NetworkPolicies do not govern, so none of its rules apply")


def test_a_peer_over_operator_pods_is_not_judged() -> None:
    result = run_file("hygiene.peer-selects-nothing",
                      CASES / "hygiene.peer-selects-nothing" / "operator-pods-ERROR.yaml")
    (finding,) = result.findings
    assert finding.status is Status.ERROR
    assert finding.message.startswith(
        "monitoring/grafana ingress[0]: podSelector app.kubernetes.io/name=prometheus matches no "
        "workload read in monitoring, but 1 object there runs pods the map does not model")


API_ADMITTING = """\
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: app, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: app}
spec:
  podSelector: {}
  ingress: [{from: [%s]}]
"""
"""A pod and a policy admitting one peer (``%s``) to it."""


def test_a_namespace_selector_peer_over_empty_namespaces_names_the_peer() -> None:
    result = run("hygiene.peer-selects-nothing", """\
apiVersion: v1
kind: Namespace
metadata: {name: batch, labels: {team: batch}}
---
""" + API_ADMITTING % "{namespaceSelector: {matchLabels: {team: batch}}}")
    (finding,) = result.findings
    assert finding.message == ("app/api ingress[0]: the peer matches no pod in the selected "
                               "namespaces; the peer allows nothing")


def test_a_peer_over_host_network_pods_only_says_so() -> None:
    result = run("hygiene.peer-selects-nothing", """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: app}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: agent, image: agent}]}
---
""" + API_ADMITTING % "{podSelector: {matchLabels: {app: agent}}}")
    (finding,) = result.findings
    assert finding.status is Status.FAIL
    assert finding.message == (
        "app/api ingress[0]: podSelector app=agent matches only hostNetwork pods "
        "(app/agent[DaemonSet]) in app, whose connections carry their node's address: the peer "
        "allows nothing (with most network plugins)")


def test_a_namespace_peer_over_host_network_pods_only_says_so() -> None:
    """No podSelector: the peer means every pod of the namespaces, here only hostNetwork ones."""
    result = run("hygiene.peer-selects-nothing", """\
apiVersion: v1
kind: Namespace
metadata: {name: nodes, labels: {role: nodes}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: nodes}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: agent, image: agent}]}
---
""" + API_ADMITTING % "{namespaceSelector: {matchLabels: {role: nodes}}}")
    (finding,) = result.findings
    assert finding.message == (
        "app/api ingress[0]: the peer matches only hostNetwork pods (nodes/agent[DaemonSet]) in "
        "the selected namespaces, whose connections carry their node's address: the peer allows "
        "nothing (with most network plugins)")


def test_the_name_label_mistake_gets_the_label_namespaces_do_carry() -> None:
    """The seed article selects kube-system by a ``name`` label no namespace carries."""
    result = run_file("hygiene.peer-selects-nothing",
                      CASES / "hygiene.peer-selects-nothing" / "name-label-FAIL.yaml")
    (finding,) = result.findings
    assert finding.message == (
        "app/dns egress[0]: namespaceSelector name=kube-system matches no namespace; namespaces "
        "carry kubernetes.io/metadata.name: did you mean kubernetes.io/metadata.name=kube-system?; "
        "the peer allows nothing")


def test_check_says_in_its_short_view_which_targets_it_could_not_judge() -> None:
    case = CASES / "hygiene.policy-selects-nothing" / "operator-pods-ERROR.yaml"
    result = CliRunner().invoke(cli, ["check", str(case)])
    assert result.exit_code == 1, result.output  # other controls fail on this estate
    assert ("! hygiene.policy-selects-nothing could not judge 1 target, e.g. "
            "monitoring/prometheus-k8s: podSelector app.kubernetes.io/name=prometheus matches no "
            "workload read in monitoring, but 1 object there runs pods") in result.stdout


def test_host_network_pods_of_another_namespace_are_not_the_ones_a_policy_selects() -> None:
    text = (CASES / "hygiene.policy-selects-nothing" / "host-network-FAIL.yaml").read_text()
    elsewhere = text.replace("metadata: {name: storefront, namespace: web, labels",
                             "metadata: {name: storefront, namespace: edge, labels")
    assert elsewhere != text
    (finding,) = run("hygiene.policy-selects-nothing", elsewhere).findings
    assert finding.status is Status.FAIL
    assert finding.message == ("web/storefront: podSelector app=storefront matches no pod in "
                               "web, so none of its rules apply")
    assert finding.details == ["labels pods of web carry for these keys: none of these keys"]


SHOP = """\
apiVersion: v1
kind: Pod
metadata: {name: carts, namespace: shop, labels: {name: carts}}
spec: {containers: [{name: carts, image: carts}]}
---
apiVersion: v1
kind: Pod
metadata: {name: carts-db, namespace: shop, labels: {name: carts-db}}
spec: {containers: [{name: db, image: mongo}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: carts-db, namespace: shop}
spec:
  podSelector: {matchLabels: {name: carts-db}}
  ingress: [{from: [{podSelector: {matchLabels: {%s}}}]}]
"""


def test_a_peer_one_letter_off_a_label_the_pods_carry_gets_that_label_suggested() -> None:
    (finding,) = run("hygiene.peer-selects-nothing", SHOP % "name: cart").findings
    assert finding.message == (
        "shop/carts-db ingress[0]: podSelector name=cart matches no pod in shop; the peer allows "
        "nothing; did you mean name=carts (carried by shop/carts[Pod])?")
    assert finding.details[1] == ("labels pods of shop carry for these keys: name=carts, "
                                  "name=carts-db")


def test_a_misspelt_key_gets_the_key_the_pods_carry_suggested() -> None:
    (finding,) = run("hygiene.peer-selects-nothing", SHOP % "nmae: carts").findings
    assert finding.message.endswith(
        "the peer allows nothing; did you mean name=carts (carried by shop/carts[Pod])?")
    policy = SHOP.replace("podSelector: {matchLabels: {name: carts-db}}",
                          "podSelector: {matchLabels: {name: cartsdb}}") % "name: carts"
    (finding,) = run("hygiene.policy-selects-nothing", policy).findings
    assert finding.message == (
        "shop/carts-db: podSelector name=cartsdb matches no pod in shop, so none of its rules "
        "apply; did you mean name=carts-db (carried by shop/carts-db[Pod])?")


def test_nothing_is_suggested_when_no_label_is_close() -> None:
    (finding,) = run("hygiene.peer-selects-nothing", SHOP % "name: cortex").findings
    assert finding.message == ("shop/carts-db ingress[0]: podSelector name=cortex matches no pod "
                               "in shop; the peer allows nothing")
    # Each term is judged on its own: a label the pods carry, beside one they lack, is no
    # suggestion.
    (finding,) = run("hygiene.peer-selects-nothing", SHOP % "name: carts, tier: cache").findings
    assert "did you mean" not in finding.message
