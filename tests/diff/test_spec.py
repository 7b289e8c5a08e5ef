"""Normalised specs: what the API server would store, so only real changes make a diff."""

from __future__ import annotations

from reporter.diff.spec import normalised_spec, spec_yaml
from tests.inventory.helpers import load_text

from .estate import db_policy


def spec_of(text: str) -> dict[str, object]:
    (policy,) = load_text(text).policies
    return normalised_spec(policy.spec)


def test_key_order_flow_style_comments_and_spelled_out_defaults_do_not_matter() -> None:
    written = spec_of(db_policy())
    assert spec_of(db_policy(reordered=True, comment="# owned by team db\n")) == written
    assert spec_yaml(written) == """\
ingress:
- from:
  - podSelector:
      matchLabels:
        app: api
  ports:
  - port: 5432
    protocol: TCP
podSelector:
  matchLabels:
    app: db
policyTypes:
- Ingress
"""


def test_a_changed_port_is_a_different_spec() -> None:
    assert spec_of(db_policy(5433)) != spec_of(db_policy(5432))


def test_policy_types_are_defaulted_from_the_rules_and_compared_as_a_set() -> None:
    assert normalised_spec({})["policyTypes"] == ["Ingress"]
    assert normalised_spec({"egress": [{}]})["policyTypes"] == ["Egress", "Ingress"]
    assert normalised_spec({"egress": []})["policyTypes"] == ["Ingress"]
    assert normalised_spec({"policyTypes": ["Ingress", "Egress"]}) == normalised_spec(
        {"policyTypes": ["Egress", "Ingress"]})


def test_what_a_round_trip_through_the_api_drops_is_dropped() -> None:
    sparse = {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}
    verbose = {
        "podSelector": {"matchLabels": {}, "matchExpressions": []},
        "policyTypes": None,
        "ingress": [{"from": [], "ports": [{"port": 80, "protocol": "TCP"}]}],
        "egress": [],
    }
    assert normalised_spec(verbose) == normalised_spec(sparse) == {
        "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}]}],
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }


def test_empty_maps_that_mean_everything_are_kept() -> None:
    # `from: [{namespaceSelector: {}}]` admits every pod; without the peer it admits everyone
    assert normalised_spec({"ingress": [{"from": [{"namespaceSelector": {}}]}]})["ingress"] == [
        {"from": [{"namespaceSelector": {}}]}]
    assert normalised_spec({"ingress": [None]})["ingress"] == [{}]  # a null rule allows all


def test_udp_is_not_defaulted_away() -> None:
    spec = normalised_spec({"egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}]})
    assert spec["egress"] == [{"ports": [{"port": 53, "protocol": "UDP"},
                                         {"port": 53, "protocol": "TCP"}]}]
