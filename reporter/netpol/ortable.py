"""ORs of peer rows, each masked with port atoms: the kernel of the class algebra.

An output (one ingress column, one egress row) is ``OR over entries of (peer row AND mask)``.
Entries sharing a mask are first ORed as bits (64 cells a word), so the wide atom words are
written once per distinct mask of an output, not once per rule, and only where a row holds.
"""

from __future__ import annotations

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

    @property
    def entries(self) -> int:
        return len(self.entry_peer)


def build_table(output: Indices, peer: Indices, mask: Indices, masks: Words,
                outputs: int) -> OrTable:
    """The table of ``outputs`` outputs from entries: entry ``i`` ORs peer row ``peer[i]``,
    widened to ``masks[mask[i]]``, into output ``output[i]``. Repeated entries count once and
    entries with an empty mask are dropped."""
    keep = np.asarray(masks.any(axis=1))[mask]
    n_masks, n_peers = len(masks), int(peer.max(initial=-1)) + 1
    # One integer per entry orders them by output, mask and peer: a sort of one int64 column is
    # several times faster than a lexsort of three. Outputs, masks and peers are each bounded
    # by the estate's endpoints or rules, so the product stays far below 2**63.
    key = np.unique((output[keep] * n_masks + mask[keep]) * n_peers + peer[keep])
    group_key, peer = np.divmod(key, max(n_peers, 1))
    starts = np.flatnonzero(np.diff(group_key, prepend=-1))
    group_output, group_mask = np.divmod(group_key[starts], max(n_masks, 1))
    return OrTable(
        np.searchsorted(group_output, np.arange(outputs + 1)).astype(np.intp),
        np.append(starts, len(peer)).astype(np.intp), group_mask.astype(np.intp),
        peer.astype(np.intp), masks)


def same_outputs(*tables: OrTable) -> tuple[Indices, Indices]:
    """Outputs that OR the same entries in every table (of the same outputs) are one kind: per
    output its kind, and the first output of each kind."""
    kinds: dict[bytes, int] = {}
    ids: list[int] = []
    firsts: list[int] = []
    for output in range(len(tables[0].output_ptr) - 1):
        key = b"".join(_entries_key(table, output) for table in tables)
        kind = kinds.setdefault(key, len(kinds))
        if kind == len(firsts):
            firsts.append(output)
        ids.append(kind)
    return np.array(ids, dtype=np.intp), np.array(firsts, dtype=np.intp)


def subset(table: OrTable, ids: Indices) -> OrTable:
    """The table of the outputs ``ids`` alone, in that order."""
    groups, output_starts = _flat_ranges(table.output_ptr, ids)
    entries, group_starts = _flat_ranges(table.group_ptr, groups)
    return OrTable(np.append(output_starts, len(groups)), np.append(group_starts, len(entries)),
                   table.group_mask[groups], table.entry_peer[entries], table.masks)


def _entries_key(table: OrTable, output: int) -> bytes:
    first, last = table.output_ptr[output], table.output_ptr[output + 1]
    start = table.group_ptr[first]
    return b"|".join((table.group_mask[first:last].tobytes(),
                      (table.group_ptr[first:last + 1] - start).tobytes(),
                      table.entry_peer[start:table.group_ptr[last]].tobytes(), b""))


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
