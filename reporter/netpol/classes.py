"""Classes of endpoints that the policies cannot tell apart.

Two sources are alike when the same ingress peers contain them and the same egress policies
select them; two destinations are alike when the same ingress policies select them, the same
egress peers contain them and their named ports resolve alike. What one source may send to one
destination then depends only on their classes, so reachability is a matrix over
(destination class, source class) that every endpoint pair reads one cell of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Indices = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Partition:
    """Endpoints split into classes of identical features."""

    class_of: Indices
    """Class of each endpoint."""
    representative: Indices
    """One endpoint of each class (the first, in endpoint order)."""

    @property
    def size(self) -> int:
        return len(self.representative)

    def sizes(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.class_of, minlength=self.size).astype(np.int64)

    def reordered(self, order: Indices) -> Partition:
        """The same classes, class ``order[i]`` becoming class ``i``."""
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return Partition(rank[self.class_of], self.representative[order])

    def members(self) -> list[Indices]:
        """The endpoints of each class, in endpoint order."""
        order = np.argsort(self.class_of, kind="stable")
        bounds = np.cumsum(self.sizes())[:-1]
        return np.split(order, bounds)


def partition(n: int, features: Sequence[Indices], tags: npt.NDArray[np.int32]) -> Partition:
    """Split ``n`` endpoints by which ``features`` (lists of member endpoints) hold them and by
    ``tags`` (one integer each). Exact: each endpoint's features become one packed bit row."""
    width = (len(features) + 7) // 8
    packed = np.zeros((n, width + 4), dtype=np.uint8)
    for f, members in enumerate(features):
        packed[members, f >> 3] |= np.uint8(1 << (f & 7))
    packed[:, width:] = np.ascontiguousarray(tags, dtype="<i4").view(np.uint8).reshape(n, 4)
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    # Number classes in the order of their first endpoint, so the result does not depend on
    # how the bytes happen to sort.
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return Partition(renumber[inverse.reshape(-1)].astype(np.intp),
                     first[order].astype(np.intp))
