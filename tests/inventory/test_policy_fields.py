"""NetworkPolicy ports, ipBlocks and label selectors, validated as the Kubernetes API does."""

from __future__ import annotations

import ipaddress

import pytest

from reporter.inventory.model import IPBlock, LabelSelector, PortSpec, Requirement

from .helpers import SPEC_LINE, messages, parsed, problems

# --- ports ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ("{}", PortSpec("TCP", None, None)),
        ("{protocol: UDP}", PortSpec("UDP", None, None)),
        ("{protocol: SCTP, port: 9}", PortSpec("SCTP", 9, None)),
        ("{port: 443}", PortSpec("TCP", 443, None)),
        ("{port: 1}", PortSpec("TCP", 1, None)),
        ("{port: 65535}", PortSpec("TCP", 65535, None)),
        ("{port: http}", PortSpec("TCP", "http", None)),
        ("{port: dns-tcp, protocol: TCP}", PortSpec("TCP", "dns-tcp", None)),
        ("{port: abcdefghijklmn5}", PortSpec("TCP", "abcdefghijklmn5", None)),
        ("{port: 30000, endPort: 32767}", PortSpec("TCP", 30000, 32767)),
        ("{port: 80, endPort: 80}", PortSpec("TCP", 80, 80)),
        ("{port: 1, endPort: 1}", PortSpec("TCP", 1, 1)),
        ("{port: 80, endPort: 65535}", PortSpec("TCP", 80, 65535)),
    ],
)
def test_valid_ports(port: str, expected: PortSpec) -> None:
    assert parsed(f"ingress:\n- ports:\n  - {port}\n").ingress[0].ports == (expected,)


@pytest.mark.parametrize(
    ("port", "fields", "words"),
    [
        ("{protocol: tcp}", ["protocol"], "must be TCP, UDP or SCTP"),
        ("{protocol: ICMP}", ["protocol"], "unsupported protocol 'ICMP'"),
        ("{port: 0}", ["port"], "must be 1-65535"),
        ("{port: 65536}", ["port"], "must be 1-65535"),
        ("{port: '8080'}", ["port"], "write port numbers without quotes"),
        ("{port: HTTP}", ["port"], "only lower case alphanumeric"),
        ("{port: web--ui}", ["port"], "consecutive hyphens"),
        ("{port: -web}", ["port"], "begin or end with a hyphen"),
        ("{port: abcdefghijklmnop}", ["port"], "no more than 15 characters"),
        ("{port: true}", ["port"], "a port number (1-65535) or a port name"),
        ("{endPort: 90}", ["endPort"], "may not be specified when `port` is not specified"),
        ("{port: http, endPort: 90}", ["endPort"], "when `port` is a port name"),
        ("{port: 90, endPort: 80}", ["endPort"], "greater than or equal to `port` (90)"),
        ("{port: 80, endPort: 70000}", ["endPort"], "must be 1-65535"),
        ("{port: 80, endPort: 65536}", ["endPort"], "must be 1-65535"),
        ("{port: 80, endPort: '90'}", ["endPort"], "must be an integer"),
    ],
)
def test_invalid_ports(port: str, fields: list[str], words: str) -> None:
    spec = f"ingress:\n- ports:\n  - {port}\n"
    assert problems(spec) == [(SPEC_LINE + 3, f"spec.ingress[0].ports[0].{f}") for f in fields]
    assert words in messages(spec)[0]


# --- ipBlock -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("block", "cidr", "excepts"),
    [
        ("{cidr: 10.0.0.0/8}", "10.0.0.0/8", []),
        ("{cidr: 10.1.2.3/8}", "10.0.0.0/8", []),  # host bits allowed, as the API allows them
        ("{cidr: 0.0.0.0/0, except: [169.254.169.254/32]}", "0.0.0.0/0", ["169.254.169.254/32"]),
        ("{cidr: 10.0.0.0/8, except: [10.1.2.3/16]}", "10.0.0.0/8", ["10.1.0.0/16"]),
        ("{cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}", "2001:db8::/32",
         ["2001:db8:1::/48"]),
        ("{cidr: '::/0'}", "::/0", []),
    ],
)
def test_valid_ip_blocks(block: str, cidr: str, excepts: list[str]) -> None:
    peer = parsed(f"egress:\n- to:\n  - ipBlock: {block}\n").egress[0].peers[0]
    net = ipaddress.ip_network
    assert peer.ip_block == IPBlock(net(cidr), tuple(net(e) for e in excepts))


