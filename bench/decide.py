"""Next best experience: learning (regret), off-policy value on the Open Bandit Dataset, and
decision latency, each side by side with a baseline.

``run(report)`` calls ``report.section(title)``, ``report.table(headers, rows)`` and
``report.note(text)``. Alone: ``python -m bench.decide`` prints the same report.

- Learning: the simulated bandit of ``tests/decide/_bandit_sim.py`` (known click rates) through
  the Decider's public path; cumulative pseudo-regret of Thompson sampling against the oracle
  (always the best arm, regret 0) and against uniform random choice.
- Off-policy: Open Bandit Dataset sample (random logging policy, 10,000 rows, 80 items, 3
  positions) from the ``obp`` wheel, fetched with ``pip download --no-deps`` into bench/.work
  (obp itself is not installed: it pulls torch). Counts from the first 70 % train the
  Beta-Bernoulli arms (position as stage); the learned greedy and Thompson policies are valued
  on the last 30 % with inverse propensity scoring, against the logging policy's own value.
- Latency: 1,000 experiences, 100,000 profiles, in process: the vectorised decision core,
  the Decider with the in-memory and the DuckDB decision log, and as baseline the same rules
  written as a per-experience Python loop. Then over HTTP on loopback (uvicorn subprocess).
"""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from tests.decide._bandit_sim import simulate

from bench._report import Sink as Report
from waymark.decide._bandit import BanditState
from waymark.decide._decide import decide
from waymark.decide.api import Catalog, Decider, MemoryDecisionLog, build_catalog, journey_stages
from waymark.decide.contracts import (
    DecideRequest,
    DecisionContext,
    JourneyPosition,
    RecentEvent,
)

WORK = Path(__file__).with_name(".work")
OBP_VERSION = "0.4.1"
NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
CHANNELS = ("web", "email", "ads", "mobile", "social", "call_centre")
PURPOSES = ("awareness", "consideration", "conversion", "onboarding", "service", "advocacy")


# -- learning ------------------------------------------------------------------------------


def bench_learning(
    report: Report, *, steps: int = 10_000, seeds: tuple[int, ...] = (1, 2, 3)
) -> None:
    rates = [0.02, 0.04, 0.06, 0.08, 0.12]
    best = max(rates)
    rows: list[list[object]] = []
    ts_regret, uniform_regret = [], []
    for seed in seeds:
        run_ = simulate(rates, steps, seed)
        regret = float(np.sum(best - np.asarray(rates)[run_.chosen]))
        rng = np.random.default_rng(seed)
        uniform = float(np.sum(best - np.asarray(rates)[rng.integers(0, len(rates), steps)]))
        share = float(np.mean(run_.chosen[-1000:] == int(np.argmax(rates))))
        ts_regret.append(regret)
        uniform_regret.append(uniform)
        rows.append([seed, regret, uniform, regret / uniform, share, int(run_.clicks.sum())])
    report.section("decide: learning on a simulated bandit")
    report.note(
        f"Click rates {rates}; {steps:,} decisions per run through `Decider.decide` and "
        "`apply_feedback` (view, then click with the arm's rate). Regret is pseudo-regret: "
        "the best rate minus the chosen arm's rate, summed. The oracle's regret is 0."
    )
    report.table(
        [
            "seed",
            "Thompson regret",
            "uniform random regret",
            "ratio",
            "share to best (last 1k)",
            "clicks",
        ],
        rows,
    )
    report.note(
        f"Mean cumulative regret: Thompson {np.mean(ts_regret):.1f}, uniform random "
        f"{np.mean(uniform_regret):.1f} ({np.mean(ts_regret) / np.mean(uniform_regret):.1%} "
        "of random's)."
    )


# -- off-policy on the Open Bandit Dataset --------------------------------------------------


def obd_logs() -> dict[str, list[dict[str, str]]] | None:
    """The OBD random/all and bts/all samples from the obp wheel (downloaded once), or None."""
    WORK.mkdir(exist_ok=True)
    wheels = sorted(WORK.glob(f"obp-{OBP_VERSION}-*.whl"))
    if not wheels:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                f"obp=={OBP_VERSION}",
                "-d",
                str(WORK),
            ],
            check=False,
            timeout=300,
        )
        wheels = sorted(WORK.glob(f"obp-{OBP_VERSION}-*.whl"))
    if not wheels:
        return None
    out = {}
    with zipfile.ZipFile(wheels[0]) as z:
        for policy in ("random", "bts"):
            text = z.read(f"obp/dataset/obd/{policy}/all/all.csv").decode()
            out[policy] = list(csv.DictReader(io.StringIO(text)))
    return out


class _Log:
    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.item = np.array([int(r["item_id"]) for r in rows])
        self.pos = np.array([int(r["position"]) for r in rows]) - 1
        self.click = np.array([int(r["click"]) for r in rows], dtype=np.float64)
        self.pscore = np.array([float(r["propensity_score"]) for r in rows])

    def part(self, sl: slice) -> _Log:
        new = object.__new__(_Log)
        for name in ("item", "pos", "click", "pscore"):
            setattr(new, name, getattr(self, name)[sl])
        return new


def _learn(log: _Log, cat: Catalog, n_pos: int) -> tuple[BanditState, Any, Any]:
    """Counts from a log (every row a view at its position; a click a success), and the
    greedy and Thompson policies they give, as action probabilities per position."""
    n_items = len(cat.experiences)
    stages = tuple(f"position{p + 1}" for p in range(n_pos))
    state = BanditState(tuple(e.id for e in cat.experiences), stages)
    state.add_counts(log.item, log.pos + 1, np.ones(len(log.item)), log.click)
    rows_ix = np.arange(n_items)
    greedy = np.zeros((n_pos, n_items))
    thompson = np.zeros((n_pos, n_items))
    rng = np.random.default_rng(0)
    for p in range(n_pos):
        cols = np.full(n_items, p + 1)
        greedy[p, int(np.argmax(state.mean(rows_ix, cols, cat)))] = 1.0
        for _ in range(2000):
            thompson[p, int(np.argmax(state.sample(rows_ix, cols, cat, rng)))] += 1
    return state, greedy, thompson / 2000


def _ips(log: _Log, policy: Any) -> tuple[float, float, float, float]:
    """IPS value per 1,000 impressions with a 95 % bootstrap interval, and the share of rows
    where the policy puts weight on the logged action."""
    w = policy[log.pos, log.item] / log.pscore
    value = w * log.click
    rng = np.random.default_rng(1)
    boots = [float(np.mean(value[rng.integers(0, len(value), len(value))])) for _ in range(500)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return 1e3 * float(value.mean()), 1e3 * float(lo), 1e3 * float(hi), float(np.mean(w > 0))


def bench_obd(report: Report, models: Any) -> None:
    report.section("decide: off-policy value on the Open Bandit Dataset sample")
    logs = obd_logs()
    if logs is None:
        report.note("Could not fetch the obp wheel (no registry access?): not measured.")
        return
    rand, bts = _Log(logs["random"]), _Log(logs["bts"])
    n_items, n_pos = int(rand.item.max()) + 1, int(rand.pos.max()) + 1
    doc = {
        "policy": {"arbitration": {"prior": {"alpha": 1, "beta": 99}}},
        "experiences": [
            {"id": f"item{i}", "kind": "content", "purpose": "consideration", "channels": ["web"]}
            for i in range(n_items)
        ],
    }
    cat = build_catalog(doc, models=models)
    uniform = np.full((n_pos, n_items), 1.0 / n_items)
    rows: list[list[object]] = []
    cut = int(len(rand.item) * 0.7)
    _, greedy, thompson = _learn(rand.part(slice(0, cut)), cat, n_pos)
    test = rand.part(slice(cut, None))
    for name, pol in (
        ("uniform random (the logging policy)", uniform),
        ("learned greedy", greedy),
        ("learned Thompson", thompson),
    ):
        v, lo, hi, support = _ips(test, pol)
        rows.append(["random log, last 30 %", name, v, f"{lo:.2f} to {hi:.2f}", support])
    _, greedy, thompson = _learn(rand, cat, n_pos)
    for name, pol in (
        ("uniform random", uniform),
        ("learned greedy", greedy),
        ("learned Thompson", thompson),
    ):
        v, lo, hi, support = _ips(bts, pol)
        rows.append(["BTS log (all)", name, v, f"{lo:.2f} to {hi:.2f}", support])
    report.note(
        "Open Bandit Dataset sample shipped in the obp wheel: 10,000 impressions each from a "
        f"uniform random and a Bernoulli Thompson Sampling (BTS) logging policy, {n_items} items, "
        f"{n_pos} positions (used as the stage). Observed clicks per 1,000: random log "
        f"{1e3 * rand.click.mean():.2f} (its last 30 %: {1e3 * test.click.mean():.2f}), BTS log "
        f"{1e3 * bts.click.mean():.2f}. Policies learned from the random log's counts through "
        "`BanditState`; valued by inverse propensity scoring with the logged propensities."
    )
    report.table(
        ["valued on", "policy", "IPS clicks per 1,000", "95 % bootstrap", "rows with support"],
        rows,
    )
    report.note(
        "Clicks are rare (~4 per 1,000) and a greedy policy matches about 1 logged row in 80, "
        "so these estimates rest on a few dozen clicks: the intervals are wide, and a ratio "
        "between policies is only meaningful where the intervals separate."
    )


# -- latency -------------------------------------------------------------------------------


def big_catalog(models: Any, *, n: int = 1000, products: int = 20, seed: int = 0) -> Catalog:
    rng = random.Random(seed)
    stages = list(models["hourglass"])
    exps = []
    for i in range(n):
        exp: dict[str, Any] = {
            "id": f"x{i}",
            "kind": "content",
            "purpose": rng.choice(PURPOSES),
            "channels": rng.sample(CHANNELS, rng.randint(1, 2)),
            "products": rng.sample([f"p{j}" for j in range(products)], rng.randint(0, 2)),
            "stages": {"hourglass": rng.sample(["none", *stages], rng.randint(1, 4))},
            "value": round(rng.uniform(0.5, 5), 2),
            "template": {"title": "Hello {{ traits.first_name | default('there') }}", "url": "/x"},
        }
        if rng.random() < 0.3:
            exp["caps"] = {"day": 1, "week": 3}
        if rng.random() < 0.2:
            exp["conditions"] = {"events": [{"event": "Product Viewed", "within_days": 30}]}
        exps.append(exp)
    doc = {
        "products": {f"p{j}": f"Product {j}" for j in range(products)},
        "policy": {
            "suppression": {"acquisition": {"until": {"hourglass": "education"}}},
            "contact": {"total": {"day": 6}, "channels": {"email": {"day": 2}}},
        },
        "experiences": exps,
    }
    return build_catalog(doc, models=models)


def population(
    models: Any, *, n: int = 100_000, products: int = 20, seed: int = 1
) -> list[DecisionContext]:
    rng = random.Random(seed)
    stages = list(models["hourglass"])
    out = []
    for i in range(n):
        positions = tuple(
            JourneyPosition(
                model="hourglass",
                product=f"p{j}",
                stage=(s := rng.choice(stages)),
                purchased=stages.index(s) >= 5,
            )
            for j in rng.sample(range(products), rng.randint(0, 3))
        )
        events = tuple(
            RecentEvent(name="Product Viewed", at=NOW - timedelta(days=rng.random() * 40))
            for _ in range(rng.randint(0, 3))
        )
        out.append(
            DecisionContext(
                profile_id=f"u{i}",
                now=NOW,
                traits={"first_name": f"N{i}"},
                consent={ch: rng.random() < 0.8 for ch in CHANNELS},
                positions=positions,
                recent_events=events,
                timezone="Europe/London",
            )
        )
    return out


def scalar_decide(
    ctx: DecisionContext, channel: str, cat: Catalog, rng: random.Random, count: int
) -> list[str]:
    """Baseline: the main rules as the first version one would write, one experience at a time
    (channel, stage, purchase and interest suppression, consent, conditions), then a Beta draw
    per eligible experience and a sort."""
    from waymark.decide._conditions import conditions_hold

    pol = cat.doc.policy
    stages = cat.models["hourglass"].stages
    until = stages.index(pol.suppression.acquisition.until["hourglass"])
    scored: list[tuple[float, str]] = []
    for exp in cat.experiences:
        if channel not in exp.channels:
            continue
        relevant = [p for p in ctx.positions if not exp.products or p.product in exp.products]
        allowed = exp.stages.get("hourglass")
        if allowed is not None:
            placed = {p.stage for p in relevant}
            unplaced = not exp.products or len(relevant) < len(exp.products)
            if not (placed & set(allowed) or ("none" in allowed and unplaced)):
                continue
        if exp.purpose in pol.suppression.after_purchase and any(p.purchased for p in relevant):
            continue
        if exp.purpose in pol.suppression.acquisition.purposes and any(
            stages.index(p.stage) > until for p in relevant
        ):
            continue
        if ctx.consent.get(channel) is False:
            continue
        if not conditions_hold(exp.conditions, ctx.traits, ctx.recent_events, ctx.now):
            continue
        prior = exp.prior or pol.arbitration.prior
        scored.append((rng.betavariate(prior.alpha, prior.beta) * exp.value, exp.id))
    scored.sort(reverse=True)
    return [e for _, e in scored[:count]]


def rank_only(
    ctx: DecisionContext, channel: str, cat: Catalog, state: BanditState, rng: Any
) -> list[str]:
    """The vectorised counterpart of ``scalar_decide``: every policy, Thompson draws, top 3;
    no rendering, reasons or decision record."""
    from waymark.decide._decide import _focus
    from waymark.decide._eligibility import customer_arrays, exclusion_codes

    view = cat.view(channel)
    idx = view.idx
    cust = customer_arrays(ctx, cat)
    codes = exclusion_codes(ctx, cat, cat.doc.policy, cust, view, channel=channel, placement=None)
    eligible = idx[codes == 0]
    cols, _ = _focus(cat, cust, eligible, "hourglass")
    score = state.sample(eligible, cols, cat, rng) * cat.value[eligible] * cat.lever[eligible]
    return [cat.experiences[i].id for i in eligible[np.argsort(-score)[:3]].tolist()]


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    a = np.asarray(samples) * 1e3
    return float(np.percentile(a, 50)), float(np.percentile(a, 99)), float(a.mean())


def bench_latency(report: Report, models: Any, *, decisions: int = 5000) -> None:
    cat = big_catalog(models)
    t0 = time.perf_counter()
    people = population(models)
    built = time.perf_counter() - t0
    pick = np.random.default_rng(2)
    order = [
        (people[int(pick.integers(len(people)))], CHANNELS[int(pick.integers(6))])
        for _ in range(decisions)
    ]
    rows: list[list[object]] = []
    state = BanditState.for_catalog(cat)
    rng = np.random.default_rng(3)

    cpu: dict[str, list[float]] = {}

    def timed(fn: Any, name: str) -> list[float]:
        out, used = [], []
        for ctx, ch in order:
            t, c = time.perf_counter(), time.thread_time()
            fn(ctx, ch)
            used.append(time.thread_time() - c)
            out.append(time.perf_counter() - t)
        cpu[name] = used
        return out

    base_rng = random.Random(4)
    baseline = timed(lambda ctx, ch: scalar_decide(ctx, ch, cat, base_rng, 3), "baseline")
    core = timed(
        lambda ctx, ch: decide(ctx, DecideRequest(channel=ch, count=3), cat, state, rng), "core"
    )
    ranking = timed(lambda ctx, ch: rank_only(ctx, ch, cat, state, rng), "ranking")
    mem = Decider(cat, models=models, log=MemoryDecisionLog(), rng=np.random.default_rng(5))
    facade = timed(lambda ctx, ch: mem.decide(ctx, DecideRequest(channel=ch, count=3)), "memory")
    duck, cpu["duckdb"] = _duckdb_latency(cat, models, order)
    _, _, bmean = _percentiles(cpu["baseline"])
    for name, key, samples in (
        ("scalar Python loop (baseline)", "baseline", baseline),
        ("eligibility + ranking (what the baseline does)", "ranking", ranking),
        ("decision core (+ content, reasons, log record)", "core", core),
        ("Decider + memory log", "memory", facade),
        ("Decider + DuckDB log", "duckdb", duck),
    ):
        p50, p99, _ = _percentiles(samples)
        c50, c99, cmean = _percentiles(cpu[key])
        rows.append([name, p50, p99, c50, c99, cmean, bmean / cmean])
    eligible = np.mean(
        [
            len(decide(c, DecideRequest(channel=ch, count=3), cat, state, rng).candidates)
            for c, ch in order[:500]
        ]
    )
    report.section("decide: latency per decision, in process")
    report.note(
        f"{len(cat.experiences):,} experiences, {len(people):,} profiles (built in {built:.1f} s), "
        f"{decisions:,} decisions on random profiles and channels, count 3; on average "
        f"{eligible:.1f} experiences eligible per decision. Goal: p99 < 1 ms."
    )
    report.table(
        [
            "path",
            "wall p50 ms",
            "wall p99 ms",
            "CPU p50 ms",
            "CPU p99 ms",
            "CPU mean ms",
            "speed-up vs baseline (CPU mean)",
        ],
        rows,
    )
    report.note(
        f"Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Wall "
        "time includes waiting for the CPU when other processes share it; CPU time "
        "(`time.thread_time`) is what the decision itself costs on its thread (DuckDB also "
        "works on its own threads, so its CPU figure is a lower bound)."
    )


def _duckdb_latency(
    cat: Catalog, models: Any, order: list[tuple[DecisionContext, str]]
) -> tuple[list[float], list[float]]:
    from waymark.store.duckdb._database import Database
    from waymark.store.duckdb.decide import DuckDBDecisionLog

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp))
        log = DuckDBDecisionLog(db)
        d = Decider(cat, models=models, log=log, rng=np.random.default_rng(6))
        out, used = [], []
        for ctx, ch in order:
            t, c = time.perf_counter(), time.thread_time()
            d.decide(ctx, DecideRequest(channel=ch, count=3))
            used.append(time.thread_time() - c)
            out.append(time.perf_counter() - t)
        log.close()
        db.close()
    return out, used


