"""NetworkPolicy parsing and validation, rule by rule of the Kubernetes API."""

from __future__ import annotations

import ipaddress

import pytest

from reporter.errors import ValidationError
from reporter.inventory.manifests import load_paths
from reporter.inventory.model import IPBlock, LabelSelector, Origin, Peer

from .helpers import (
    DATA,
    SPEC_LINE,
    load_text,
    located,
    messages,
    parsed,
    policy,
    problems,
    problems_in,
)

# --- policyTypes -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ("podSelector: {}\n", {"Ingress"}),
        ("egress: []\n", {"Ingress"}),
        ("egress: [{}]\n", {"Ingress", "Egress"}),
        ("policyTypes: []\negress: [{}]\n", {"Ingress", "Egress"}),
        ("policyTypes: [Egress]\ningress: [{}]\n", {"Egress"}),
        ("policyTypes: [Ingress, Egress]\n", {"Ingress", "Egress"}),
        ("policyTypes: [Ingress, Ingress]\n", {"Ingress"}),
    ],
)
def test_policy_types_default_as_the_api_does(spec: str, types: set[str]) -> None:
    assert parsed(spec).policy_types == types


def test_policy_types_must_be_ingress_or_egress() -> None:
    spec = "policyTypes: [Ingress, egress]\n"
    assert problems(spec) == [(SPEC_LINE + 1, "spec.policyTypes[1]")]
    assert messages(spec) == [
        "unsupported value 'egress': must be Ingress or Egress (case matters)"
    ]


def test_at_most_two_policy_types() -> None:
    assert problems("policyTypes: [Ingress, Egress, Ingress]\n") == [
        (SPEC_LINE + 1, "spec.policyTypes")
    ]


def test_a_missing_spec_selects_every_pod_and_isolates_ingress() -> None:
    (result,) = load_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny, namespace: a}\n"
    ).policies
    assert (result.pod_selector, result.policy_types, result.ingress) == (
        LabelSelector(), {"Ingress"}, ()
    )


# --- rules ---------------------------------------------------------------------------------

def test_missing_or_empty_peers_and_ports_mean_all() -> None:
    result = parsed(
        """\
        ingress:
        - {}
        - from: []
          ports: []
        - from:
        egress:
        - to: []
        """
    )
    assert [(r.index, r.peers, r.ports) for r in result.ingress] == [
        (0, (), ()), (1, (), ()), (2, (), ())
    ]
    assert [(r.direction, r.index, r.peers) for r in result.egress] == [("egress", 0, ())]


def test_each_rule_records_its_position_and_line() -> None:
    result = parsed(
        """\
        podSelector: {matchLabels: {app: db}}
        ingress:
        - from:
          - podSelector: {matchLabels: {app: api}}
        - ports:
          - port: 5432
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/8}
        """
    )
    assert [(r.direction, r.index, r.origin) for r in result.ingress + result.egress] == [
        ("ingress", 0, Origin("test.yaml", SPEC_LINE + 3)),
        ("ingress", 1, Origin("test.yaml", SPEC_LINE + 5)),
        ("egress", 0, Origin("test.yaml", SPEC_LINE + 8)),
    ]
    assert result.origin == Origin("test.yaml", 1)
    assert result.pod_selector == LabelSelector((("app", "db"),))


def test_the_spec_is_kept_as_written() -> None:
    result = parsed("ingress:\n- ports: [{port: 80}]\n")
    assert result.spec == {"ingress": [{"ports": [{"port": 80}]}]}


# --- peers ---------------------------------------------------------------------------------

def test_peers_read_selectors_and_ip_blocks() -> None:
    result = parsed(
        """\
        ingress:
        - from:
          - podSelector: {matchLabels: {role: client}}
          - namespaceSelector: {}
          - namespaceSelector: {matchLabels: {team: a}}
            podSelector: {}
          - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
        """
    )
    net = ipaddress.ip_network
    assert result.ingress[0].peers == (
        Peer(pod_selector=LabelSelector((("role", "client"),))),
        Peer(namespace_selector=LabelSelector()),
        Peer(pod_selector=LabelSelector(), namespace_selector=LabelSelector((("team", "a"),))),
        Peer(ip_block=IPBlock(net("192.168.0.0/16"), (net("192.168.1.0/24"),))),
    )


@pytest.mark.parametrize(
    ("peer", "line"),
    [("{}", 4), ("{podSelector: null}", 4), ("", 2)],  # a null peer is located at its rule
)
def test_an_empty_peer_is_rejected_as_the_api_does(peer: str, line: int) -> None:
    spec = f"ingress:\n- from:\n  - podSelector: {{}}\n  - {peer}\n"
    found = problems_in(policy(spec))
    assert located(found) == [(SPEC_LINE + line, "spec.ingress[0].from[1]")]
    assert found[0].message.startswith("must specify a peer: podSelector, namespaceSelector or")


@pytest.mark.parametrize("selector", ["podSelector", "namespaceSelector"])
def test_ip_block_beside_a_selector_is_rejected(selector: str) -> None:
    spec = f"egress:\n- to:\n  - ipBlock: {{cidr: 10.0.0.0/8}}\n    {selector}: {{}}\n"
    assert problems(spec) == [(SPEC_LINE + 3, "spec.egress[0].to[0]")]
    assert "may not specify both ipBlock and another peer" in messages(spec)[0]


# --- the object itself ---------------------------------------------------------------------

def test_name_is_required() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: a}\n"
    (problem,) = problems_in(text)
    assert (problem.line, problem.obj, problem.field) == (
        1, "NetworkPolicy a/(unnamed)", "metadata.name"
    )


def test_name_must_be_a_dns_subdomain() -> None:
    (problem,) = problems_in(policy("podSelector: {}\n", name="Backend_1"))
    assert (problem.line, problem.field, problem.obj) == (
        1, "metadata.name", "NetworkPolicy production/Backend_1"
    )


def test_unknown_fields_are_rejected_as_kubectl_does() -> None:
    spec = """\
    podselector: {matchLabels: {app: db}}
    ingress:
    - from:
      - podSelector: {matchLabel: {app: api}}
    """
    found = problems_in(policy(spec))
    assert located(found) == [
        (SPEC_LINE + 1, "spec.podselector"),
        (SPEC_LINE + 4, "spec.ingress[0].from[0].podSelector.matchLabel"),
    ]
    assert found[0].message == (
        "unknown field; did you mean 'podSelector'? expected one of: podSelector, policyTypes, "
        "ingress, egress"
    )
    assert found[1].message.startswith("unknown field; did you mean 'matchLabels'?")


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ("ingress: {from: []}\n", "spec.ingress", "must be a list, not a mapping"),
        ("ingress: [[]]\n", "spec.ingress[0]", "must be a mapping, not a list"),
        ("ingress: [{from: {podSelector: {}}}]\n", "spec.ingress[0].from", "must be a list"),
        ("podSelector: {matchLabels: [a]}\n", "spec.podSelector.matchLabels", "a mapping"),
        ("policyTypes: Ingress\n", "spec.policyTypes", "must be a list, not a string"),
    ],
)
def test_wrong_types_are_reported(spec: str, field: str, words: str) -> None:
    (problem,) = problems_in(policy(spec))
    assert problem.field == field
    assert words in problem.message


def test_every_problem_of_a_policy_is_reported_together() -> None:
    spec = """\
    policyTypes: [Ingress, Egres]
    ingress:
    - from:
      - {}
      ports:
      - {protocol: TCP, port: 0}
    egress:
    - to:
      - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}
        namespaceSelector: {}
    """
    found = problems_in(policy(spec))
    assert located(found) == [
        (SPEC_LINE + 1, "spec.policyTypes[1]"),
        (SPEC_LINE + 4, "spec.ingress[0].from[0]"),
        (SPEC_LINE + 6, "spec.ingress[0].ports[0].port"),
        (SPEC_LINE + 9, "spec.egress[0].to[0]"),
        (SPEC_LINE + 9, "spec.egress[0].to[0].ipBlock.except[0]"),
    ]
    assert {p.obj for p in found} == {"NetworkPolicy production/backend"}
    assert {p.file for p in found} == {"test.yaml"}


def test_a_file_of_mistakes_reports_each_one_with_what_is_expected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(DATA)
    with pytest.raises(ValidationError) as caught:
        load_paths(["invalid-policies.yaml"])
    where = "error: invalid-policies.yaml"
    payments = "NetworkPolicy payments/payments-ingress"
    internet = "NetworkPolicy payments/egress-internet"
    assert caught.value.diagnostics().splitlines() == [
        f"{where}:8: {payments}, spec.podselector: unknown field; did you mean 'podSelector'? "
        "expected one of: podSelector, "
        "policyTypes, ingress, egress",
        f"{where}:12: {payments}, spec.ingress[0].from[0]: may not specify both ipBlock and "
        "another peer: put the ipBlock in its own entry",
        f"{where}:17: {payments}, spec.ingress[0].ports[0].protocol: unsupported protocol 'tcp': "
        "must be TCP, UDP or SCTP (upper case)",
        f"{where}:17: {payments}, spec.ingress[0].ports[0].port: invalid port name '443': must "
        "contain at least one letter (a-z); write port numbers without quotes",
        f"{where}:26: {internet}, spec.policyTypes[0]: unsupported value 'egress': must be "
        "Ingress or Egress (case matters)",
        f"{where}:31: {internet}, spec.egress[0].to[0].ipBlock.except[1]: '0.0.0.0/0' must be a "
        "strict subset of `cidr` '0.0.0.0/0': inside it, with a longer prefix",
        f"{where}:33: {internet}, spec.egress[0].to[1]: must specify a peer: podSelector, "
        "namespaceSelector or ipBlock (an empty peer is rejected by the API; to allow every "
        "peer, leave out the list)",
        f"{where}:35: {payments}, metadata.name: duplicate object: also defined at "
        "invalid-policies.yaml:2, differently (labels, ports, selectors or rules); each object "
        "may be given once (remove one, leave one out with --exclude, or do not pass both "
        "manifests and a dump of them)",
        f"{where}:43: {payments}, spec.podSelector.matchExpressions[0].values: required "
        "(non-empty) with operator In",
        "9 problems in 1 file, each listed above",
        "hint: fix these so that the API server would accept the manifests; each message says "
        "what is expected",
    ]
