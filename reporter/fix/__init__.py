"""``reporter fix``: NetworkPolicy YAML that closes failing findings, re-checked before it is
written (what it closes, and that no declared flow is cut)."""

from reporter.fix.propose import NOT_CLOSABLE, PolicyText, Proposal, RuleText, propose
from reporter.fix.recheck import Recheck, Rechecker, applied
from reporter.fix.yamlout import proposal_yaml

__all__ = ["NOT_CLOSABLE", "PolicyText", "Proposal", "Recheck", "Rechecker", "RuleText",
           "applied", "propose", "proposal_yaml"]