# -- HTTP ----------------------------------------------------------------------------------


def serve(port: int, data: str) -> None:
    """Subprocess entry: the whole app with a Decider over DuckDB and a fixed population."""
    import uvicorn
    from tests._server import ADMIN_TOKEN

    from waymark.api.app import create_app
    from waymark.core.settings import Secret, Settings
    from waymark.decide.api import StaticContexts
    from waymark.runtime.services import build_services
    from waymark.store.duckdb.decide import DuckDBCatalogStore, DuckDBDecisionLog
    from waymark.store.duckdb.store import DuckDBStore

    models = journey_stages()
    settings = Settings(data_dir=Path(data), admin_token=Secret(ADMIN_TOKEN))
    store = DuckDBStore(settings.data_dir)
    services = build_services(settings, event_log=store.events)
    people = population(models, n=10_000)
    services.decide = Decider(
        big_catalog(models),
        models=models,
        log=DuckDBDecisionLog(store.db),
        catalogs=DuckDBCatalogStore(store.db),
        contexts=StaticContexts(people),
    )
    uvicorn.run(create_app(services), host="127.0.0.1", port=port, log_level="warning")


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_http(report: Report, *, requests: int = 2000) -> None:
    import httpx
    from tests._server import ADMIN_TOKEN

    from bench._server import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.decide", "--serve", str(port), tmp],
            cwd=Path(__file__).parent.parent,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/api/v1/decide/catalog").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("bench server did not start")
                    time.sleep(0.2)
                rng = random.Random(7)
                lat_decide, lat_health = [], []
                bodies = [
                    {
                        "profile": {"id": f"u{rng.randrange(10_000)}"},
                        "channel": rng.choice(CHANNELS),
                        "count": 3,
                    }
                    for _ in range(requests)
                ]
                cpu0 = _process_cpu(proc.pid)
                for body in bodies:
                    t = time.perf_counter()
                    r = client.post("/api/v1/decide", json=body)
                    lat_decide.append(time.perf_counter() - t)
                    r.raise_for_status()
                cpu1 = _process_cpu(proc.pid)
                for _ in bodies:
                    t = time.perf_counter()
                    client.get("/api/v1/decide/catalog/experiences/x1")
                    lat_health.append(time.perf_counter() - t)
                cpu2 = _process_cpu(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    d50, d99, dm = _percentiles(lat_decide)
    h50, h99, hm = _percentiles(lat_health)
    report.section("decide: latency over HTTP on loopback")
    report.note(
        f"{requests:,} sequential requests from one httpx client to uvicorn in another process; "
        "DuckDB decision log; 1,000 experiences, 10,000 profiles. Baseline: a GET of one "
        "catalog experience on the same server (same auth and JSON path, no decision). "
        "Goal: p99 < 5 ms."
    )
    report.table(
        ["request", "p50 ms", "p99 ms", "mean ms", "server CPU ms per request"],
        [
            ["POST /api/v1/decide", d50, d99, dm, 1e3 * (cpu1 - cpu0) / requests],
            ["GET experience (baseline)", h50, h99, hm, 1e3 * (cpu2 - cpu1) / requests],
        ],
    )
    report.note(
        f"Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Server CPU is the "
        "uvicorn process's user + system time over each loop (from /proc), divided by the "
        "requests: what a request costs the server, whatever else shares the machine."
    )


def run(report: Report) -> None:
    models = journey_stages()
    bench_learning(report)
    bench_obd(report, models)
    bench_latency(report, models)
    bench_http(report)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        from bench._report import ConsoleReport

        run(ConsoleReport())
