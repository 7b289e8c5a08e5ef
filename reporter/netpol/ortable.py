"""ORs of peer rows, each masked with port atoms: the kernel of the class algebra.

An output (one ingress column, one egress row) is ``OR over entries of (peer row AND mask)``.
Entries sharing a mask are first ORed as booleans (one byte per cell), so the wide atom words
are written once per distinct mask of an output, not once per rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Indices = npt.NDArray[np.intp]
Words = npt.NDArray[np.uint64]
BoolRows = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class OrTable:
    """Outputs → groups of one mask → entries (peer rows), as nested CSR ranges."""

    output_ptr: Indices
    group_ptr: Indices
    group_mask: Indices
    entry_peer: Indices
    masks: Words
    """(distinct masks, words)."""

    def size(self, output: int) -> int:
        return int(self.output_ptr[output + 1] - self.output_ptr[output])

    @property
    def entries(self) -> int:
        return len(self.entry_peer)


def build_table(outputs: Sequence[Sequence[tuple[int, int]]],
                to_words: Callable[[Sequence[int]], Words]) -> OrTable:
    """``outputs[i]``: the (peer row, atom mask) entries ORed into output ``i``."""
    mask_ids: dict[int, int] = {}
    output_ptr, group_ptr, group_mask, entry_peer = [0], [0], [], []
    for entries in outputs:
        by_mask: dict[int, list[int]] = defaultdict(list)
        for peer, mask in entries:
            if mask:
                by_mask[mask_ids.setdefault(mask, len(mask_ids))].append(peer)
        for mask_id in sorted(by_mask):
            entry_peer.extend(sorted(set(by_mask[mask_id])))
            group_ptr.append(len(entry_peer))
            group_mask.append(mask_id)
        output_ptr.append(len(group_mask))
    return OrTable(np.array(output_ptr, dtype=np.intp), np.array(group_ptr, dtype=np.intp),
                   np.array(group_mask, dtype=np.intp), np.array(entry_peer, dtype=np.intp),
                   to_words(list(mask_ids)))


def _flat_ranges(ptr: Indices, ids: Indices) -> tuple[Indices, Indices]:
    """The indices ``ptr[i]..ptr[i+1]`` for every i in ``ids``, and where each range starts."""
    lengths = ptr[ids + 1] - ptr[ids]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    flat = np.arange(int(lengths.sum()), dtype=np.intp) + np.repeat(ptr[ids] - starts, lengths)
    return flat, starts


def segmented_or(rows: npt.NDArray[Any], starts: Indices,
                 masks: Words | None = None) -> npt.NDArray[Any]:
    """OR of ``rows[starts[i]:starts[i+1]]`` (the last to the end) for each i; with ``masks``
    (one per row), of each boolean row widened to its mask's atoms where it holds.

    Segments are taken longest first, so step j ORs the j-th row of the first segments into a
    contiguous prefix of the result: ``ufunc.reduceat`` along the first axis, or fancy-indexed
    updates, are several times slower.
    """
    if masks is None and rows.dtype == np.bool_ and rows.ndim == 2 and rows.shape[1] % 8 == 0:
        words = segmented_or(np.ascontiguousarray(rows).view(np.uint64), starts)
        return words.view(np.bool_)
    lengths = np.diff(np.append(starts, len(rows)))
    order = np.argsort(-lengths, kind="stable")
    first, lengths = starts[order], lengths[order]
    live = np.searchsorted(-lengths, -np.arange(1, int(lengths.max(initial=1))), side="left")

    def take(index: Indices) -> npt.NDArray[Any]:
        if masks is None:
            return rows[index]
        return np.where(rows[index][..., None], masks[index][:, None, :], np.uint64(0))

    out = take(first)
    for j, count in enumerate(live.tolist(), start=1):
        out[:count] |= take(first[:count] + j)
    result = np.empty_like(out)
    result[order] = out
    return result


def evaluate(table: OrTable, ids: Indices, peer_rows: BoolRows) -> Words:
    """(len(ids), cells, words): the outputs ``ids`` (each with at least one group) over the
    columns of ``peer_rows`` (peers, cells)."""
    groups, output_starts = _flat_ranges(table.output_ptr, ids)
    entries, group_starts = _flat_ranges(table.group_ptr, groups)
    hit = segmented_or(peer_rows[table.entry_peer[entries]], group_starts)
    return segmented_or(hit, output_starts, table.masks[table.group_mask[groups]])
