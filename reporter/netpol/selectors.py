"""Bulk label-selector evaluation: one boolean vector per selector over all objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from reporter.inventory.model import LabelSelector

BoolVector = npt.NDArray[np.bool_]


class SelectorIndex:
    """Inverted label index over a list of label maps; selector results are cached."""

    def __init__(self, label_maps: Sequence[Mapping[str, str]]) -> None:
        self.size = len(label_maps)
        by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_key: dict[str, list[int]] = defaultdict(list)
        for i, labels in enumerate(label_maps):
            for key, value in labels.items():
                by_pair[key, value].append(i)
                by_key[key].append(i)
        self._by_pair = {pair: np.array(found, dtype=np.intp) for pair, found in by_pair.items()}
        self._by_key = {key: np.array(found, dtype=np.intp) for key, found in by_key.items()}
        self._cache: dict[LabelSelector, BoolVector] = {}

    def _vector(self, *indices: npt.NDArray[np.intp] | None) -> BoolVector:
        vector = np.zeros(self.size, dtype=bool)
        for found in indices:
            if found is not None:
                vector[found] = True
        return vector

    def _any_of(self, key: str, values: Iterable[str]) -> BoolVector:
        return self._vector(*(self._by_pair.get((key, v)) for v in values))

    def match(self, selector: LabelSelector) -> BoolVector:
        cached = self._cache.get(selector)
        if cached is not None:
            return cached
        result = np.ones(self.size, dtype=bool)
        for key, value in selector.match_labels:
            result &= self._vector(self._by_pair.get((key, value)))
        for req in selector.match_expressions:
            if req.operator == "In":
                result &= self._any_of(req.key, req.values)
            elif req.operator == "NotIn":  # a missing key is "not in"
                result &= ~self._any_of(req.key, req.values)
            elif req.operator == "Exists":
                result &= self._vector(self._by_key.get(req.key))
            else:
                result &= ~self._vector(self._by_key.get(req.key))
        result.flags.writeable = False
        self._cache[selector] = result
        return result
