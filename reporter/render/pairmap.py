"""The full workload-level map as the pack stores it: ``connectivity.json.gz``, columnar.

Destinations that admit the same sources on the same connection sets share one entry, and each
set of sources is stored once, as a bit set over the endpoint list, however many destinations
admit it. Built from the engine's class matrix a block at a time, so no Python object is ever
made per pair. The format (``docs/pack-schema.md``)::

    {"format": "compliance-reporter/connectivity/1",
     "pairs": 20000398,                       # allowed (source, destination) pairs, self excluded
     "endpoints": ["ns/name[Kind]", ..., "0.0.0.0-9.255.255.255[External]"],
     "connections": ["All Connections", "TCP 80", ...],
     "source_sets": ["<base64>", ...],        # bit i (LSB first in each byte): endpoints[i]
     "destinations": [{"endpoints": [3, 17], "allowed": [[0, 5], [1, 2]]}, ...]}

Source ``s`` may open connection set ``connections[c]`` to destination ``d`` when, in the entry
listing ``d``, ``[c, k]`` is in ``allowed``, bit ``s`` of ``source_sets[k]`` is set and ``s != d``
(an endpoint is never its own source). The entries are gzip-compressed with no timestamp, so the
same map gives the same bytes.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from reporter.arrays import ragged, spans
from reporter.pack import gzip_writer

if TYPE_CHECKING:
    from reporter.netpol.engine import Reachability

FORMAT = "compliance-reporter/connectivity/1"
Row = tuple[str, str, str]
Entry = tuple[tuple[int, ...], tuple[tuple[int, int], ...]]
IntArray = npt.NDArray[np.intp]


class PairMapError(ValueError):
    """The stored map cannot be read: not gzip, not JSON, or not this format."""


@dataclass(frozen=True, slots=True)
class PairMap:
    """Every allowed pair, grouped: see the module docstring for what each field holds."""

    endpoints: tuple[str, ...]
    connections: tuple[str, ...]
    source_sets: tuple[bytes, ...]
    """Bit sets over ``endpoints`` (``numpy.packbits``, little-endian bit order)."""
    destinations: tuple[Entry, ...]
    """(destination endpoint indices, ((connection index, source set index), ...))."""
    pairs: int

    def rows(self) -> Iterator[Row]:
        """(src, dst, conn) for every pair, sorted by key: ``connectivity -o json``'s rows.
        One tuple per pair: for small estates (the workload-level diagram, tests)."""
        keys, connections = self.endpoints, self.connections
        found: list[Row] = []
        for sources, destinations, conns in PairArrays(self).of(_ROWS_CHUNK):
            found += [(keys[s], keys[d], connections[c]) for s, d, c in zip(
                sources.tolist(), destinations.tolist(), conns.tolist(), strict=True) if s != d]
        yield from sorted(found)

    def to_gzip(self) -> bytes:
        """The pack's ``connectivity.json.gz``: compact JSON, gzip without name or time. Written
        in pieces, never as one text: at 20,000 workloads it is ~470 MB, most of it the source
        sets' base64, which holds nothing to escape and is written as it is encoded."""
        out = io.BytesIO()
        with gzip_writer(out) as stream:
            stream.write(
                f'{{"format":{_compact(FORMAT)},"pairs":{_compact(self.pairs)},'
                f'"endpoints":{_compact(self.endpoints)},'
                f'"connections":{_compact(self.connections)},"source_sets":['.encode())
            _write_items(stream, self.source_sets, lambda sets: b",".join(
                b'"' + base64.b64encode(s) + b'"' for s in sets))
            stream.write(b'],"destinations":[')
            _write_items(stream, self.destinations, lambda entries: _compact(
                [{"endpoints": t, "allowed": a} for t, a in entries])[1:-1].encode())
            stream.write(b"]}\n")
        return out.getvalue()


