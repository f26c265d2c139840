"""Lead scoring, evaluated honestly on the simulator's population.

Everyone is scored at a cut-off day from the events before it (stage-weighted, decaying
engagement from the shipped ``scoring.yaml``; the simulated customers have no firmographic
traits, so fit is zero for all), and the (person, product) pairs that had not bought that
product yet are ranked. The figure: how much more often the top decile buys the product in the
``HORIZON`` days after the cut-off than the base rate (lift), beside a recency-only baseline
(rank by the time of the last event about that product) in the same run. Ties are broken at
random (seeded), so a coarse ranking gains nothing from the order rows happen to come in.

Alone: ``python -m bench.run scoring`` (replaces only this module's block in results.md).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench._report import Sink
from waymark.core.eventframe import events_to_arrow
from waymark.identity.api import IdentityService
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import rebuild
from waymark.scoring.api import engagement_at, load_scoring
from waymark.scoring.config import SHIPPED_CONFIG
from waymark.sim.api import load_preset, simulate

CUSTOMERS = 10_000
DAYS = 90
PRODUCTS = 3
SEED = 11
CUTOFFS = (30, 45, 60)
HORIZON = 14


def _log(customers: int, days: int) -> tuple[pa.Table, list[str | None], datetime]:
    """The simulated log as Arrow, each event's final profile, and day 0."""
    preset = load_preset("learning-kits")
    population = simulate(preset, customers=customers, products=PRODUCTS, days=days, seed=SEED)
    identity = IdentityService(preset.identity)
    encode = msgspec.json.Encoder().encode
    received = datetime(2030, 1, 1, tzinfo=UTC)
    tables: list[pa.Table] = []
    seq = 0
    for chunk in population.messages():
        records = [RawRecord(line=seq + i + 1, raw=encode(m)) for i, m in enumerate(chunk)]
        parsed = parse_records(records, source="sim", received_at=received, limits=IngestLimits())
        events = [msgspec.structs.replace(e, seq=seq + i + 1) for i, e in enumerate(parsed.events)]
        seq += len(events)
        identity.observe(events)
        tables.append(events_to_arrow(events))
    table = pa.concat_tables(tables)
    # every event under its final profile (after every merge), as rebuild attributes them
    users, anons = table.column("user_id").to_pylist(), table.column("anonymous_id").to_pylist()
    profiles = [
        (identity.resolve("user_id", u) if u else None)
        or (identity.resolve("anonymous_id", a) if a else None)
        for u, a in zip(users, anons, strict=True)
    ]
    start = datetime.combine(population.truth.start, datetime.min.time(), tzinfo=UTC)
    return table, profiles, start


def _lift(score: np.ndarray, bought: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """(conversion in the top decile, its lift over the base rate)."""
    order = np.lexsort((rng.random(len(score)), -score))
    top = order[: max(1, len(order) // 10)]
    rate = float(bought[top].mean())
    base = float(bought.mean())
    return rate, rate / base if base else float("nan")


def run(report: Sink, *, customers: int = CUSTOMERS, days: int = DAYS) -> None:
    started = time.perf_counter()
    table, profiles, start = _log(customers, days)
    preset = load_preset("learning-kits")
    model = preset.plan.model
    (config,) = load_scoring(SHIPPED_CONFIG, [model], only_running=True).models
    placed = pc.is_valid(pa.array(profiles, pa.string()))
    batch = table.filter(placed).combine_chunks().to_batches()
    ids = pa.array(profiles, pa.string()).filter(placed)
    offsets = np.cumsum([0, *(b.num_rows for b in batch)])
    journeys = rebuild(
        [model], ((b, ids[offsets[i] : offsets[i + 1]]) for i, b in enumerate(batch))
    )
    evidence = journeys.evidence
    prepared = time.perf_counter() - started

    ts = evidence.column("ts").to_numpy()
    purchase = evidence.column("purchase").to_numpy(zero_copy_only=False)
    keys = pc.binary_join_element_wise(
        evidence.column("profile_id"), evidence.column("product"), "\x00"
    )
    rows: list[list[object]] = []
    rng = np.random.default_rng(SEED)
    score_seconds = 0.0
    for day in CUTOFFS:
        cut = start + timedelta(days=day)
        cut_us = int(cut.timestamp() * 1_000_000)
        end_us = int((cut + timedelta(days=HORIZON)).timestamp() * 1_000_000)
        before = ts < cut_us
        bought_before = set(pc.filter(keys, pa.array(before & purchase)).to_pylist())
        bought_after = set(
            pc.filter(keys, pa.array((ts >= cut_us) & (ts < end_us) & purchase)).to_pylist()
        )
        last = (
            pa.table({"key": pc.filter(keys, pa.array(before)), "ts": ts[before]})
            .group_by("key")
            .aggregate([("ts", "max")])
        )
        t0 = time.perf_counter()
        scores = engagement_at(config, model, evidence, batch, cut)
        score_seconds += time.perf_counter() - t0
        score_of = dict(
            zip(
                pc.binary_join_element_wise(
                    scores.column("profile_id"), scores.column("product"), "\x00"
                ).to_pylist(),
                scores.column("engagement").to_pylist(),
                strict=True,
            )
        )
        at_risk = [
            (k, t)
            for k, t in zip(
                last.column("key").to_pylist(), last.column("ts_max").to_pylist(), strict=True
            )
            if k not in bought_before
        ]
        bought = np.array([k in bought_after for k, _ in at_risk], dtype=np.float64)
        engaged = np.array([score_of.get(k, 0.0) for k, _ in at_risk], dtype=np.float64)
        recency = np.array([t for _, t in at_risk], dtype=np.float64)
        s_rate, s_lift = _lift(engaged, bought, rng)
        r_rate, r_lift = _lift(recency, bought, rng)
        rows.append(
            [
                f"day {day}",
                f"{len(at_risk):,}",
                f"{bought.mean():.1%}",
                f"{s_rate:.1%}",
                f"{s_lift:.2f}x",
                f"{r_rate:.1%}",
                f"{r_lift:.2f}x",
                f"{s_lift / r_lift:.2f}" if r_lift else "-",
            ]
        )
    report.section(
        f"scoring: top-decile lift in purchase within {HORIZON} days of the cut-off "
        f"({customers:,} simulated customers, {days} days, {PRODUCTS} products)"
    )
    report.table(
        [
            "cut-off",
            "prospects (person, product)",
            "base rate",
            "score: top-decile rate",
            "score: lift",
            "recency: top-decile rate",
            "recency: lift",
            "score lift / recency lift",
        ],
        rows,
    )
    report.note(
        f"Prospects: (person, product) pairs with evidence about the product before the cut-off "
        f"and no purchase of it yet. Score: the shipped scoring.yaml's engagement (stage weights, "
        f"rules, {config.half_life_days:g}-day half-life) as of the cut-off, from journey's "
        f"evidence table (`engagement_at`, vectorised); fit is 0 for everyone (the simulator "
        f"gives no firmographic traits). Recency baseline: the time of the last event about "
        f"the product. Preparing the population (simulate, ingest, identity, journey rebuild, "
        f"{table.num_rows:,} events): {prepared:.1f} s; scoring everyone at the "
        f"{len(CUTOFFS)} cut-offs: {score_seconds:.2f} s. Seed {SEED}."
    )
