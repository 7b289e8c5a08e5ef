"""Attack paths: who can reach the data stores from the internet, in how many hops, through
which rules (``reporter paths``, the check ``paths.internet-to-datastore``)."""

from reporter.paths.graph import WorkloadGraph
from reporter.paths.search import (
    INTERNET,
    AttackPath,
    Hop,
    PathFinder,
    PathReport,
    Selection,
    TargetPaths,
    datastores,
    default_destination,
    endpoint_indices,
    select,
)

__all__ = [
    "INTERNET", "AttackPath", "Hop", "PathFinder", "PathReport", "Selection", "TargetPaths",
    "WorkloadGraph", "datastores", "default_destination", "endpoint_indices",
    "select",
]
