"""Funnel rows without a query per event: the common case, vectorised with Arrow and NumPy.

Event names, call types and profiles are few distinct values repeated millions of times, so
each is dictionary-encoded once (free when the column already is a dictionary, as
``LogSources`` keeps them) and a step's name test is evaluated on the dictionary and gathered
by code. Only ``where`` conditions need the JSON columns, and only on the rows whose name
already matched, through DuckDB. Breakdowns by JSON fields, by product or by first touch take
the general SQL path (``_frame``); both paths give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from waymark.analytics._conditions import TEXT_COLUMNS, Sql, event_condition
from waymark.analytics._frame import ACTION_TYPES, NAMED_BREAKDOWNS, Frame
from waymark.analytics._profiled import require_profile
from waymark.analytics.contracts import NONE_LABEL, FunnelQuery, FunnelStep, WhereValue
from waymark.analytics.errors import InvalidQuery
from waymark.core.eventframe import to_naive_utc

Bools = NDArray[np.bool_]
_EPOCH = np.datetime64(0, "us")


def plain_breakdown(name: str | None) -> str | None:
    """The event column a breakdown reads when it is a plain column, else None."""
    if name is None:
        return None
    column = NAMED_BREAKDOWNS.get(name, name)
    return column if column in TEXT_COLUMNS else None


def _codes(column: pa.ChunkedArray) -> tuple[NDArray[np.int64], list[Any]]:
    """Dense codes (-1 for null) and the value of each code."""
    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries()
        chunks = column.chunks
        values = chunks[0].dictionary if chunks else pa.array([], column.type.value_type)
        indices = pa.chunked_array([c.indices for c in chunks], column.type.index_type)
    else:
        encoded = pc.dictionary_encode(column.combine_chunks())
        values, indices = encoded.dictionary, pa.chunked_array([encoded.indices])
    codes = pc.fill_null(indices, -1).to_numpy().astype(np.int64, copy=False)
    return codes, values.to_pylist()


def _equals(wanted: str) -> Callable[[Any], bool]:
    return lambda value: bool(value == wanted)


def _lookup(codes: NDArray[np.int64], values: list[Any], test: Callable[[Any], bool]) -> Bools:
    table = np.array([test(v) for v in values] + [False], dtype=np.bool_)
    return table[codes]  # code -1 reads the trailing False


def _where(
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    events: pa.Table,
    rows: NDArray[np.int64],
    where: dict[str, WhereValue],
    field: str,
) -> Bools:
    """Whether each of ``rows`` meets ``where`` (DuckDB over just those rows)."""
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.bool_)
    cond = event_condition("e", event=None, type_=None, where=where, field_name=field)
    con = cursor()
    con.register("sub", events.take(pa.array(rows)))
    sql = Sql("SELECT ") + cond + Sql(" AS ok FROM sub e")
    out = con.sql(sql.text, params=sql.params).to_arrow_table().column("ok")
    return np.asarray(out.to_numpy(), dtype=np.bool_)


def _stage_rows(events: pa.Table, transitions: pa.Table, step: FunnelStep, field: str) -> Bools:
    keep = pc.and_(
        pc.equal(transitions.column("to_stage"), step.stage),
        pc.equal(transitions.column("model"), step.model),
    )
    for key, value in step.where.items():
        if key != "product":
            raise InvalidQuery(
                f"{field}.where: a stage step can only be narrowed by product, not {key!r}",
                field=f"{field}.where.{key}",
            )
        wanted = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        keep = pc.and_(keep, pc.is_in(transitions.column("product"), pa.array(wanted, pa.string())))
    seqs = transitions.column("seq").filter(keep).combine_chunks()
    hit = pc.is_in(events.column("seq"), value_set=seqs)
    return np.asarray(pc.fill_null(hit, False).to_numpy(), dtype=np.bool_)


def _matches(
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    events: pa.Table,
    conditions: Sequence[tuple[str | None, str | None, dict[str, WhereValue]]],
    *,
    names: tuple[NDArray[np.int64], list[Any]],
    types: tuple[NDArray[np.int64], list[Any]],
    prefix: str,
) -> NDArray[np.uint64]:
    """A bit per condition (event name, call type, where) for every row."""
    n = events.num_rows
    # conditions on the event name alone share one lookup table of bits: one gather in all
    table = np.zeros(len(names[1]) + 1, dtype=np.uint64)
    for k, (event, type_, where) in enumerate(conditions):
        if event is not None and type_ is None and not where:
            table[:-1] |= np.array([v == event for v in names[1]], dtype=np.uint64) << np.uint64(k)
    mask = table[names[0]]
    for k, (event, type_, where) in enumerate(conditions):
        if event is not None and type_ is None and not where:
            continue
        ok = np.ones(n, dtype=np.bool_)
        if event is not None:
            ok &= _lookup(names[0], names[1], _equals(event))
        if type_ is not None:
            ok &= _lookup(types[0], types[1], _equals(type_))
        if where:
            rows = np.flatnonzero(ok).astype(np.int64)
            ok[rows[~_where(cursor, events, rows, where, f"{prefix}[{k}]")]] = False
        mask |= ok.astype(np.uint64) << np.uint64(k)
    return mask


def fast_frame(
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    query: FunnelQuery,
    events: pa.Table,
    *,
    profile: str,
    transitions: pa.Table | None,
    breakdown: bool,
) -> Frame:
    """Funnel rows when the breakdown (if any) is a plain column (see ``plain_breakdown``)."""
    require_profile(events, profile)
    by = plain_breakdown(query.breakdown) if breakdown else None
    names = _codes(events.column("event"))
    types = _codes(events.column("type"))
    steps = [(None, None, {}) if s.is_stage else (s.event, s.type, s.where) for s in query.steps]
    mask = _matches(cursor, events, steps, names=names, types=types, prefix="steps")
    for i, step in enumerate(query.steps):
        if step.is_stage:
            if transitions is None:
                raise InvalidQuery(
                    "stage steps need the journey history, which is not available here",
                    field=f"steps[{i}].stage",
                )
            mask[:] = np.where(
                _stage_rows(events, transitions, step, f"steps[{i}]"),
                mask | np.uint64(1 << i),
                mask & ~np.uint64(1 << i),
            )
    xmask = _matches(
        cursor,
        events,
        [(x.event, x.type, x.where) for x in query.exclusions],
        names=names,
        types=types,
        prefix="exclusions",
    )
    action = _lookup(types[0], types[1], lambda v: v in ACTION_TYPES)
    keep = (mask != 0) | (xmask != 0)
    if query.mode == "strict_order":
        keep |= action
    keep &= np.asarray(events.column(profile).is_valid().to_numpy(), dtype=np.bool_)
    ts = events.column("timestamp").cast(pa.timestamp("us")).to_numpy().astype(np.int64)
    if query.from_ is not None:
        keep &= ts >= _micros(query.from_)
    if query.to is not None:
        keep &= ts < _micros(query.to)
    rows = np.flatnonzero(keep)
    take = pa.array(rows)
    profiles, _ = _codes(events.column(profile).take(take))
    if by is None:
        value, labels = np.zeros(rows.shape[0], dtype=np.int64), [""]
    else:
        value, found = _codes(events.column(by).take(take))
        labels = [str(v) for v in found]
        if NONE_LABEL not in labels:
            labels.append(NONE_LABEL)
        value = np.where(value < 0, labels.index(NONE_LABEL), value)
    return Frame(
        profile=profiles,
        ts=ts[rows],
        mask=mask[rows],
        xmask=xmask[rows],
        value=value,
        action=action[rows],
        labels=labels,
    )


def _micros(when: Any) -> int:
    naive = to_naive_utc(when)
    return int((np.datetime64(naive, "us") - _EPOCH).astype(np.int64))
