"""Array helpers shared by the engine and the checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.intp]


def distinct(values: npt.NDArray[np.integer]) -> IntArray:
    """The distinct values, sorted: ``np.unique`` by sorting. NumPy 2.3+ answers a plain
    ``np.unique`` of integers with a hash table, many times slower here (numpy#30496)."""
    ordered, low = _sorted_narrow(values)
    return _widened(ordered[run_starts(ordered)], low, values.dtype)


def distinct_counts(values: npt.NDArray[np.integer]) -> tuple[IntArray, IntArray]:
    """The distinct values, sorted, and how often each occurs (by sorting, as :func:`distinct`)."""
    ordered, low = _sorted_narrow(values)
    starts = np.flatnonzero(run_starts(ordered))
    return (_widened(ordered[starts], low, values.dtype),
            np.diff(starts, append=ordered.size))


def distinct_once(values: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """The distinct values, sorted, and whether each occurs once, as :func:`distinct_counts`
    but cheaper when equal values tend to be adjacent: runs are collapsed before sorting."""
    starts = np.flatnonzero(run_starts(values))
    repeated = np.diff(starts, append=values.size) > 1
    ordered, low = _sorted_narrow(values[starts] * 2 + repeated)  # a run's value, and a bit
    ordered = _widened(ordered, low, values.dtype)
    firsts = np.flatnonzero(run_starts(ordered >> 1))
    once = (np.diff(firsts, append=ordered.size) == 1) & (ordered[firsts] & 1 == 0)
    return ordered[firsts] >> 1, once


def distinct_counts_adjacent(values: npt.NDArray[np.integer]) -> tuple[IntArray, IntArray]:
    """As :func:`distinct_counts`, cheaper when equal values tend to be adjacent: each run is
    sorted as one value carrying its length in its low bits (a quarter of the values, for the
    inbound boundary scan's rows). What is left still holds ascending runs (~2 values each
    there), enough for a merge of runs to beat NumPy's default sort (0.9 ms against 2.4 ms a
    batch at 5,000 workloads)."""
    starts = np.flatnonzero(run_starts(values))
    lengths = np.diff(starts, append=values.size)
    bits = int(lengths.max(initial=0)).bit_length()
    low, high = int(values.min(initial=0)), int(values.max(initial=0))
    if (high - low) >> (63 - bits):  # the lengths would not fit beside the values
        return distinct_counts(values)
    ordered = np.sort(((values[starts].astype(np.int64) - low) << bits) | lengths, kind=RUNS)
    keys = ordered >> bits
    firsts = np.flatnonzero(run_starts(keys))
    counts = np.add.reduceat(ordered & ((1 << bits) - 1), firsts) if firsts.size else firsts
    return cast(IntArray, (keys[firsts] + low).astype(values.dtype)), counts


NARROW = 1 << 14
"""Arrays from this size are sorted as 32-bit offsets from their minimum when their range
allows: half the bytes, twice as fast to sort."""


def _sorted_narrow(values: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.integer], int | None]:
    """``values`` flattened and sorted, less their minimum as 32-bit integers when that loses
    nothing (the minimum, else None)."""
    if values.size < NARROW or values.dtype.itemsize <= 4:
        return np.sort(values, axis=None, kind=RUNS), None
    low, high = int(values.min()), int(values.max())
    if high - low > np.iinfo(np.uint32).max:
        return np.sort(values, axis=None, kind=RUNS), None
    return np.sort((values - low).astype(np.uint32), axis=None, kind=RUNS), low


RUNS: Final = "stable"
"""The sort for arrays made of sorted runs (the scan's columns list their sources in order,
and the codes built from them keep much of that order): NumPy's stable sort of 32- and 64-bit
integers is a timsort, which merges the runs it finds, four to five times faster here than the
default quicksort (it is twice as slow on values in random order)."""


def _widened(found: npt.NDArray[np.integer], low: int | None, dtype: np.dtype) -> IntArray:
    """Sorted values of ``_sorted_narrow`` back in their own type."""
    if low is not None:
        found = found.astype(dtype) + dtype.type(low)
    return cast(IntArray, found)


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


def spans(starts: IntArray, counts: IntArray) -> IntArray:
    """``arange(starts[i], starts[i] + counts[i])`` for every ``i``, concatenated: one running
    sum, not an array per span (nor :func:`ragged`'s owner and position arrays)."""
    kept = counts > 0
    starts, counts = starts[kept], counts[kept]
    steps = np.ones(int(counts.sum()), dtype=np.intp)
    if steps.size:
        firsts = np.cumsum(counts) - counts
        steps[0] = starts[0]
        steps[firsts[1:]] = starts[1:] - (starts[:-1] + counts[:-1] - 1)
    return np.cumsum(steps, out=steps)


def segment_search(values: npt.NDArray[np.integer], lo: IntArray, hi: IntArray,
                   targets: npt.NDArray[np.integer]) -> IntArray:
    """For each target, where it is or would be inserted in ``values[lo[i]:hi[i]]`` (sorted),
    as a position in ``values``: one binary search per target, all at once, never a key per
    value of ``values``."""
    lo, hi = lo.copy(), hi.copy()
    while (active := np.flatnonzero(lo < hi)).size:
        middle = (lo[active] + hi[active]) // 2
        below = values[middle] < targets[active]
        lo[active[below]] = middle[below] + 1
        hi[active[~below]] = middle[~below]
    return lo


def run_starts(ordered: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
    """Where each run of equal values of a sorted array begins."""
    starts = np.empty(ordered.size, dtype=bool)
    if ordered.size:
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


NARROW_CODES = 1 << 32
"""Mixed-radix codes are 32-bit when there are at most this many."""


def mixed_codes(digits: Sequence[npt.NDArray[np.integer]], bases: Sequence[int]
                ) -> npt.NDArray[np.integer]:
    """``((d0 * b1 + d1) * b2 + d2)…`` of digits ``d_i`` below ``b_i``: 32-bit unsigned when
    every code fits (they sort twice as fast), else 64-bit; OverflowError when they would not
    fit in 64 bits (no estate comes near: the callers' spans stay below 2**40)."""
    span = 1
    for base in bases:
        span *= base
    if span > 1 << 63:
        raise OverflowError(f"{span} mixed-radix codes do not fit in 64 bits")
    dtype = np.dtype(np.uint32 if span <= NARROW_CODES else np.int64)
    codes: npt.NDArray[np.integer] = digits[0].astype(dtype)
    for digit, base in zip(digits[1:], bases[1:], strict=True):
        np.multiply(codes, base, out=codes, casting="unsafe")
        np.add(codes, digit, out=codes, casting="unsafe")
    return codes