@pytest.mark.parametrize(
    ("block", "field", "words"),
    [
        ("{}", "cidr", "required"),
        ("{cidr: ''}", "cidr", "required"),
        ("{cidr: null}", "cidr", "required"),
        ("{cidr: 10.0.0.0}", "cidr", "invalid CIDR '10.0.0.0'"),
        ("{cidr: 10.0.0.0/33}", "cidr", "prefix length"),
        # The except list is not judged against a cidr that is no network.
        ("{cidr: 10.0.0.0/33, except: [10.0.0.0/24]}", "cidr", "prefix length"),
        ("{cidr: 10.0.0.0/255.0.0.0}", "cidr", "invalid CIDR"),
        ("{cidr: 300.0.0.0/8}", "cidr", "invalid CIDR"),
        ("{cidr: banana}", "cidr", "invalid CIDR"),
        ("{cidr: 10}", "cidr", "must be a string"),
        ("{cidr: 10.0.0.0/8, except: [192.168.0.0/24]}", "except[0]", "strict subset of `cidr`"),
        ("{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}", "except[0]", "strict subset"),
        ("{cidr: 10.0.0.0/8, except: [10.0.0.0/7]}", "except[0]", "strict subset"),
        ("{cidr: 10.0.0.0/8, except: ['::/64']}", "except[0]", "strict subset"),
        ("{cidr: 10.0.0.0/8, except: [10.0.0.0/40]}", "except[0]", "invalid CIDR"),
        ("{cidr: 10.0.0.0/8, except: [10]}", "except[0]", "must be a CIDR string"),
        ("{cidr: 10.0.0.0/8, except: 10.1.0.0/16}", "except", "must be a list"),
    ],
)
def test_invalid_ip_blocks(block: str, field: str, words: str) -> None:
    spec = f"egress:\n- to:\n  - ipBlock: {block}\n"
    assert problems(spec) == [(SPEC_LINE + 3, f"spec.egress[0].to[0].ipBlock.{field}")]
    assert words in messages(spec)[0]


def test_the_line_is_that_of_the_nearest_mapping() -> None:
    spec = """\
    egress:
    - to:
      - ipBlock:
          cidr: 10.0.0.0/8
          except:
          - 10.1.0.0/16
          - 172.16.0.0/12
    """
    assert problems(spec) == [(SPEC_LINE + 4, "spec.egress[0].to[0].ipBlock.except[1]")]


# --- selectors -----------------------------------------------------------------------------

def test_selectors_read_labels_and_expressions() -> None:
    result = parsed(
        """\
        podSelector:
          matchLabels: {app.kubernetes.io/name: web, tier: ''}
          matchExpressions:
          - {key: env, operator: In, values: [prod, staging]}
          - {key: env, operator: NotIn, values: [dev]}
          - {key: pci, operator: Exists}
          - {key: legacy, operator: DoesNotExist, values: []}
        """
    )
    assert result.pod_selector == LabelSelector(
        (("app.kubernetes.io/name", "web"), ("tier", "")),
        (
            Requirement("env", "In", ("prod", "staging")),
            Requirement("env", "NotIn", ("dev",)),
            Requirement("pci", "Exists"),
            Requirement("legacy", "DoesNotExist"),
        ),
    )


@pytest.mark.parametrize(
    ("expression", "field", "words"),
    [
        ("{key: env, operator: in, values: [a]}", "operator", "must be In, NotIn, Exists or"),
        ("{key: env, values: [a]}", "operator", "required"),
        ("{operator: Exists}", "key", "required"),
        ("{key: env, operator: In}", "values", "required (non-empty) with operator In"),
        ("{key: env, operator: NotIn, values: []}", "values", "required (non-empty)"),
        ("{key: env, operator: Exists, values: [a]}", "values", "may not be given"),
        ("{key: env, operator: DoesNotExist, values: [a]}", "values", "may not be given"),
        ("{key: -env, operator: Exists}", "key", "must start and end with an alphanumeric"),
        ("{key: a/b/c, operator: Exists}", "key", "one '/'"),
        ("{key: example.com/, operator: Exists}", "key", "name part must be non-empty"),
        ("{key: /env, operator: Exists}", "key", "prefix part must be non-empty"),
        ("{key: Example.com/env, operator: Exists}", "key", "prefix part must consist of lower"),
        (f"{{key: {'k' * 64}, operator: Exists}}", "key", "no more than 63 characters"),
        (f"{{key: env, operator: In, values: [{'v' * 64}]}}", "values[0]", "no more than 63"),
        ("{key: env, operator: In, values: [-x]}", "values[0]", "must start and end"),
        ("{key: env, operator: In, values: [1]}", "values[0]", "must be a string, not a number"),
    ],
)
def test_invalid_expressions(expression: str, field: str, words: str) -> None:
    spec = f"podSelector:\n  matchExpressions:\n  - {expression}\n"
    assert problems(spec) == [(SPEC_LINE + 3, f"spec.podSelector.matchExpressions[0].{field}")]
    assert words in messages(spec)[0]


@pytest.mark.parametrize(
    ("labels", "field", "words"),
    [
        ("{app: true}", "app", "value must be a string, not true/false: quote it"),
        ("{version: 1.0}", "version", "value must be a string, not a number"),
        ("{app: -web}", "app", "must start and end with an alphanumeric"),
        ("{my app: web}", "my app", "key name part must consist of alphanumeric"),
        (f"{{app: {'x' * 64}}}", "app", "no more than 63 characters"),
    ],
)
def test_invalid_match_labels(labels: str, field: str, words: str) -> None:
    spec = f"ingress:\n- from:\n  - namespaceSelector:\n      matchLabels: {labels}\n"
    where = f"spec.ingress[0].from[0].namespaceSelector.matchLabels.{field}"
    assert problems(spec) == [(SPEC_LINE + 4, where)]
    assert words in messages(spec)[0]
