"""Wording shared by the checks' findings and the renderers."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun: ``1 workload``, ``2 workloads`` (the plural adds an s unless
    given: ``counted(n, "NetworkPolicy", "NetworkPolicies")``)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