_CHUNK = 4096
"""Source sets or destinations encoded per write."""
_ROWS_CHUNK = 1 << 16
"""Pairs made into rows at once."""

T = TypeVar("T")


def _write_items(stream: gzip.GzipFile, items: Sequence[T],
                 encode: Callable[[Sequence[T]], bytes]) -> None:
    """The items of a JSON array, comma-separated, ``_CHUNK`` at a time."""
    for start in range(0, len(items), _CHUNK):
        stream.write((b"," if start else b"") + encode(items[start:start + _CHUNK]))


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Flat:
    """Entries as arrays: every target, each entry's target count, every (connection, source
    set) pair and its entry."""

    targets: npt.NDArray[np.int64]
    target_counts: npt.NDArray[np.intp]
    allowed: npt.NDArray[np.int64]
    pair_entry: npt.NDArray[np.intp]

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> _Flat:
        """OverflowError when an index does not fit in 64 bits (a stored map read back)."""
        return cls(np.array([t for ts, _ in entries for t in ts], dtype=np.int64),
                   np.array([len(ts) for ts, _ in entries], dtype=np.intp),
                   np.array([p for _, a in entries for p in a], dtype=np.int64).reshape(-1, 2),
                   np.repeat(np.arange(len(entries)),
                             np.array([len(a) for _, a in entries], dtype=np.intp)))

    def pairs(self, set_sizes: npt.NDArray[np.int64]) -> int:
        """Pairs the entries stand for, self pairs included: each (entry, source set) pair's
        targets × its sources."""
        return int((self.target_counts[self.pair_entry] * set_sizes[self.allowed[:, 1]]).sum())


class PairArrays:
    """A map's pairs as arrays (:meth:`of`): its entries laid flat and its source sets unpacked
    once, however many times they are read."""

    def __init__(self, pair_map: PairMap) -> None:
        self._flat = _Flat.of(pair_map.destinations)
        self._members, self._member_starts = _set_members(pair_map)

    def of(self, chunk: int, destinations: npt.NDArray[np.bool_] | None = None
           ) -> Iterator[tuple[IntArray, IntArray, IntArray]]:
        """Every (source, destination, connection index) the entries stand for, self pairs
        included, only towards ``destinations`` when given, as arrays of about ``chunk`` pairs
        (an (entry, source set, destination) is never split): no Python object per pair or
        source set."""
        flat, members, member_starts = self._flat, self._members, self._member_starts
        targets, target_counts = flat.targets, flat.target_counts
        if destinations is not None:
            kept = destinations[targets]
            entry_of = np.repeat(np.arange(target_counts.size), target_counts)
            targets = targets[kept]
            target_counts = np.bincount(entry_of[kept], minlength=target_counts.size)
        conn_of, set_of = flat.allowed[:, 0], flat.allowed[:, 1]
        # (entry, source set, target) rows, few, then their sources: a destination and a
        # connection repeated over a slice of the set's members.
        pair_targets = target_counts[flat.pair_entry]
        row_pair = np.repeat(np.arange(pair_targets.size), pair_targets)
        row_target = targets[spans((np.cumsum(target_counts) - target_counts)[flat.pair_entry],
                                   pair_targets)]
        row_set = set_of[row_pair]
        row_sizes = member_starts[row_set + 1] - member_starts[row_set]
        ends = np.cumsum(row_sizes)
        total = int(ends[-1]) if ends.size else 0
        cuts = np.unique(np.searchsorted(ends, np.arange(chunk, total, chunk), side="right"))
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), ends.size], strict=True):
            sizes = row_sizes[lo:hi]
            yield (members[spans(member_starts[row_set[lo:hi]], sizes)],
                   np.repeat(row_target[lo:hi], sizes),
                   np.repeat(conn_of[row_pair[lo:hi]], sizes))


def _set_members(pair_map: PairMap) -> tuple[IntArray, IntArray]:
    """Each source set's endpoints: set ``k``'s at ``members[starts[k]:starts[k + 1]]``,
    unpacked a block of sets at a time."""
    n, width = len(pair_map.endpoints), (len(pair_map.endpoints) + 7) // 8
    block = max(1, _UNPACKED // max(n, 1))
    members, sizes = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for first in range(0, len(pair_map.source_sets), block):
        sets = pair_map.source_sets[first:first + block]
        packed = np.frombuffer(b"".join(sets), dtype=np.uint8).reshape(len(sets), width)
        found, member = np.nonzero(np.unpackbits(packed, axis=1, count=n, bitorder="little"))
        members.append(member)
        sizes.append(np.bincount(found, minlength=len(sets)))
    return np.concatenate(members), np.cumsum(np.concatenate([[0], *sizes]))


_UNPACKED = 1 << 24
"""Bits of source sets unpacked at once (one byte each)."""


class _Builder:
    """Interns connection texts and source sets while entries are added."""

    def __init__(self, n_endpoints: int) -> None:
        self.n = n_endpoints
        self.connections: dict[str, int] = {}
        self.sets: dict[bytes, int] = {}
        self.entries: list[Entry] = []
        self.pairs = 0
        """Pairs the entries stand for, self pairs included: each entry's targets × its
        sources, a source counted once per group it is in."""
        self.own_pairs = 0
        """Targets among their own entry's sources, counted once per source set."""
        self.marked = np.zeros(n_endpoints, dtype=bool)
        """All False between calls of :meth:`add`: marks an entry's targets."""

    def add(self, targets: npt.NDArray[np.intp], conns: list[int],
            groups: npt.NDArray[np.intp], sources: npt.NDArray[np.integer[Any]]) -> None:
        """One entry: ``targets`` admit source ``sources[j]`` on connection
        ``conns[groups[j]]``; a source appears at most once per group."""
        # The bit sets, packed as np.packbits(bitorder="little") would: a source's bit is
        # unique within its group, so summing the bits of a byte is ORing them.
        width = (self.n + 7) // 8
        bits = np.left_shift(1, sources & 7)
        packed = np.bincount(groups * width + (sources >> 3), weights=bits,
                             minlength=len(conns) * width).astype(np.uint8).reshape(-1, width)
        self.marked[targets] = True
        self.own_pairs += int(np.count_nonzero(self.marked[sources]))
        self.pairs += len(targets) * len(sources)
        self.marked[targets] = False
        pairs = []
        for i, conn in enumerate(conns):
            key = packed[i].tobytes()
            source_set = self.sets.get(key)
            if source_set is None:
                source_set = self.sets[key] = len(self.sets)
            pairs.append((conn, source_set))
        self.entries.append((tuple(targets.tolist()), tuple(pairs)))

    def done(self, endpoints: tuple[str, ...]) -> PairMap:
        return PairMap(endpoints, tuple(self.connections), tuple(self.sets),
                       tuple(self.entries), self.pairs - self.own_pairs)


def pair_map(reach: Reachability) -> PairMap:
    """The map of ``reach``, from the columns the checks scanned (destinations sharing a
    column of allowed sources share an entry)."""
    from reporter.checks.traffic import traffic_of

    traffic = traffic_of(reach)
    endpoints = tuple(e.key for e in reach.endpoints)
    builder = _Builder(len(endpoints))
    conn_of: dict[int, int] = {}  # mask id -> connection index
    rank = np.zeros(len(traffic.masks), dtype=np.intp)
    for column in traffic.columns:
        # A column's distinct mask IDs, ascending, without sorting its entries.
        ids = np.flatnonzero(np.bincount(column.mask_ids, minlength=len(traffic.masks)))
        rank[ids] = np.arange(len(ids))
        conns = []
        for mask_id in ids.tolist():
            found = conn_of.get(mask_id)
            if found is None:
                text = str(reach.ports.connection_set(traffic.masks[mask_id]))
                found = conn_of[mask_id] = builder.connections.setdefault(
                    text, len(builder.connections))
            conns.append(found)
        builder.add(column.members, conns, rank[column.mask_ids], column.sources)
    return builder.done(endpoints)


def from_rows(rows: Iterable[Row]) -> PairMap:
    """The map of explicit (src, dst, conn) rows (tests, small fixtures)."""
    rows = list(rows)
    endpoints = tuple(sorted({k for src, dst, _ in rows for k in (src, dst)}))
    index = {k: i for i, k in enumerate(endpoints)}
    builder = _Builder(len(endpoints))
    by_destination: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for src, dst, text in rows:
        conn = builder.connections.setdefault(text, len(builder.connections))
        by_destination[index[dst]][conn].append(index[src])
    for d, by_conn in sorted(by_destination.items()):
        lists = [np.unique(by_conn[c]) for c in sorted(by_conn)]
        groups = np.repeat(np.arange(len(lists)), [len(s) for s in lists])
        builder.add(np.array([d], dtype=np.intp), sorted(by_conn), groups,
                    np.concatenate(lists))
    return builder.done(endpoints)


def read_pair_map(data: bytes) -> PairMap:
    """``connectivity.json.gz`` back into a PairMap, its pair count checked against its entries."""
    try:
        loaded = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError) as error:
        raise PairMapError(f"not gzip-compressed JSON: {error}") from None
    if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
        raise PairMapError(f"not a {FORMAT} document")
    try:
        endpoints = tuple(str(k) for k in loaded["endpoints"])
        sets = tuple(base64.b64decode(s, validate=True) for s in loaded["source_sets"])
        entries = tuple((tuple(int(t) for t in e["endpoints"]),
                         tuple((int(c), int(k)) for c, k in e["allowed"]))
                        for e in loaded["destinations"])
        result = PairMap(endpoints, tuple(str(c) for c in loaded["connections"]), sets, entries,
                         int(loaded["pairs"]))
    except (KeyError, TypeError, ValueError) as error:
        raise PairMapError(f"malformed: {error!r}") from None
    _check(result)
    return result


