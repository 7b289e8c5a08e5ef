"""``reporter gate``: fail a pull request that makes segmentation worse (BASE..HEAD)."""

from reporter.gate.compute import GateResult, NewConnection, Reason, run_gate

__all__ = ["GateResult", "NewConnection", "Reason", "run_gate"]
