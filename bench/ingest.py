"""Ingest: parse + validate, durable ingest over HTTP, and bulk import, each side by side with a
baseline measured in the same run.

``run(report)`` calls ``report.section(title)``, ``report.table(headers, rows)`` and
``report.note(text)``. Alone: ``python -m bench.ingest [--import-events N] [--seconds S]``
prints the same report. (``python -m bench.ingest load ...`` and ``... ceiling ...`` are the
helper processes the HTTP benchmark starts; they are not meant to be run by hand.)

- Parse + validate, one core: realistic Segment batches of 100 messages (as bytes) through
  ``waymark.ingest.api.split`` + ``parse`` (msgspec), against stdlib ``json.loads`` plus dict
  checks doing the same validation and normalisation into the same ``Event``s.
- Durable ingest over HTTP on loopback: a real ``waymark serve`` (subprocess) on a fresh data
  directory, loaded from a separate process by aiohttp with 16 connections posting batches of
  100 unique messages; events/s acknowledged (200 = committed) and request latency p50/p99.
  Baseline: the same load against a bare Starlette + msgspec endpoint on the same uvicorn
  settings that parses each batch and discards it (the HTTP ceiling of this machine).
- Bulk import: a generated JSONL file through ``waymark import`` (subprocess, fresh data
  directory); baseline: DuckDB's own ``read_ndjson`` loading the same file into a table with
  no validation, no normalisation and no deduplication.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench._report import ConsoleReport
from bench._report import Sink as Report
from bench._server import free_port, stop, wait_healthy
from waymark.core.events import EVENT_TYPES, Event

WRITE_KEY = "bench-write-key"
BATCH = 100
CONNECTIONS = 16
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- realistic messages ----------------------------------------------------------------------

_EVENTS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed",
           "Email Opened", "Guide Downloaded", "Trial Started", "Search Performed")  # fmt: skip
_PAGES = ("Home", "Pricing", "Docs", "Product", "Basket", "Blog")
_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def message(rng: random.Random, n: int) -> dict[str, Any]:
    """One message shaped like the Segment SDKs send them (about 600-900 bytes)."""
    kind = rng.choices(["track", "page", "identify", "screen", "group", "alias"],
                       weights=[60, 22, 10, 4, 2, 2])[0]  # fmt: skip
    user = f"user-{rng.randrange(200_000)}"
    ts = NOW - timedelta(seconds=rng.randrange(86_400))
    context: dict[str, Any] = {
        "library": {"name": "analytics.js" if kind == "page" else "analytics-python",
                    "version": "2.4.0"},
        "ip": f"203.0.113.{rng.randrange(255)}",
        "userAgent": _UA,
        "locale": "en-GB",
    }  # fmt: skip
    if kind == "page" and rng.random() < 0.3:
        context["page"] = {
            "url": "https://shop.example.com/p?utm_source=news&utm_medium=email"
            "&utm_campaign=spring",
            "referrer": "https://mail.example.com/",
        }
    msg: dict[str, Any] = {
        "type": kind,
        "messageId": f"{uuid.UUID(int=rng.getrandbits(128))}-{n}",
        "userId": user,
        "anonymousId": f"anon-{rng.randrange(10**9)}",
        "timestamp": ts.isoformat().replace("+00:00", "Z"),
        "sentAt": (ts + timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
        "context": context,
        "integrations": {"All": True},
    }
    if kind == "track":
        msg["event"] = rng.choice(_EVENTS)
        msg["properties"] = {
            "product_id": f"sku-{rng.randrange(5000)}",
            "price": round(rng.uniform(5, 500), 2),
            "currency": "EUR",
            "quantity": rng.randrange(1, 4),
            "category": "Garden",
        }
    elif kind in ("page", "screen"):
        msg["name"] = rng.choice(_PAGES)
        msg["properties"] = {"path": "/p", "title": "Shop", "search": ""}
    elif kind == "identify":
        msg["traits"] = {"email": f"{user}@example.com", "plan": "pro", "age": rng.randrange(80)}
    elif kind == "group":
        msg["groupId"] = f"acct-{rng.randrange(1000)}"
        msg["traits"] = {"name": "ACME", "employees": 120}
    else:
        msg["previousId"] = msg["anonymousId"]
    return msg


def batch_bodies(count: int, seed: int, first: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [
        json.dumps({"batch": [message(rng, first + b * BATCH + i) for i in range(BATCH)]}).encode()
        for b in range(count)
    ]


# -- parse + validate ------------------------------------------------------------------------


def _stdlib_parse(body: bytes, received_at: datetime) -> list[Event]:
    """The same validation and normalisation with ``json`` and dict checks (the baseline)."""
    from waymark.ingest._channel import campaign_of, channel_of  # same derivation for both

    doc = json.loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("batch"), list):
        raise ValueError("batch must be a list")
    out: list[Event] = []
    for raw in doc["batch"]:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("type")
        if kind not in EVENT_TYPES:
            continue
        ids = {}
        for key in ("userId", "anonymousId", "messageId", "groupId", "previousId"):
            value = raw.get(key)
            if value is not None and not isinstance(value, str | int | float):
                raise ValueError(key)
            ids[key] = None if value is None else str(value)
        if ids["userId"] is None and ids["anonymousId"] is None:
            continue
        event = raw.get("event")
        if kind == "track" and not (isinstance(event, str) and event.strip()):
            continue
        for key in ("properties", "traits", "context", "integrations"):
            if raw.get(key) is not None and not isinstance(raw[key], dict):
                raise ValueError(key)
        for key in ("name", "category"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise ValueError(key)
        ts = datetime.fromisoformat(raw["timestamp"]) if raw.get("timestamp") else None
        sent = datetime.fromisoformat(raw["sentAt"]) if raw.get("sentAt") else None
        timestamp = received_at - (sent - ts) if ts and sent else (ts or received_at)
        context = raw.get("context") or {}
        campaign = campaign_of(context)
        out.append(
            Event(
                message_id=ids["messageId"] or "",
                type=kind,
                timestamp=timestamp,
                received_at=received_at,
                source="bench",
                event=event if kind == "track" else None,
                name=raw.get("name"),
                user_id=ids["userId"],
                anonymous_id=ids["anonymousId"],
                group_id=ids["groupId"],
                previous_id=ids["previousId"],
                original_timestamp=ts,
                sent_at=sent,
                channel=channel_of(kind, context, campaign),
                campaign=campaign,
                properties=raw.get("properties") or {},
                traits=raw.get("traits") or {},
                context=context,
                integrations=raw.get("integrations") or {},
            )
        )
    return out


def _msgspec_parse(body: bytes, received_at: datetime) -> list[Event]:
    from waymark.ingest.api import IngestLimits, parse, split

    limits = IngestLimits()
    envelope = split(body, endpoint=None, limits=limits)
    parsed = parse(envelope, endpoint=None, source="bench", received_at=received_at, limits=limits)
    return parsed.events


def _rate(
    fn: Callable[[bytes, datetime], list[Event]], bodies: list[bytes], seconds: float
) -> float:
    """Events per second of ``fn`` over ``bodies``, best of three rounds of ~``seconds``."""
    best = 0.0
    for _ in range(3):
        events = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            for body in bodies:
                events += len(fn(body, NOW))
        best = max(best, events / (time.perf_counter() - start))
    return best


def _decode_only(body: bytes, received_at: datetime) -> list[Any]:
    """msgspec alone: the batch decoded in one pass into the wire struct, nothing else."""
    from waymark.ingest._segment import WireMessage  # private: only to show where time goes

    messages: list[Any] = _typed_batch(WireMessage)(body).batch
    return messages


def _typed_batch(message: type) -> Callable[[bytes], Any]:
    cached = _DECODERS.get(message)
    if cached is None:
        batch_type = msgspec.defstruct("Batch", [("batch", list[message])])  # type: ignore[valid-type]
        cached = _DECODERS[message] = msgspec.json.Decoder(batch_type).decode
    return cached


_DECODERS: dict[type, Callable[[bytes], Any]] = {}


def bench_parse(report: Report, seconds: float) -> None:
    bodies = batch_bodies(50, seed=1)
    fast = _msgspec_parse(bodies[0], NOW)
    slow = _stdlib_parse(bodies[0], NOW)
    assert len(fast) == len(slow) == BATCH
    assert [msg_fields(e) for e in fast] == [msg_fields(e) for e in slow], "baselines disagree"
    msgspec_rate = _rate(_msgspec_parse, bodies, seconds)
    stdlib_rate = _rate(_stdlib_parse, bodies, seconds)
    decode_rate = _rate(_decode_only, bodies, seconds)
    report.section("Ingest: parse + validate (one core)")
    report.table(
        ["path", "events/s", "ratio", "goal"],
        [
            ["msgspec: ingest.api.split + parse", msgspec_rate, msgspec_rate / stdlib_rate,
             "≥ 500,000"],
            ["baseline: json.loads + dict checks", stdlib_rate, 1.0, ""],
            ["(where time goes) msgspec decode only, one pass, no normalisation", decode_rate,
             decode_rate / stdlib_rate, ""],
        ],
    )  # fmt: skip
    avg = sum(len(b) for b in bodies) / len(bodies) / BATCH
    per_event_us = 1e6 / msgspec_rate - 1e6 / decode_rate
    report.note(
        f"Batches of {BATCH} realistic messages (~{avg:.0f} bytes each: context with library, "
        "ip, user agent; properties or traits), 50 distinct batches, best of 3 rounds. Both "
        "paths produce the same `Event`s (checked), including skew correction, channel and "
        f"campaign. msgspec path: {'meets' if msgspec_rate >= 500_000 else 'MISSES'} the "
        f"500k events/s goal. Decoding is not the limit: msgspec decodes these batches at "
        f"{decode_rate:,.0f} events/s; the per-message Python work after it (two-pass split so "
        "a bad message is rejected alone, id and timestamp normalisation, skew correction, "
        f"channel and campaign derivation, building the `Event`) costs ~{per_event_us:.1f} µs "
        "per event. Channel derivation was a third of that until library prefixes were "
        "matched in one `str.startswith(tuple)` call; what is left is spread over building the "
        "`Event`, the per-message decode call, ids, timestamps and campaign parsing (cProfile, "
        "by hand). Reaching 500k needs that work vectorised per batch (columns, not "
        "per-message calls), which the ingest path does not do yet."
    )


def msg_fields(e: Event) -> tuple[Any, ...]:
    return (e.message_id, e.type, e.user_id, e.timestamp, e.channel, e.properties, e.campaign)


# -- HTTP: helper processes ------------------------------------------------------------------


class _CeilingMessage(msgspec.Struct, rename="camel"):
    type: str
    message_id: str
    user_id: str | None = None
    timestamp: datetime | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class _CeilingBatch(msgspec.Struct):
    batch: list[_CeilingMessage]


def ceiling_app() -> Any:
    """A bare Starlette + msgspec endpoint: parse the batch, discard it, answer 200."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    decode = msgspec.json.Decoder(_CeilingBatch).decode

    async def batch(request: Request) -> Response:
        parsed = decode(await request.body())
        body = b'{"success":true,"accepted":%d}' % len(parsed.batch)
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    return Starlette(
        routes=[Route("/v1/batch", batch, methods=["POST"]), Route("/healthz", healthz)]
    )


