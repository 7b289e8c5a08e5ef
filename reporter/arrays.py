"""Array helpers shared by the engine and the checks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.intp]


def distinct(values: npt.NDArray[np.integer]) -> IntArray:
    """The distinct values, sorted: ``np.unique`` by sorting. NumPy 2.3+ answers a plain
    ``np.unique`` of integers with a hash table, many times slower here (numpy#30496)."""
    ordered = np.sort(values, axis=None)
    return ordered[run_starts(ordered)]


def distinct_counts(values: npt.NDArray[np.integer]) -> tuple[IntArray, IntArray]:
    """The distinct values, sorted, and how often each occurs (by sorting, as :func:`distinct`)."""
    ordered = np.sort(values, axis=None)
    starts = np.flatnonzero(run_starts(ordered))
    return ordered[starts], np.diff(starts, append=ordered.size)


def distinct_inverse(values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values, sorted, and each value's index among them (by sorting, as
    :func:`distinct`)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = run_starts(ordered)
    inverse = np.empty(values.size, dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def ragged(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For rows repeated ``counts`` times: each repeat's row and its position in the row."""
    owner = np.repeat(np.arange(counts.size), counts)
    firsts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - firsts[owner]


def run_starts(ordered: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
    """Where each run of equal values of a sorted array begins."""
    starts = np.empty(ordered.size, dtype=bool)
    if ordered.size:
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts
