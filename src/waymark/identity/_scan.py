"""The event log as the rebuild needs it: a few columns, and every event's identifiers as
interned integer rows.

User, anonymous and previous ids are normalised with Arrow kernels; only rows whose JSON
mentions a configured field (or carries traits) are parsed, through the same extraction
functions streaming uses. Rows are ordered by (event, priority, source) like
``_extract.Extractor.identifiers`` orders them, and interned so that identifier numbers follow
first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.signals import signal_mask
from waymark.identity._extract import (
    SOURCE_ANONYMOUS_ID,
    SOURCE_PREVIOUS_ID,
    SOURCE_USER_ID,
    Extractor,
    Key,
    profile_traits,
)
from waymark.identity.config import ANONYMOUS_ID, USER_ID

I64 = npt.NDArray[np.int64]
_decode = msgspec.json.Decoder(dict[str, Any]).decode
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_SOURCES = 1 << 16  # more sources than any configuration has fields


class Scanned:
    """What the rebuild keeps of the log."""

    def __init__(self) -> None:
        self.events = 0
        self.seq: I64 = np.zeros(0, np.int64)
        self.ts: I64 = np.zeros(0, np.int64)
        """Event time, microseconds since the epoch."""
        self.channel: pa.ChunkedArray = pa.chunked_array([], pa.string())
        self.message_id: pa.ChunkedArray = pa.chunked_array([], pa.string())
        self.r_ev: I64 = np.zeros(0, np.int64)
        """Identifier rows: the event (position in the scan) ..."""
        self.r_node: I64 = np.zeros(0, np.int64)
        """... and the identifier (interned), in (event, priority, source) order."""
        self.node_key: list[Key] = []
        self.node_prio: I64 = np.zeros(0, np.int64)
        self.node_first_row: I64 = np.zeros(0, np.int64)
        self.trait_obs: list[tuple[int, dict[str, Any]]] = []
        """(event, the profile traits it states), for events stating any."""


class _Parts:
    def __init__(self) -> None:
        self.seq: list[pa.Array] = []
        self.ts: list[pa.Array] = []
        self.channel: list[pa.Array] = []
        self.message_id: list[pa.Array] = []
        self.ev: list[I64] = []
        self.prio: list[I64] = []
        self.value: list[pa.Array] = []


def scan(extractor: Extractor, batches: Iterable[pa.RecordBatch]) -> Scanned:
    out = Scanned()
    parts = _Parts()
    for batch in batches:
        _batch(batch, extractor, out, parts)
    if parts.seq:
        out.seq = np.asarray(pa.chunked_array(parts.seq).to_numpy(), np.int64)
        out.ts = np.asarray(pa.chunked_array(parts.ts).to_numpy(), np.int64)
        out.channel = pa.chunked_array(parts.channel, pa.string())
        out.message_id = pa.chunked_array(parts.message_id, pa.string())
    if parts.ev:
        _intern(out, parts, [t.name for t in extractor.config.types])
    return out


_IDENTIFYING = ("user_id", "anonymous_id", "previous_id", "traits", "context", "properties")


def _without_signals(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Outside signals carry no identifiers and no traits (as ``Extractor.identifiers``
    answers them): their identifying columns read as null."""
    mask = signal_mask(batch)
    if not pc.any(mask).as_py():
        return batch
    columns = [
        pc.if_else(mask, pa.scalar(None, column.type), column) if name in _IDENTIFYING else column
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _batch(batch: pa.RecordBatch, ex: Extractor, out: Scanned, parts: _Parts) -> None:
    batch = _without_signals(batch)
    base = out.events
    n = batch.num_rows
    out.events += n
    parts.seq.append(batch.column("seq"))
    parts.ts.append(batch.column("timestamp").cast(pa.int64()))
    parts.channel.append(batch.column("channel"))
    parts.message_id.append(batch.column("message_id"))
    norm = ex.normaliser
    prio = ex.priority
    types = batch.column("type")
    ev: list[pa.Array] = []
    key: list[pa.Array] = []
    values: list[pa.Array] = []

    def add(normalised: pa.Array, type_name: str, source: int) -> None:
        at = pc.indices_nonzero(pc.is_valid(normalised))
        if len(at):
            ev.append(at.cast(pa.int64()))
            # one sort key orders rows by (event, priority, source)
            rank = prio[type_name] * _SOURCES + source
            key.append(pc.add(pc.multiply(at.cast(pa.int64()), len(prio) * _SOURCES), rank))
            values.append(normalised.take(at))

    add(norm.array("plain", batch.column("user_id")), USER_ID, SOURCE_USER_ID)
    add(norm.array("plain", batch.column("anonymous_id")), ANONYMOUS_ID, SOURCE_ANONYMOUS_ID)
    is_alias = pc.equal(types, "alias")
    if pc.any(is_alias).as_py():
        previous = pc.if_else(is_alias, batch.column("previous_id"), pa.scalar(None, pa.string()))
        alias_type = ex.alias_type
        add(norm.array(ex.kind_of[alias_type], previous), alias_type, SOURCE_PREVIOUS_ID)
    found = _json_rows(batch, ex, base, out)
    if found:
        at = pa.array([f[0] for f in found], pa.int64())
        ev.append(at)
        key.append(
            pa.array(
                [f[0] * len(prio) * _SOURCES + prio[f[1]] * _SOURCES + f[2] for f in found],
                pa.int64(),
            )
        )
        values.append(pa.array([f[3] for f in found], pa.string()))
    if not ev:
        return
    order = np.argsort(pa.chunked_array(key).to_numpy(), kind="stable")
    rows_ev = np.asarray(pa.chunked_array(ev).to_numpy(), np.int64)[order] + base
    rows_value = pa.chunked_array(values, pa.string()).take(pa.array(order))
    # the priority is recovered from the key; the interned key string is "prio\x1fvalue"
    rows_prio = (np.asarray(pa.chunked_array(key).to_numpy(), np.int64)[order] // _SOURCES) % len(
        prio
    )
    parts.ev.append(rows_ev)
    parts.prio.append(rows_prio)
    parts.value.append(rows_value.combine_chunks())


def _mentions(column: pa.Array, needles: Iterable[str]) -> pa.Array:
    mask = pa.array(np.zeros(len(column), bool))
    for needle in needles:
        mask = pc.or_(mask, pc.fill_null(pc.match_substring(column, needle), False))
    return mask


def _json_rows(
    batch: pa.RecordBatch, ex: Extractor, base: int, out: Scanned
) -> list[tuple[int, str, int, str]]:
    """Identifiers from configured JSON fields as (row, type, source, value); traits of the
    rows that state any go to ``out.trait_obs``."""
    n = batch.num_rows
    types = batch.column("type")
    id_mask = pa.array(np.zeros(n, bool))
    for root in ex.roots:
        leaves = {f'"{s.path[-1]}"' for s in ex.fields if s.root == root}
        id_mask = pc.or_(id_mask, _mentions(batch.column(root), leaves))
    trait_mask = pc.or_(
        pc.and_(pc.equal(types, "identify"), pc.is_valid(batch.column("traits"))),
        _mentions(batch.column("context"), ['"traits"']),
    )
    wanted = pc.indices_nonzero(pc.or_(id_mask, trait_mask))
    if len(wanted) == 0:
        return []
    texts = {
        name: batch.column(name).take(wanted).to_pylist()
        for name in ("traits", "context", "properties")
    }
    ids = id_mask.take(wanted).to_pylist()
    traits_wanted = trait_mask.take(wanted).to_pylist()
    type_list = types.take(wanted).to_pylist()
    norm = ex.normaliser.value
    found: list[tuple[int, str, int, str]] = []
    for i, row in enumerate(wanted.to_pylist()):
        traits = _parse(texts["traits"][i])
        context = _parse(texts["context"][i])
        if ids[i]:
            properties = _parse(texts["properties"][i])
            for c in ex.json_candidates(type_list[i], traits, context, properties):
                value = norm(c.kind, c.raw)
                if value is not None:
                    found.append((row, c.type, c.source, value))
        if traits_wanted[i]:
            values = profile_traits(type_list[i], traits, context)
            if values:
                out.trait_obs.append((base + row, values))
    return found


def _parse(text: str | None) -> Mapping[str, Any]:
    return _decode(text) if text else _EMPTY


def _intern(out: Scanned, parts: _Parts, type_names: list[str]) -> None:
    """Number the identifiers: per type, one hash pass over its values (no joined keys)."""
    ev = np.concatenate(parts.ev)
    prio = np.concatenate(parts.prio)
    values = pa.chunked_array(parts.value, pa.string()).combine_chunks()
    node = np.empty(len(ev), np.int64)
    offsets: dict[int, int] = {}
    dictionaries: list[pa.Array] = []
    n_nodes = 0
    for p in np.unique(prio).tolist():
        rows = np.flatnonzero(prio == p)
        encoded = values.take(pa.array(rows)).dictionary_encode()
        node[rows] = np.asarray(encoded.indices.to_numpy(), np.int64) + n_nodes
        offsets[p] = n_nodes
        dictionaries.append(encoded.dictionary)
        n_nodes += len(encoded.dictionary)
    # The same identifier twice in one event (two fields) counts once, at its first place.
    # Rows are sorted by (event, priority), so repeats can only sit among rows of one event
    # with equal priority: only those events are checked.
    same = np.flatnonzero((ev[1:] == ev[:-1]) & (prio[1:] == prio[:-1]))
    if len(same):
        rows_at = np.flatnonzero(np.isin(ev, ev[same]))
        _, first = np.unique(ev[rows_at] * n_nodes + node[rows_at], return_index=True)
        drop = np.ones(len(rows_at), bool)
        drop[first] = False
        if drop.any():
            keep = np.ones(len(ev), bool)
            keep[rows_at[drop]] = False
            ev, node, prio = ev[keep], node[keep], prio[keep]
    # Within a type, dictionary codes follow first appearance: a row brings a new identifier
    # exactly when its code exceeds every code of that type before it.
    first_row = np.empty(n_nodes, np.int64)
    node_prio = np.empty(n_nodes, np.int64)
    for p, offset in offsets.items():
        rows = np.flatnonzero(prio == p)
        codes = node[rows]
        new = codes > np.maximum.accumulate(np.r_[np.int64(offset - 1), codes[:-1]])
        first_row[codes[new]] = rows[new]
        node_prio[offset : offset + int(new.sum())] = p
    out.r_ev, out.r_node = ev, node
    out.node_first_row = first_row
    out.node_prio = node_prio
    names = [type_names[p] for p in node_prio.tolist()]
    out.node_key = list(zip(names, pa.concat_arrays(dictionaries).to_pylist(), strict=True))
