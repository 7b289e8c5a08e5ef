"""Wording shared by the checks' findings and the renderers."""


def counted(count: int, noun: str) -> str:
    """A count with its noun: ``1 workload``, ``2 workloads`` (the plural adds an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