def _serve_ceiling(port: int) -> None:
    import uvicorn

    # the same uvicorn settings as `waymark serve`
    uvicorn.run(ceiling_app(), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, lifespan="on")  # fmt: skip


async def _load(url: str, seconds: float, connections: int, seed: int) -> dict[str, Any]:
    import aiohttp

    bodies = batch_bodies(200, seed=seed)  # pre-encoded; ids made unique per send below
    latencies: list[float] = []
    acked = 0
    failed = 0
    counter = 0
    auth = aiohttp.BasicAuth(WRITE_KEY, "")
    stop_at = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession, wid: int) -> None:
        nonlocal acked, failed, counter
        while time.perf_counter() < stop_at:
            counter += 1
            # a unique suffix on every messageId: no request is a duplicate of another
            body = bodies[counter % len(bodies)].replace(
                b'"messageId": "', f'"messageId": "{counter}-'.encode()
            )
            start = time.perf_counter()
            async with session.post(f"{url}/v1/batch", data=body, auth=auth) as response:
                await response.read()
                ok = response.status == 200
            latencies.append(time.perf_counter() - start)
            if ok:
                acked += BATCH
            else:
                failed += 1

    connector = aiohttp.TCPConnector(limit=connections)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session, w) for w in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "events_per_s": acked / elapsed,
        "requests": len(latencies),
        "failed": failed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0,
        "seconds": elapsed,
    }


