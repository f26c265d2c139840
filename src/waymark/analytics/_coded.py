"""The journey tables as integers, for the reports that scan every stage change: a journey id
per (profile, product), a product code, stage positions and microsecond times. Hash joins,
window partitions and distinct counts over integers cost a fraction of the same work over
strings; the strings are encoded once per report (few distinct stages and products, one
dictionary pass over the profile ids)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from waymark.analytics._journey_data import JourneyData
from waymark.analytics._stages import stage_table
from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA, require_columns
from waymark.journey.contracts import JourneyModel


@dataclass(frozen=True)
class Coded:
    products: list[str]
    """The product of each product code."""
    transitions: pa.Table
    states: pa.Table


def _strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column


def _positions(column: pa.ChunkedArray, names: tuple[str, ...]) -> NDArray[np.int64]:
    """Stage position of each row (-1 for null or an unknown stage)."""
    encoded = pc.dictionary_encode(_strings(column).combine_chunks())
    lut = np.array(
        [names.index(v) if v in names else -1 for v in encoded.dictionary.to_pylist()] + [-1],
        dtype=np.int64,
    )
    codes = pc.fill_null(encoded.indices, len(lut) - 1).to_numpy()
    return np.asarray(lut[codes], dtype=np.int64)


def _micros(column: pa.ChunkedArray) -> pa.Array:
    return column.cast(pa.timestamp("us")).cast(pa.int64()).combine_chunks()


def register_coded(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    journeys: JourneyData,
    *,
    product: str | None,
) -> Coded:
    """Register ``m`` (stages), ``t`` (jid, product, from_pos, to_pos, at_us, seq) and ``s``
    (jid, product, pos, fpos, entered_us, last_us, purchased_us) for one model (and product).
    The encoding is made once per journey data, model and product."""
    key = ("coded", model.name, product)
    with journeys.lock:
        coded = journeys.derived.get(key)
        if coded is None:
            coded = journeys.derived[key] = _encode(
                model, journeys.transitions, journeys.states, product
            )
    con.register("m", stage_table(model))
    con.register("t", coded.transitions)
    con.register("s", coded.states)
    return coded


def _encode(
    model: JourneyModel, transitions: pa.Table, states: pa.Table, product: str | None
) -> Coded:
    require_columns(transitions, TRANSITION_SCHEMA, what="the transitions table")
    require_columns(states, STATE_SCHEMA, what="the states table")
    t, s = _narrow(transitions, model.name, product), _narrow(states, model.name, product)
    both = t.num_rows
    profiles = pc.dictionary_encode(
        pa.chunked_array(
            _strings(t.column("profile_id")).chunks + _strings(s.column("profile_id")).chunks,
            pa.string(),
        ).combine_chunks()
    )
    products = pc.dictionary_encode(
        pa.chunked_array(
            _strings(t.column("product")).chunks + _strings(s.column("product")).chunks,
            pa.string(),
        ).combine_chunks()
    )
    pid = profiles.indices.to_numpy().astype(np.int64)
    prod = products.indices.to_numpy().astype(np.int64)
    n_products = max(len(products.dictionary), 1)
    jid = pid * n_products + prod
    names = model.stage_names
    return Coded(
        products=[str(p) for p in products.dictionary.to_pylist()],
        transitions=pa.table(
            {
                "jid": jid[:both],
                "product": prod[:both],
                "from_pos": _positions(t.column("from_stage"), names),
                "to_pos": _positions(t.column("to_stage"), names),
                "at_us": _micros(t.column("at")),
                "seq": t.column("seq").combine_chunks(),
            }
        ),
        states=pa.table(
            {
                "jid": jid[both:],
                "product": prod[both:],
                "pos": _positions(s.column("stage"), names),
                "fpos": _positions(s.column("furthest"), names),
                "entered_us": _micros(s.column("entered_at")),
                "last_us": _micros(s.column("last_evidence_at")),
                "purchased_us": _micros(s.column("purchased_at")),
            }
        ),
    )


def _narrow(table: pa.Table, model: str, product: str | None) -> pa.Table:
    keep = pc.equal(_strings(table.column("model")), model)
    if product is not None:
        keep = pc.and_(keep, pc.equal(_strings(table.column("product")), product))
    return table.filter(keep)


CODED_STATUS_SQL = (
    "CASE WHEN m.lapse_us IS NOT NULL AND $as_of - s.last_us >= m.lapse_us THEN 'lapsed' "
    "WHEN m.stall_us IS NOT NULL AND $as_of - s.entered_us >= m.stall_us THEN 'stalled' "
    "ELSE 'active' END"
)
"""``_stages.STATUS_SQL`` over the coded states."""
