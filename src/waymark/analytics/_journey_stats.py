"""Per product and stage, from every stage change: how many journeys ever entered the stage,
how many moved on from it to a later stage, and the median and p90 time of completed stays.

Transitions come grouped by journey and in time order from the engine (checked; sorted
otherwise), so a stay's end is the next row of the same journey and "ever entered" is one bit
per stage OR-ed over each journey (``np.bitwise_or.reduceat``): no window function and no
distinct count over millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class StageStats:
    entered: I64
    """[product, stage]"""
    moved: I64
    median_us: dict[tuple[int, int], float]
    p90_us: dict[tuple[int, int], float]


def _column(table: pa.Table, name: str) -> I64:
    return np.asarray(table.column(name).to_numpy(), dtype=np.int64)


def _journey_order(jid: I64, at: I64, seq: I64) -> I64 | None:
    """None when rows are already grouped by journey and in (time, seq) order, else the
    order that makes them so."""
    if jid.shape[0] < 2:
        return None
    same = jid[1:] == jid[:-1]
    runs = int(np.count_nonzero(~same)) + 1
    distinct = int(np.count_nonzero(np.bincount(jid)))
    later = (at[1:] > at[:-1]) | ((at[1:] == at[:-1]) & (seq[1:] >= seq[:-1]))
    if runs == distinct and bool(np.all(later[same])):
        return None
    return np.lexsort((seq, at, jid)).astype(np.int64)


@dataclass(frozen=True)
class History:
    """The coded stage changes grouped by journey, in time order."""

    jid: I64
    product: I64
    frm: I64
    to: I64
    at: I64
    new: NDArray[np.bool_]
    """True on a journey's first row."""
    starts: I64


def grouped(transitions: pa.Table) -> History:
    jid, product = _column(transitions, "jid"), _column(transitions, "product")
    frm, to = _column(transitions, "from_pos"), _column(transitions, "to_pos")
    at, seq = _column(transitions, "at_us"), _column(transitions, "seq")
    order = _journey_order(jid, at, seq)
    if order is not None:
        jid, product, frm, to, at = jid[order], product[order], frm[order], to[order], at[order]
    new = np.ones(jid.shape[0], dtype=np.bool_)
    new[1:] = jid[1:] != jid[:-1]
    return History(
        jid=jid,
        product=product,
        frm=frm,
        to=to,
        at=at,
        new=new,
        starts=np.flatnonzero(new).astype(np.int64),
    )


def paths_before(history: History, stage: int) -> pa.Table:
    """(jid, i, to_pos) of the stage changes before each journey's first entry to ``stage``,
    for the journeys that reached it."""
    n = history.jid.shape[0]
    if n == 0:
        return pa.table({"jid": [], "i": [], "to_pos": []}, schema=_PATH_SCHEMA)
    index = np.arange(n, dtype=np.int64)
    journey = np.cumsum(history.new) - 1
    i = index - history.starts[journey]
    first = np.minimum.reduceat(np.where(history.to == stage, i, n), history.starts)
    first[first == n] = -1
    keep = i < first[journey]  # -1: the journey never reached the stage
    return pa.table(
        {"jid": history.jid[keep], "i": i[keep], "to_pos": history.to[keep]}, schema=_PATH_SCHEMA
    )


_PATH_SCHEMA = pa.schema([("jid", pa.int64()), ("i", pa.int64()), ("to_pos", pa.int64())])


def stage_stats(
    con: duckdb.DuckDBPyConnection, history: History, n_products: int, n_stages: int
) -> StageStats:
    jid, product, frm, to, at = history.jid, history.product, history.frm, history.to, history.at
    new, starts = history.new, history.starts
    entered = np.zeros((n_products, n_stages), dtype=np.int64)
    moved = np.zeros((n_products, n_stages), dtype=np.int64)
    if jid.shape[0] == 0:
        return StageStats(entered=entered, moved=moved, median_us={}, p90_us={})
    one = np.int64(1)
    seen = np.bitwise_or.reduceat(np.where(to >= 0, one << np.maximum(to, 0), 0), starts)
    forward = (frm >= 0) & (to > frm)
    left = np.bitwise_or.reduceat(np.where(forward, one << np.maximum(frm, 0), 0), starts)
    owner = product[starts]
    for pos in range(n_stages):
        entered[:, pos] = np.bincount(owner, weights=(seen >> pos) & 1, minlength=n_products)
        moved[:, pos] = np.bincount(owner, weights=(left >> pos) & 1, minlength=n_products)
    stay = ~new[1:] & (to[:-1] >= 0)  # row i's stay ends at row i+1 of the same journey
    con.register(
        "d",
        pa.table(
            {
                "product": product[:-1][stay],
                "pos": to[:-1][stay],
                "dur": at[1:][stay] - at[:-1][stay],
            }
        ),
    )
    median: dict[tuple[int, int], float] = {}
    p90: dict[tuple[int, int], float] = {}
    for p, pos, m, q in con.execute(
        "SELECT product, pos, quantile_cont(dur, 0.5), quantile_cont(dur, 0.9) FROM d GROUP BY ALL"
    ).fetchall():
        median[(p, pos)], p90[(p, pos)] = m, q
    return StageStats(entered=entered, moved=moved, median_us=median, p90_us=p90)