def _run_load(url: str, seconds: float, seed: int) -> dict[str, Any]:
    """The load generator in its own process, so it does not share the server's core."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "load", url, str(seconds), str(seed)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _server_env() -> dict[str, str]:
    return {**os.environ, "WAYMARK_WRITE_KEYS": f"{WRITE_KEY}:bench",
            "WAYMARK_ADMIN_TOKEN": "bench-admin"}  # fmt: skip


def _stage_rates(groups: int = 20, group_size: int = 1600, rounds: int = 3) -> dict[str, float]:
    """Events/s of the durable path's stages in this process, one core, no HTTP: what one
    server process must do per event besides HTTP itself. Best of ``rounds`` (the append on a
    fresh store each round), as the machine's other work makes single passes noisy."""
    from waymark.core.eventframe import events_to_arrow
    from waymark.store.duckdb.store import DuckDBStore

    bodies = batch_bodies(groups * group_size // BATCH, seed=11, first=10**9)
    events = [e for body in bodies for e in _msgspec_parse(body, NOW)]
    chunks = [events[i : i + group_size] for i in range(0, len(events), group_size)]
    events_to_arrow(chunks[0])  # pyarrow's one-off lazy imports are not the stage's cost
    best = {"parse": 0.0, "to_arrow": 0.0, "append": 0.0}
    n = len(events)
    for _ in range(rounds):
        start = time.perf_counter()
        for body in bodies:
            _msgspec_parse(body, NOW)
        best["parse"] = max(best["parse"], n / (time.perf_counter() - start))
        start = time.perf_counter()
        for chunk in chunks:
            events_to_arrow(chunk, first_seq=1)
        best["to_arrow"] = max(best["to_arrow"], n / (time.perf_counter() - start))
        with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
            store = DuckDBStore(Path(tmp))
            try:
                start = time.perf_counter()
                for chunk in chunks:
                    store.events.append(chunk)
                best["append"] = max(best["append"], n / (time.perf_counter() - start))
            finally:
                store.close()
    return best


def _sim_events(customers: int = 2_000, days: int = 60) -> list[Event]:
    """Simulated customers (the shipped learning-kits preset) as parsed events, in log order:
    repeat visits, identity merges and journeys that progress, unlike the load's messages."""
    from waymark.ingest.api import IngestLimits, RawRecord, parse_records
    from waymark.sim.api import load_preset, simulate

    population = simulate(load_preset("learning-kits"), customers=customers, products=3,
                          days=days, seed=11)  # fmt: skip
    encode = msgspec.json.Encoder().encode
    out: list[Event] = []
    for chunk in population.messages():
        records = [RawRecord(line=i + 1, raw=encode(m)) for i, m in enumerate(chunk)]
        out += parse_records(records, source="bench", received_at=NOW,
                             limits=IngestLimits()).events  # fmt: skip
    return out


class _Timed:
    """A pipeline processor that adds the time its ``process`` takes to ``spent``."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor
        self.name: str = processor.name
        self.spent = 0.0

    def checkpoint(self) -> int:
        return int(self.processor.checkpoint())

    def process(self, events: list[Event]) -> None:
        start = time.perf_counter()
        self.processor.process(events)
        self.spent += time.perf_counter() - start

    def flush(self) -> None:
        self.processor.flush()


def _pipeline_rates(events: list[Event], group_size: int = 1600) -> dict[str, float]:
    """Events/s of processing committed groups through every processor, as ``waymark serve``
    composes them (``build_services`` over a fresh DuckDB store), and of appending the same
    groups, in the same run. Each group is appended, given its seqs as the group committer
    gives them, then processed through ``Pipeline.__call__`` as the committer calls it (the
    collector paused around the group); the first group (lazy imports, loading flows) is not
    timed.
    The clock follows the events (as if they arrived live), so scores decay and labels hold as
    in a running server, not as they would months after the events."""
    from waymark.core.clock import FakeClock
    from waymark.core.settings import Settings
    from waymark.runtime.committer import with_seqs
    from waymark.runtime.services import build_services
    from waymark.store.duckdb.store import DuckDBStore

    chunks = [events[i : i + group_size] for i in range(0, len(events), group_size)]
    append_s = 0.0
    spent: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        data = Path(tmp)
        store = DuckDBStore(data)
        try:
            clock = FakeClock(min(e.timestamp for e in events))
            services = build_services(Settings.from_env({}, data_dir=data),
                                      event_log=store.events, stores=store.features(),
                                      environ={}, clock=clock)  # fmt: skip
            processors = [_Timed(p) for p in services.pipeline.processors]
            services.pipeline.processors[:] = processors
            for n, chunk in enumerate(chunks):
                clock.set(max(clock.now(), *(e.timestamp for e in chunk)))
                start = time.perf_counter()
                result = store.events.append(chunk)
                took = time.perf_counter() - start
                stored = with_seqs(chunk, result)
                timed = n > 0
                append_s += took if timed else 0.0
                # through the pipeline, as the group committer calls it (the collector is
                # paused around the whole group there), each processor timed inside
                for processor in processors:
                    processor.spent = 0.0
                services.pipeline(stored)
                if timed:
                    for processor in processors:
                        spent[processor.name] = spent.get(processor.name, 0.0) + processor.spent
        finally:
            store.close()
    timed_events = sum(len(c) for c in chunks[1:])
    process_s = sum(spent.values())
    return {
        "events": timed_events,
        "process": timed_events / process_s,
        "append": timed_events / append_s,
        **{f"share:{name}": t / process_s for name, t in spent.items()},
    }


def bench_pipeline(report: Report) -> None:
    load = [e for body in batch_bodies(12_000 // BATCH, seed=11, first=10**9)
            for e in _msgspec_parse(body, NOW)]  # fmt: skip
    streams = (
        ("the HTTP load's messages (200,000 users, 2% group calls)", load),
        ("simulated customers (learning-kits, 2,000 customers, 60 days)", _sim_events()),
    )
    rows: list[list[object]] = []
    shares: list[str] = []
    for label, events in streams:
        r = _pipeline_rates(events)
        rows.append([f"{label}: processing (every processor)", int(r["events"]), r["process"],
                     r["process"] / r["append"]])  # fmt: skip
        rows.append([f"{label}: baseline, DuckDBEventLog.append of the same groups",
                     int(r["events"]), r["append"], 1.0])  # fmt: skip
        shares.append(
            label.split(" (")[0] + ": " + ", ".join(
                f"{k.removeprefix('share:')} {v:.0%}" for k, v in r.items()
                if k.startswith("share:")
            )
        )  # fmt: skip
    report.section("Ingest: processing committed groups (what a 200 waits for)")
    report.table(["stream, path (in process, one core, groups of 1,600)", "events",
                  "events/s", "ratio to append"], rows)  # fmt: skip
    report.note(
        "The group committer appends a group, then feeds it through the pipeline before it "
        "answers the requests in it (read-your-writes), so both are on the writer thread, one "
        "after the other. Processing is `build_services` over a fresh DuckDB store with every "
        "feature store, as `waymark serve` composes it: `derived` is identity, then journeys "
        "(with the flows their stage changes start), accounts and lead scoring; `decide` is "
        "decide's feedback; `orchestrate` the flows events trigger. Share of processing time: "
        + "; ".join(shares)
        + ". Per-event Python remains in each feature's streaming engine "
        "(identity's graph step, journey evidence matching, scoring's points per event) and "
        "in starting flow runs (a run and its first timer per stage change: ids and "
        "conditions in Python, then DuckDB's insert of runs and timers and the commit)."
    )


def bench_http(report: Report, seconds: float) -> None:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        data = Path(tmp) / "data"
        results: dict[str, dict[str, Any]] = {}
        for name, argv in (
            ("waymark", ["-m", "waymark.cli", "serve", "--data", str(data), "--quiet"]),
            ("ceiling", ["-m", "bench.ingest", "ceiling"]),
        ):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = Path(tmp) / f"{name}.log"
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, *argv, "--port", str(port)],
                    env=_server_env(), cwd=Path(__file__).parent.parent,
                    stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            try:
                wait_healthy(url, proc, log_path)
                _run_load(url, min(2.0, seconds), seed=99)  # warm-up
                results[name] = _run_load(url, seconds, seed=7)
                if name == "waymark":
                    stored = httpx.get(
                        f"{url}/api/v1/events", params={"limit": 1},
                        headers={"Authorization": "Bearer bench-admin"}, timeout=60,
                    ).json()["total_in_log"]  # fmt: skip
                    results[name]["stored"] = stored
            finally:
                stop(proc)
        durable, ceiling = results["waymark"], results["ceiling"]
        for label, r in (
            ("waymark serve: durable (200 after group commit)", durable),
            ("baseline: bare Starlette + msgspec, parse and discard", ceiling),
        ):
            rows.append([label, r["events_per_s"], r["events_per_s"] / ceiling["events_per_s"],
                         r["p50_ms"], r["p99_ms"], r["requests"], r["failed"]])  # fmt: skip
    stages = _stage_rates()
    serial = 1 / (1 / stages["parse"] + 1 / stages["append"])
    report.section("Ingest: durable HTTP ingest on loopback")
    report.table(
        ["server", "events/s acked", "ratio to ceiling", "p50 ms", "p99 ms", "requests", "non-200"],
        rows,
    )
    report.note(
        f"aiohttp in a separate process, {CONNECTIONS} connections, batches of {BATCH} unique "
        f"messages, {seconds:.0f} s after a warm-up, on a fresh data directory. Every 200 from "
        "waymark means the batch was committed to DuckDB (one transaction per group commit); "
        f"{durable.get('stored', 0):,} events were in the log afterwards (warm-up included). "
        f"Goal ≥ 50,000 events/s: {'met' if durable['events_per_s'] >= 50_000 else 'MISSED'}. "
        "Both servers and the load generator share this machine's cores."
    )
    report.table(
        [
            "stage of the durable path (in process, one core, groups of 1,600, best of 3)",
            "events/s",
        ],
        [
            ["split + parse (msgspec + normalisation)", stages["parse"]],
            ["events_to_arrow (Python objects to Arrow columns)", stages["to_arrow"]],
            ["DuckDBEventLog.append (dedupe check, to_arrow, insert, commit)", stages["append"]],
            ["parse then append, serially (what one GIL allows)", serial],
        ],
    )
    report.note(
        "Where the time goes: what a server process does per event outside HTTP is Python "
        "work under one GIL: parsing and normalising on the event loop, then on the writer "
        "thread building Arrow columns from `Event` objects and the dedupe check. Serially "
        f"those stages allow ~{serial:,.0f} events/s here before any HTTP work, which bounds "
        "the durable figure (the gap to it is HTTP handling plus the two threads taking turns "
        "on the GIL). In this run `events_to_arrow` is "
        f"{stages['append'] / stages['to_arrow']:.0%} of the append stage (it transposes the "
        "events once and JSON-encodes five dict columns, per value, in C calls); the rest is "
        "the dedupe check and DuckDB's insert and commit. Group commit works (commits of "
        "~1,600 events under this load); the commit itself is not the limit: processing the "
        "committed groups is (next table)."
    )


# -- bulk import -----------------------------------------------------------------------------


def write_jsonl(path: Path, events: int) -> None:
    rng = random.Random(3)
    with path.open("w") as out:
        for start in range(0, events, 10_000):
            rows = (json.dumps(message(rng, n)) for n in range(start, min(events, start + 10_000)))
            out.write("\n".join(rows) + "\n")


def bench_import(report: Report, events: int) -> None:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        path = Path(tmp) / "events.jsonl"
        write_jsonl(path, events)
        size_mb = path.stat().st_size / 1e6
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAYMARK_")}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "waymark.cli", "--version"], check=True,
                       capture_output=True, env=env)  # fmt: skip
        startup_s = time.perf_counter() - start
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "waymark.cli", "import", str(path),
             "--data", str(Path(tmp) / "data"), "--json"],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        waymark_s = time.perf_counter() - start
        summary = json.loads(out.stdout)[0]
        assert summary["stored"] == events, summary

        start = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "raw.duckdb"))
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_ndjson('{path}')")
        con.close()
        duck_s = time.perf_counter() - start
    work_s = max(waymark_s - startup_s, 1e-9)
    report.section("Ingest: bulk import of a JSONL file")
    report.table(
        ["path", "events", "seconds", "events/s", "ratio"],
        [
            ["waymark import (validate, normalise, dedupe, commit)", events, waymark_s,
             events / waymark_s, (events / waymark_s) / (events / duck_s)],
            ["  the same without the CLI's start-up", events, work_s, events / work_s,
             (events / work_s) / (events / duck_s)],
            ["baseline: DuckDB read_ndjson into a table", events, duck_s, events / duck_s, 1.0],
        ],
    )  # fmt: skip
    report.note(
        f"A generated file of {events:,} messages ({size_mb:.0f} MB), fresh data directory, "
        "`waymark import` as a subprocess. Its start-up (`waymark --version` in this run: "
        f"{startup_s:.1f} s; the CLI imports every area) is subtracted in the second row. The "
        "baseline loads the same file with no validation, no normalisation and no "
        "deduplication. The import path does the same per-event Python work as HTTP ingest "
        "(normalise, then Arrow columns from `Event`s) in chunks of 5,000 lines, plus a "
        "whole-log dedupe check per chunk (a semi-join over every stored event, so its cost "
        "grows with the log). `make bench` uses a smaller file so it stays near a minute; "
        "`python -m bench.ingest --only import --import-events 1000000` runs the 1M-event file."
    )


# -- entry points ----------------------------------------------------------------------------


def run(report: Report, *, import_events: int = 300_000, seconds: float = 10.0) -> None:
    bench_parse(report, seconds=min(seconds, 1.5))
    bench_http(report, seconds=seconds)
    bench_pipeline(report)
    bench_import(report, events=import_events)


def main(argv: list[str]) -> None:
    if argv[:1] == ["load"]:
        url, seconds, seed = argv[1], float(argv[2]), int(argv[3])
        print(json.dumps(asyncio.run(_load(url, seconds, CONNECTIONS, seed))))
        return
    if argv[:1] == ["ceiling"]:
        _serve_ceiling(int(argv[argv.index("--port") + 1]))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--import-events", type=int, default=300_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["parse", "http", "pipeline", "import"])
    args = parser.parse_args(argv)
    report = ConsoleReport()
    if args.only == "parse":
        bench_parse(report, seconds=min(args.seconds, 1.5))
    elif args.only == "http":
        bench_http(report, seconds=args.seconds)
    elif args.only == "pipeline":
        bench_pipeline(report)
    elif args.only == "import":
        bench_import(report, events=args.import_events)
    else:
        run(report, import_events=args.import_events, seconds=args.seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
