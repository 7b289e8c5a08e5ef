"""ORs of peer rows, each masked with port atoms: the kernel of the class algebra.

An output (one ingress column, one egress row) is ``OR over entries of (peer row AND mask)``.
Entries sharing a mask are first ORed as bits (64 cells a word), so the wide atom words are
written once per distinct mask of an output, not once per rule, and only where a row holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def _longest_first(starts: Indices, total: int) -> tuple[Indices, Indices, list[int]]:
    """Segments by decreasing length: their order, first rows, and for each step j >= 1 how
    many segments still have a j-th row (a prefix, being sorted)."""
    lengths = np.diff(np.append(starts, total))
    order = np.argsort(-lengths, kind="stable")
    first, lengths = starts[order], lengths[order]
    live = np.searchsorted(-lengths, -np.arange(1, int(lengths.max(initial=1))), side="left")
    return order, first, live.tolist()


def widened_or(rows: BoolRows, starts: Indices, masks: Words) -> Words:
    """(segments, cells, words): per segment ``rows[starts[i]:starts[i+1]]`` (the last to the
    end), the OR of each boolean row widened to its mask's atoms where it holds; ``masks`` holds
    one row of words per row, or one per row and cell.

    Segments are taken longest first, so step j ORs the j-th row of the first segments into a
    contiguous prefix of the result: fancy-indexed updates are several times slower.
    """
    order, first, live = _longest_first(starts, len(rows))
    out = np.zeros((len(starts), rows.shape[1], masks.shape[-1]), dtype=np.uint64)
    for count, j in zip([len(starts), *live], range(len(live) + 1), strict=True):
        index = first[:count] + j
        widths = masks[index] if masks.ndim == 3 else masks[index][:, None, :]
        # in place where the row holds: no temporary as wide as the words
        np.bitwise_or(out[:count], widths, out=out[:count], where=rows[index][..., None])
    result = np.empty_like(out)
    result[order] = out
    return result


def packed(rows: BoolRows) -> Words:
    """Boolean rows as bits, 64 cells a word (the last word padded with zeros)."""
    padded = np.zeros((rows.shape[0], -(-rows.shape[1] // 64) * 64), dtype=bool)
    padded[:, : rows.shape[1]] = rows
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64)


@dataclass(frozen=True, slots=True)
class Plan:
    """The entries of some outputs of a table, laid out for evaluation over any cells."""

    entry_peer: Indices
    group_starts: Indices
    output_starts: Indices
    group_mask: Indices


def plan(table: OrTable, ids: Indices) -> Plan:
    """The outputs ``ids`` of ``table``, each with at least one group."""
    groups, output_starts = _flat_ranges(table.output_ptr, ids)
    entries, group_starts = _flat_ranges(table.group_ptr, groups)
    return Plan(table.entry_peer[entries], group_starts, output_starts, table.group_mask[groups])


def evaluate(layout: Plan, peer_bits: Words, cells: int, masks: Words) -> Words:
    """(outputs, cells, words): the planned outputs over the ``cells`` columns of the peer rows,
    given :func:`packed`.

    Peers are ORed as bits, 64 cells an operation; only each group's result is unpacked, to be
    widened to its mask: ``masks[mask id]``, a row of words or one per cell.
    """
    hit = np.bitwise_or.reduceat(peer_bits[layout.entry_peer], layout.group_starts, axis=0)
    rows = np.unpackbits(hit.view(np.uint8), axis=1, count=cells, bitorder="little")
    return widened_or(rows.view(np.bool_), layout.output_starts, masks[layout.group_mask])