def _check(pair_map: PairMap) -> None:
    """Indices in range and the recorded pair count equal to what the entries stand for, all
    entries at once (a 5,000-workload map has ~120,000 (entry, source set) pairs)."""
    n, width = len(pair_map.endpoints), (len(pair_map.endpoints) + 7) // 8
    if any(len(s) != width for s in pair_map.source_sets):
        raise PairMapError("a source set is not one bit per endpoint")
    packed = np.frombuffer(b"".join(pair_map.source_sets), dtype=np.uint8).reshape(
        len(pair_map.source_sets), width)  # by count: a map of no endpoint has rows of 0 bytes
    bits = np.unpackbits(packed, axis=1, count=n, bitorder="little")
    sizes = bits.sum(axis=1, dtype=np.int64)
    try:
        flat = _Flat.of(pair_map.destinations)
    except OverflowError:
        raise PairMapError("an index is out of range") from None
    targets, allowed = flat.targets, flat.allowed
    if ((targets < 0) | (targets >= n)).any():
        raise PairMapError("a destination index is out of range")
    if ((allowed < 0) | (allowed >= [len(pair_map.connections), len(sizes)])).any():
        raise PairMapError("a connection or source set index is out of range")
    # Each (entry, source set) stands for its targets × its sources, less the targets that are
    # among its sources (an endpoint is never its own source).
    pair_entry, target_counts = flat.pair_entry, flat.target_counts
    pair_of, at = ragged(target_counts[pair_entry])
    first_target = np.cumsum(target_counts) - target_counts
    own = bits[allowed[pair_of, 1], targets[first_target[pair_entry[pair_of]] + at]]
    counted = flat.pairs(sizes) - int(own.sum())
    if counted != pair_map.pairs:
        raise PairMapError(f"records {pair_map.pairs} pairs but its entries hold {counted}")
