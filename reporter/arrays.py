"""Array helpers shared by the engine and the checks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.intp]


def distinct(values: npt.NDArray[np.integer]) -> IntArray:
    """The distinct values, sorted: ``np.unique`` by sorting. NumPy 2.3+ answers a plain
    ``np.unique`` of integers with a hash table, many times slower here (numpy#30496)."""
    ordered = np.sort(values, axis=None)
    if not ordered.size:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
