"""The sorting helpers agree with NumPy's own answers, whichever way they sort."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reporter import arrays

SPANS = [10, 2**31, 2**32 - 1, 2**32, 2**40]
"""Value ranges around the 32-bit boundary where sorting narrows."""


@given(st.sampled_from([np.int64, np.int32, np.uint32, np.intp]), st.sampled_from(SPANS),
       st.integers(-(2**50), 2**50), st.integers(0, 300), st.integers(0, 2**32),
       st.sampled_from([1, arrays.NARROW]))
def test_distinct_values_and_counts_are_numpys(dtype: type, span: int, offset: int, size: int,
                                               seed: int, narrow: int) -> None:
    info = np.iinfo(dtype)
    low = max(info.min, min(offset, info.max - min(span, info.max - info.min)))
    high = min(info.max, low + span)
    values = np.random.default_rng(seed).integers(low, high, size, endpoint=True, dtype=dtype)
    values[: size // 3] = values[size // 3: 2 * (size // 3)]  # repeats
    values[-2:] = [low, high][-size:] if size else []  # the whole span
    with patch.object(arrays, "NARROW", narrow):  # 1: narrowed whenever the range allows
        found = arrays.distinct(values)
        unique, counts = arrays.distinct_counts(values)
    expected, expected_counts = np.unique(values, return_counts=True)
    assert found.dtype == values.dtype == unique.dtype
    assert found.tolist() == unique.tolist() == expected.tolist()
    assert counts.tolist() == expected_counts.tolist()


def test_a_range_of_exactly_32_bits_is_narrowed_and_one_more_is_not() -> None:
    with patch.object(arrays, "NARROW", 1):
        for span in (2**32 - 1, 2**32):
            values = np.array([7 + span, 7, 7 + span // 2, 7], dtype=np.int64)
            assert arrays.distinct(values).tolist() == [7, 7 + span // 2, 7 + span]
            assert arrays.distinct_counts(values)[1].tolist() == [2, 1, 1]


@given(st.lists(st.integers(-5, 5), max_size=200), st.sampled_from([1, arrays.NARROW]))
def test_distinct_once_tells_the_values_met_once(values: list[int], narrow: int) -> None:
    array = np.array(values, dtype=np.intp)
    with patch.object(arrays, "NARROW", narrow):
        found, once = arrays.distinct_once(array)
    expected, counts = np.unique(array, return_counts=True)
    assert found.tolist() == expected.tolist()
    assert once.tolist() == (counts == 1).tolist()
