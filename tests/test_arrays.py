"""The sorting helpers agree with NumPy's own answers, whichever way they sort."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
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


@given(st.sampled_from([np.int64, np.uint32, np.intp]), st.sampled_from([*SPANS, 2**62]),
       st.integers(0, 300), st.integers(1, 40), st.integers(0, 2**32))
def test_distinct_counts_of_adjacent_values_are_numpys(dtype: type, span: int, size: int,
                                                       longest: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    high = min(info.max, info.min + span) if info.min < 0 else min(info.max, span)
    runs = rng.integers(max(info.min, high - span), high, size, endpoint=True, dtype=dtype)
    values = np.repeat(runs, rng.integers(1, longest, size, endpoint=True))  # runs of each
    unique, counts = arrays.distinct_counts_adjacent(values)
    expected, expected_counts = np.unique(values, return_counts=True)
    assert unique.dtype == values.dtype
    assert unique.tolist() == expected.tolist()
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


@given(st.lists(st.integers(1, 2**15), min_size=1, max_size=4).flatmap(
    lambda bases: st.tuples(st.just(bases), st.lists(
        st.tuples(*(st.integers(0, base - 1) for base in bases)), max_size=20))),
    st.sampled_from([1, arrays.NARROW_CODES]))
def test_mixed_codes_are_the_numbers_the_digits_make(case: tuple[list[int], list[tuple[int, ...]]],
                                                     narrow: int) -> None:
    bases, rows = case
    digits = [np.array([row[i] for row in rows], dtype=np.intp) for i in range(len(bases))]
    with patch.object(arrays, "NARROW_CODES", narrow):
        codes = arrays.mixed_codes(digits, bases)
    expected = []
    for row in rows:
        code = 0
        for digit, base in zip(row, bases, strict=True):
            code = code * base + digit
        expected.append(code)
    assert codes.tolist() == expected
    span = int(np.prod(bases, dtype=object))
    assert codes.dtype == (np.uint32 if span <= narrow else np.int64)


def test_mixed_codes_too_many_for_64_bits_are_refused() -> None:
    digits = [np.zeros(1, dtype=np.intp)] * 2
    assert arrays.mixed_codes(digits, [2**32, 2**31]).dtype == np.int64
    with pytest.raises(OverflowError):
        arrays.mixed_codes(digits, [2**32, 2**31 + 1])


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 5)), max_size=30))
def test_spans_are_the_aranges_concatenated(spans: list[tuple[int, int]]) -> None:
    starts = np.array([s for s, _ in spans], dtype=np.intp)
    counts = np.array([c for _, c in spans], dtype=np.intp)
    expected = [v for s, c in spans for v in range(s, s + c)]
    assert arrays.spans(starts, counts).tolist() == expected


@given(st.lists(st.lists(st.integers(0, 20), max_size=8), min_size=1, max_size=6),
       st.lists(st.integers(-1, 21), min_size=1, max_size=6))
def test_segment_search_finds_each_target_in_its_own_segment(
        segments: list[list[int]], targets: list[int]) -> None:
    values = np.array([v for s in segments for v in sorted(s)], dtype=np.int32)
    bounds = np.cumsum([0, *(len(s) for s in segments)])
    which = np.arange(len(targets)) % len(segments)
    found = arrays.segment_search(values, bounds[which], bounds[which + 1],
                                  np.array(targets, dtype=np.intp))
    expected = [bounds[w] + np.searchsorted(sorted(segments[w]), t)
                for w, t in zip(which.tolist(), targets, strict=True)]
    assert found.tolist() == expected
