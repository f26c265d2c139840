"""Journey stage placement: streaming throughput and the batch rebuild, each side by side with
a baseline measured in the same run.

``run(report)`` calls ``report.section(title)``, ``report.table(headers, rows)`` and
``report.note(text)``. Alone: ``python -m bench.journey [events]`` prints the same report.

- Streaming: committed ``Event``s with their profile ids through ``JourneyEngine.observe`` in
  batches of 1,000 (as the runtime feeds them), on one core, for the hourglass alone and for
  the three shipped models at once; baseline: the same events merely iterated with their
  product id read (the floor of any per-event Python work).
- Rebuild: the same events as Arrow batches of the log's schema through ``rebuild`` (evidence
  rules as SQL over the batches, then the stage machine over the evidence rows); baseline: a
  plain DuckDB scan of the same batches reading every column the rules read.

Data: synthetic, generated here with NumPy (seeded): profiles walk the hourglass's event
vocabulary per product with a bias towards later stages over time, a third of events are
noise (page views, identifies, unrelated track calls), timestamps mostly increasing with some
late arrivals.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb
import msgspec
import numpy as np
import pyarrow as pa

from bench._report import ConsoleReport
from waymark.core.eventframe import EVENT_SCHEMA, arrow_to_events
from waymark.core.events import Event
from waymark.journey.api import JourneyEngine, load_model, rebuild

_VOCAB = (
    ("Ad Clicked", False),
    ("Social Post Engaged", False),
    ("Guide Downloaded", False),
    ("Products Searched", False),
    ("Product Viewed", True),
    ("Trial Started", True),
    ("Product Shared", True),
    ("Product Added", True),
    ("Checkout Started", True),
    ("Order Completed", True),
    ("Order Delivered", True),
    ("Product Used", True),
    ("Survey Responded", True),
    ("Subscription Upgraded", True),
    ("Product Reviewed", True),
    ("Referral Sent", True),
)
_NOISE = ("Email Opened", "Button Clicked", "Search Results Viewed")
_PRODUCTS = 8
_T0 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_DAY = 86_400_000_000


class ReportLike(Protocol):
    def section(self, title: str) -> None: ...

    def table(self, headers: list[str], rows: list[list[Any]]) -> None: ...

    def note(self, text: str) -> None: ...


def synthetic(
    n: int, profiles: int, *, seed: int = 7, batch_rows: int = 65_536
) -> tuple[list[pa.RecordBatch], list[pa.Array]]:
    """``n`` events of ``profiles`` profiles over 90 days, as log batches and profile ids."""
    rng = np.random.default_rng(seed)
    profile = rng.integers(0, profiles, n)
    # progress through the journey grows with time, per profile at its own pace
    day = np.sort(rng.uniform(0, 90, n))
    late = rng.random(n) < 0.02
    day[late] -= rng.uniform(0, 3, late.sum())
    pace = rng.uniform(0.3, 1.5, profiles)[profile]
    step = np.clip(
        (day / 90 * pace * len(_VOCAB) + rng.normal(0, 2, n)).astype(np.int64), 0, len(_VOCAB) - 1
    )
    noise = rng.random(n) < 0.33
    product = rng.integers(0, _PRODUCTS, n)
    # names and properties built from small tables, then taken (no per-row Python)
    names = np.array([v[0] for v in _VOCAB] + list(_NOISE), dtype=object)
    name_idx = np.where(noise, len(_VOCAB) + rng.integers(0, len(_NOISE), n), step)
    has_product = np.array([v[1] for v in _VOCAB] + [False] * len(_NOISE))[name_idx]
    score = rng.integers(0, 11, n)
    props = np.array(
        [
            msgspec.json.encode({"product_id": f"kit-{p}", "score": s}).decode()
            for p in range(_PRODUCTS)
            for s in range(11)
        ]
        + [msgspec.json.encode({"score": s}).decode() for s in range(11)],
        dtype=object,
    )
    prop_idx = np.where(has_product, product * 11 + score, _PRODUCTS * 11 + score)
    ts = _T0 + (day * _DAY).astype(np.int64)
    kinds = np.where(noise & (rng.random(n) < 0.5), "page", "track")
    table = pa.table(
        {
            "seq": pa.array(np.arange(1, n + 1), pa.int64()),
            "message_id": pa.array(np.char.add("m", np.arange(n).astype(str)).astype(object)),
            "source": pa.array(np.full(n, "bench", dtype=object)),
            "type": pa.array(kinds.astype(object)),
            "event": pa.array(np.where(kinds == "track", names[name_idx], None)),
            "name": pa.array(np.where(kinds == "page", "Home", None).astype(object)),
            "category": pa.nulls(n, pa.string()),
            "user_id": pa.nulls(n, pa.string()),
            "anonymous_id": pa.nulls(n, pa.string()),
            "group_id": pa.nulls(n, pa.string()),
            "previous_id": pa.nulls(n, pa.string()),
            "timestamp": pa.array(ts, pa.timestamp("us")),
            "original_timestamp": pa.nulls(n, pa.timestamp("us")),
            "sent_at": pa.nulls(n, pa.timestamp("us")),
            "received_at": pa.array(ts, pa.timestamp("us")),
            "channel": pa.array(np.full(n, "web", dtype=object)),
            "campaign": pa.nulls(n, pa.string()),
            "properties": pa.array(props[prop_idx]),
            "traits": pa.nulls(n, pa.string()),
            "context": pa.nulls(n, pa.string()),
            "integrations": pa.nulls(n, pa.string()),
        },
        schema=EVENT_SCHEMA,
    )
    ids = pa.array(np.char.add("p", profile.astype(str)).astype(object), pa.string())
    batches = table.to_batches(max_chunksize=batch_rows)
    out_ids: list[pa.Array] = []
    offset = 0
    for batch in batches:
        out_ids.append(ids.slice(offset, batch.num_rows))
        offset += batch.num_rows
    return batches, out_ids


def _scan(batches: list[pa.RecordBatch]) -> tuple[float, float]:
    con = duckdb.connect()
    start = time.perf_counter()
    cpu = time.process_time()
    for batch in batches:
        con.register("b", batch)
        con.sql(
            "SELECT count(*), max(timestamp), count(DISTINCT event), sum(length(properties)) FROM b"
        ).fetchall()
        con.unregister("b")
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return elapsed


def _streaming(
    events: list[Event], ids: list[str], model_names: tuple[str, ...]
) -> tuple[float, float]:
    engine = JourneyEngine([load_model(n) for n in model_names])
    start = time.perf_counter()
    cpu = time.process_time()
    for i in range(0, len(events), 1000):
        engine.observe(events[i : i + 1000], ids[i : i + 1000])
    return time.perf_counter() - start, time.process_time() - cpu


def _iterate(events: list[Event], ids: list[str]) -> float:
    start = time.perf_counter()
    seen = 0
    for event, _ in zip(events, ids, strict=True):
        if event.properties.get("product_id") is not None:
            seen += 1
    return time.perf_counter() - start


def run(report: ReportLike, *, events: int = 2_000_000, stream_events: int = 300_000) -> None:
    profiles = max(1, events // 50)
    batches, ids = synthetic(events, profiles)
    models = [load_model(n) for n in ("hourglass", "value-journey", "buy-own-advocate")]

    report.section("journey: batch rebuild (evidence SQL over Arrow + stage machine)")
    scan, scan_cpu = _scan(batches)
    rows: list[list[Any]] = []
    for label, chosen in (("hourglass", models[:1]), ("3 shipped models", models)):
        start = time.perf_counter()
        cpu = time.process_time()
        result = rebuild(chosen, zip(batches, ids, strict=True))
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        rows.append(
            [
                label,
                events,
                f"{elapsed:.2f}",
                f"{used:.2f}",
                f"{events / elapsed:,.0f}",
                f"{scan:.2f}",
                f"{elapsed / scan:.1f}x",
                f"{elapsed * 10_000_000 / events:.0f}",
                result.states.num_rows,
                result.evidence.num_rows,
            ]
        )
    report.table(
        [
            "models",
            "events",
            "rebuild s",
            "CPU s",
            "events/s",
            "scan s (baseline)",
            "rebuild / scan",
            "linear estimate s for 10M",
            "journeys",
            "evidence rows",
        ],
        rows,
    )
    report.note(
        f"{profiles:,} profiles, {_PRODUCTS} products, 90 days; scan CPU {scan_cpu:.2f} s. "
        "The 10M figure is a linear extrapolation (the SQL is per batch, the stage machine per "
        "evidence row), not a measurement. CPU s counts every thread (DuckDB uses both cores); "
        "on a busy machine wall time exceeds it."
    )

    report.section("journey: streaming placement (one core)")
    head = pa.Table.from_batches(batches).slice(0, stream_events)
    stream = arrow_to_events(head)
    stream_ids = pa.concat_arrays(ids).slice(0, stream_events).to_pylist()
    base = _iterate(stream, stream_ids)
    srows: list[list[Any]] = []
    for label, names in (
        ("hourglass", ("hourglass",)),
        ("3 shipped models", ("hourglass", "value-journey", "buy-own-advocate")),
    ):
        elapsed, used = _streaming(stream, stream_ids, names)
        srows.append(
            [
                label,
                stream_events,
                f"{stream_events / elapsed:,.0f}",
                f"{stream_events / used:,.0f}",
                f"{stream_events / base:,.0f}",
                f"{elapsed / base:.1f}x",
            ]
        )
    report.table(
        [
            "models",
            "events",
            "events/s (wall)",
            "events/s (CPU)",
            "iterate-only events/s (baseline)",
            "cost vs baseline",
        ],
        srows,
    )
    report.note(
        "Batches of 1,000 committed events with their profile ids, as the runtime feeds them; "
        "one Python thread. Stage changes are computed and returned, nothing is persisted."
    )


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    run(ConsoleReport(), events=size, stream_events=min(size, 300_000))
