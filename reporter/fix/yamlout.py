"""Proposals as YAML files: one NetworkPolicy per document, a comment above each rule saying why
it is there."""

from __future__ import annotations

from typing import Any

import yaml

from reporter.fix.propose import PolicyText, Proposal
from reporter.inventory.manifests import PROPOSAL_HEADER


def _dump(data: Any) -> list[str]:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).splitlines()


def _comment(text: str, indent: str = "") -> str:
    return f"{indent}# {' '.join(text.split())}"


def policy_yaml(policy: PolicyText) -> list[str]:
    lines = [_comment(h) for h in policy.header]
    lines += _dump({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": policy.name, "namespace": policy.namespace}})
    lines.append("spec:")
    lines += ["  " + line for line in _dump({"podSelector": policy.pod_selector,
                                              "policyTypes": list(policy.policy_types)})]
    for direction, rules in policy.rules.items():
        lines.append(f"  {direction}:")
        for rule in rules:
            lines.append(_comment(rule.why, "  "))
            lines += ["  " + line for line in _dump([rule.rule])]
    return lines


def proposal_yaml(proposal: Proposal) -> str:
    lines = [f"{PROPOSAL_HEADER} It closes:"]
    lines += [_comment(f"  {check_id}: {target}") for check_id, target in proposal.closes]
    lines += [_comment(f"note: {n}") for n in proposal.notes]
    documents = ["\n".join(policy_yaml(p)) for p in proposal.policies]
    return "\n".join(lines) + "\n" + "\n---\n".join(documents) + "\n"
