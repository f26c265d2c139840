"""Analytics benchmarks: a 10-step funnel side by side with ClickHouse ``windowFunnel`` (chdb)
and a plain DuckDB SQL formulation, on the same Arrow table in the same run; and the journey
reports (hourglass with time in stage and stalls for every product, and transitions) side by
side with a plain-Python pass over the same rows.

``run(report)`` writes into the report the lead's runner passes: ``report.section(title)``,
``report.table(headers, rows)``, ``report.note(text)``. Sizes default to the issue's 10M events
/ 1M customers; ``WAYMARK_BENCH_EVENTS`` and ``WAYMARK_BENCH_CUSTOMERS`` shrink them for a quick
run (the sizes used are printed in the report). Alone: ``python -m bench.analytics [events]``.

The data is synthetic (NumPy): customers walk through ten funnel steps with exponential gaps
among noise events; timestamps are whole milliseconds, as Segment SDKs send them. Journey
tables are generated with entries at any stage, forward moves, skips and moves back.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import chdb
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench._report import ConsoleReport
from waymark.analytics.api import Analytics, JourneyData
from waymark.analytics.contracts import FunnelQuery, FunnelStep
from waymark.journey.api import load_model

T = TypeVar("T")
STEPS = [f"Step {i}" for i in range(1, 11)]
NOISE = ["Page Viewed", "Email Opened", "Ad Clicked", "Products Searched", "Call Received"]
WINDOW = 14 * 86_400
T0_MS = 1_767_225_600_000  # 2026-01-01
DAY_US = 86_400_000_000


def _best(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - began)
    assert out is not None
    return best, out


# -- funnel ---------------------------------------------------------------------------------------


def _strings(codes: np.ndarray, values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(values)).cast(pa.string())


def funnel_events(n_events: int, n_customers: int, seed: int = 7) -> pa.Table:
    """Customers walk steps 1..k (k geometric), gaps exponential (mean 12 h); the rest of the
    events are noise, including repeats of step names at random times."""
    rng = np.random.default_rng(seed)
    reached = np.minimum(rng.geometric(0.25, n_customers), len(STEPS))
    n_steps = int(reached.sum())
    who = np.repeat(np.arange(n_customers), reached)
    first = np.cumsum(reached) - reached
    step = np.arange(n_steps) - np.repeat(first, reached)
    start = rng.integers(0, 60 * 86_400_000, n_customers)
    gap = rng.exponential(12 * 3_600_000, n_steps).astype(np.int64)
    walked = np.cumsum(gap)
    walked -= np.repeat(walked[first] - gap[first], reached)
    n_noise = max(n_events - n_steps, 0)
    noise_who = rng.integers(0, n_customers, n_noise)
    names = np.array(STEPS + NOISE)
    user = np.concatenate([who, noise_who])
    ms = np.concatenate(
        [start[who] + walked, start[noise_who] + rng.integers(0, 30 * 86_400_000, n_noise)]
    )
    event = np.concatenate([step, rng.integers(0, len(names), n_noise)])
    order = np.argsort(ms, kind="stable")  # the log is (nearly) in time order
    user, ms, event = user[order], ms[order], event[order]
    profile = pc.binary_join_element_wise(pa.scalar("p"), pc.cast(pa.array(user), pa.string()), "")
    n = len(user)
    return pa.table(
        {
            "seq": pa.array(np.arange(1, n + 1)),
            "type": _strings(np.zeros(n, np.int32), ["track"]),
            "event": _strings(event.astype(np.int32), list(names)),
            "timestamp": pa.array((T0_MS + ms) * 1000, pa.timestamp("us")),
            "profile_id": profile,
        }
    )  # fmt: skip


def _chdb(events: pa.Table, mode: str) -> list[int]:
    conds = ", ".join(f"ifNull(event = '{s}', 0)" for s in STEPS)
    params = f"{WINDOW * 1_000_000}" + ("" if mode == "ordered" else f", '{mode}'")
    table = events  # read by name by chdb's Python() table function
    sql = (
        "SELECT level, count() FROM (SELECT profile_id, "
        f"windowFunnel({params})(toUInt64(toUnixTimestamp64Micro(assumeNotNull(timestamp))), "
        f"{conds}) AS level FROM Python(table) GROUP BY profile_id) GROUP BY level"
    )
    levels = Counter[int]()
    answer = chdb.query(sql, "TSV")  # type: ignore[no-untyped-call]
    assert table is events
    for line in str(answer).strip().splitlines():
        level, count = line.split("\t")
        levels[int(level)] += int(count)
    return [sum(c for lv, c in levels.items() if lv >= k) for k in range(1, len(STEPS) + 1)]


def _duckdb_sql(events: pa.Table) -> list[int]:
    """The ordered funnel as plain SQL: each level is an ASOF join to the previous level's
    latest qualifying row (its chain start carried along), as windowFunnel walks."""
    con = duckdb.connect()
    try:
        con.register("ev", events)
        case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STEPS, 1))
        parts = [
            f"e AS (SELECT profile_id AS p, epoch_us(timestamp) AS t, CASE event {case} END AS c "
            f"FROM ev WHERE event IN ({', '.join(repr(s) for s in STEPS)}))",
            "l1 AS (SELECT p, t, t AS f FROM e WHERE c = 1)",
        ]
        for j in range(2, len(STEPS) + 1):
            parts.append(
                f"l{j} AS (SELECT x.p, x.t, l.f FROM (SELECT p, t FROM e WHERE c = {j}) x "
                f"ASOF JOIN l{j - 1} l ON x.p = l.p AND x.t >= l.t "
                f"WHERE x.t <= l.f + {WINDOW * 1_000_000})"
            )
        counts = " UNION ALL ".join(
            f"SELECT {j} AS k, count(DISTINCT p) AS n FROM l{j}" for j in range(1, len(STEPS) + 1)
        )
        rows = con.sql(f"WITH {', '.join(parts)} {counts} ORDER BY k").fetchall()
        return [int(n) for _, n in rows]
    finally:
        con.close()


def _counts(engine: Analytics, query: FunnelQuery, events: pa.Table) -> list[int]:
    return [s.count for s in engine.funnel(query, events).steps]


def _dictionary(events: pa.Table) -> pa.Table:
    for name in ("event", "type", "profile_id"):
        i = events.schema.get_field_index(name)
        events = events.set_column(i, name, pc.dictionary_encode(events.column(name)))
    return events


def bench_funnel(report: Any, n_events: int, n_customers: int, repeat: int) -> None:
    began = time.perf_counter()
    events = funnel_events(n_events, n_customers)
    made = time.perf_counter() - began
    encoded_in, encoded = _best(lambda: _dictionary(events), 1)
    engine = Analytics()
    rows: list[list[object]] = []
    answers: dict[str, list[int]] = {}
    for mode in ("ordered", "strict_order", "strict_deduplication"):
        query = FunnelQuery(
            steps=tuple(FunnelStep(event=s) for s in STEPS),
            window_seconds=WINDOW,
            mode=mode,
        )
        contenders: list[tuple[str, Callable[[], list[int]]]] = [
            ("chdb windowFunnel", partial(_chdb, events, mode)),
            ("Waymark, string columns", partial(_counts, engine, query, events)),
            ("Waymark, dictionary columns", partial(_counts, engine, query, encoded)),
        ]
        if mode == "ordered":
            contenders.append(("DuckDB SQL (ASOF chain)", lambda: _duckdb_sql(events)))
        base = None
        for name, fn in contenders:
            seconds, counts = _best(fn, repeat)
            answers[f"{mode}/{name}"] = counts
            base = seconds if base is None else base
            same = counts == answers[f"{mode}/chdb windowFunnel"]
            rows.append([mode, name, seconds, seconds / base, "yes" if same else "NO", counts[-1]])
    report.section("Analytics: 10-step funnel")
    report.note(
        f"{events.num_rows:,} events, {n_customers:,} customers, 14-day window; best of "
        f"{repeat}. Same Arrow table in memory for every contender. Data made in {made:.1f} s; "
        f"dictionary-encoding event, type and profile columns (what `LogSources` keeps per "
        f"log snapshot) took {encoded_in:.1f} s once."
    )
    report.table(
        ["mode", "engine", "seconds", "x chdb", "counts equal chdb", "reached step 10"], rows
    )


# -- journey reports ------------------------------------------------------------------------------


def journey_tables(n_customers: int, products: int, seed: int = 11) -> tuple[pa.Table, pa.Table]:
    """Journeys entering at any of the first five stages, then moving forward (60%), skipping
    (15%), back (5%) or stopping (20%) at each step, gaps exponential (mean 5 days)."""
    rng = np.random.default_rng(seed)
    model = load_model("hourglass")
    names = np.array(model.stage_names)
    n = n_customers + n_customers // 5  # a fifth of the customers follow a second product
    # one journey per (profile, product), as the engine keeps them
    first = rng.integers(0, products, n_customers)
    profile = np.concatenate([np.arange(n_customers), np.arange(n - n_customers)])
    product = np.concatenate([first, (first[: n - n_customers] + 1) % products])
    pos = rng.choice(5, n, p=[0.4, 0.2, 0.15, 0.15, 0.1])
    at = T0_MS * 1000 + rng.integers(0, 60 * DAY_US, n)
    alive = np.ones(n, dtype=bool)
    t_who, t_from, t_to, t_at = [np.arange(n)], [np.full(n, -1)], [pos.copy()], [at.copy()]
    for _ in range(14):
        move = rng.random(n)
        step = np.where(move < 0.6, 1, np.where(move < 0.75, rng.integers(2, 4, n), -1))
        alive &= move < 0.8
        nxt = np.clip(pos + step, 0, len(names) - 1)
        go = alive & (nxt != pos)
        at = at + rng.exponential(5 * DAY_US, n).astype(np.int64)
        t_who.append(np.flatnonzero(go))
        t_from.append(pos[go])
        t_to.append(nxt[go])
        t_at.append(at[go])
        pos = np.where(go, nxt, pos)
    who = np.concatenate(t_who)
    frm, to, when = np.concatenate(t_from), np.concatenate(t_to), np.concatenate(t_at)
    order = np.lexsort((when, who))
    who, frm, to, when = who[order], frm[order], to[order], when[order]
    last = np.r_[who[1:] != who[:-1], True]
    furthest = np.zeros(n, dtype=np.int64)
    np.maximum.at(furthest, who, to)
    purchase = model.stage_index("purchase")
    bought = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(bought, who[to >= purchase], when[to >= purchase])
    ids = pc.binary_join_element_wise(pa.scalar("p"), pc.cast(pa.array(profile), pa.string()), "")
    products_ = np.array([f"kit-{i}" for i in range(products)])
    ts = pa.timestamp("us")
    transitions = pa.table(
        {
            "profile_id": ids.take(pa.array(who)),
            "model": pa.array(np.full(len(who), "hourglass")),
            "product": pa.array(products_[product[who]]),
            "from_stage": pa.array(np.where(frm >= 0, names[np.maximum(frm, 0)], None)),
            "to_stage": pa.array(names[to]),
            "at": pa.array(when, ts),
            "seq": pa.array(np.arange(len(who))),
        }
    )
    end = who[last]
    entered = when[last]
    states = pa.table(
        {
            "profile_id": ids.take(pa.array(end)),
            "model": pa.array(np.full(len(end), "hourglass")),
            "product": pa.array(products_[product[end]]),
            "stage": pa.array(names[to[last]]),
            "furthest": pa.array(names[furthest[end]]),
            "entered_at": pa.array(entered, ts),
            "last_evidence_at": pa.array(entered + rng.integers(0, 20 * DAY_US, len(end)), ts),
            # customers who never bought have no purchase time
            "purchased_at": pa.array(bought[end], ts, mask=bought[end] == np.iinfo(np.int64).max),
        }
    )
    return transitions, states


def _python_reports(transitions: pa.Table, states: pa.Table, as_of: datetime) -> dict[str, Any]:
    """The same numbers the plain way: a loop over rows (the baseline)."""
    model = load_model("hourglass")
    index = {s.name: i for i, s in enumerate(model.stages)}
    stall = [s.stall_after for s in model.stages]
    lapse = [s.lapse_after for s in model.stages]
    now = as_of.replace(tzinfo=None)
    counts: Counter[tuple[str, str, str]] = Counter()
    reached: Counter[tuple[str, str]] = Counter()
    for row in states.to_pylist():
        i = index[row["stage"]]
        if lapse[i] is not None and now - row["last_evidence_at"] >= lapse[i]:
            status = "lapsed"
        elif stall[i] is not None and now - row["entered_at"] >= stall[i]:
            status = "stalled"
        else:
            status = "active"
        counts[(row["product"], row["stage"], status)] += 1
        for j in range(index[row["furthest"]] + 1):
            reached[(row["product"], model.stages[j].name)] += 1
    stays: dict[tuple[str, str], list[float]] = defaultdict(list)
    moves: Counter[tuple[str | None, str]] = Counter()
    previous: dict[str, Any] | None = None
    rows = sorted(
        transitions.to_pylist(), key=lambda r: (r["profile_id"], r["product"], r["at"], r["seq"])
    )
    for row in rows:
        moves[(row["from_stage"], row["to_stage"])] += 1
        if previous is not None and (previous["profile_id"], previous["product"]) == (
            row["profile_id"],
            row["product"],
        ):
            stays[(row["product"], previous["to_stage"])].append(
                (row["at"] - previous["at"]).total_seconds()
            )
        previous = row
    medians = {k: statistics.median(v) for k, v in stays.items()}
    return {"counts": counts, "reached": reached, "medians": medians, "moves": moves}  # fmt: skip


def bench_reports(report: Any, n_customers: int, products: int) -> None:
    began = time.perf_counter()
    transitions, states = journey_tables(n_customers, products)
    made = time.perf_counter() - began
    model = load_model("hourglass")
    journeys = JourneyData(models=[model], transitions=transitions, states=states)
    as_of = datetime(2026, 4, 1, tzinfo=UTC)
    engine = Analytics()

    def cold() -> object:
        # a fresh JourneyData: the integer encoding of the tables is part of the time
        fresh = JourneyData(models=[model], transitions=transitions, states=states)
        return engine.hourglass(fresh, as_of=as_of), engine.transitions(fresh)

    cold_s, _ = _best(cold, 2)
    hourglass_s, hourglass = _best(lambda: engine.hourglass(journeys, as_of=as_of), 2)
    moves_s, moves = _best(lambda: engine.transitions(journeys), 2)
    python_s, python = _best(lambda: _python_reports(transitions, states, as_of), 1)
    agree = all(
        s.stalled == python["counts"][(p.product, s.stage, "stalled")]
        and s.lapsed == python["counts"][(p.product, s.stage, "lapsed")]
        and s.reached == python["reached"][(p.product, s.stage)]
        and (
            s.median_seconds is None
            or abs(s.median_seconds - python["medians"][(p.product, s.stage)]) < 1e-3
        )
        for p in hourglass.products
        for s in p.stages
    ) and all(
        link.count == python["moves"][(None if link.from_ == "(entry)" else link.from_, link.to)]
        for link in moves.links
    )
    total = hourglass_s + moves_s
    report.section("Analytics: journey reports")
    report.note(
        f"{states.num_rows:,} journeys of {n_customers:,} customers over {products} products, "
        f"{transitions.num_rows:,} stage changes (made in {made:.1f} s). Hourglass = per product "
        "customers per stage and status (stalled, lapsed), reached, conversion, median and p90 "
        "time in stage, drop-outs; transitions = matrix and Sankey links with skips and moves "
        "back, paths before purchase."
    )
    report.table(
        ["report (Waymark)", "seconds", "x Python loop", "agrees with the Python loop"],
        [
            ["hourglass, every product", hourglass_s, hourglass_s / python_s, ""],
            ["transitions + paths", moves_s, moves_s / python_s, ""],
            ["both, tables already encoded", total, total / python_s, "yes" if agree else "NO"],
            ["both, first call (encoding included)", cold_s, cold_s / python_s, ""],
            ["Python loop over the rows (baseline)", python_s, 1.0, ""],
        ],
    )


def run(report: Any) -> None:
    n_events = int(os.environ.get("WAYMARK_BENCH_EVENTS", "10000000"))
    n_customers = int(os.environ.get("WAYMARK_BENCH_CUSTOMERS", str(max(n_events // 10, 1))))
    repeat = 2 if n_events <= 10_000_000 else 1
    bench_funnel(report, n_events, n_customers, repeat)
    bench_reports(report, n_customers, products=3)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["WAYMARK_BENCH_EVENTS"] = sys.argv[1]
    run(ConsoleReport())
