"""The population simulator: how fast it generates, and the issue 5 acceptance figures (Waymark
against the ground truth on 100k customers over 90 days), each beside a baseline of the same run.

``run(report)`` calls ``report.section(title)``, ``report.table(headers, rows)`` and
``report.note(text)``. Alone: ``python -m bench.sim [customers] [days]`` prints the same report.

- Generation: ``simulate`` (NumPy: journeys, identities, routing, ground truth), then building
  the Segment messages and writing them as JSONL. Baseline: msgspec serialising the same
  number of already-built messages (the floor for any JSONL writer).
- Against the ground truth: the messages through Waymark's ingest normalisation, streaming
  identity graph and stage engine (``Population.check``, what ``waymark simulate --check``
  runs). Baseline: a naive identity graph that links every identifiers seen together (userId,
  anonymousId, email), the way a graph without merge protection would, scored by the same
  check: it shows what the adversarial cases (family email, borrowed browser, "null" ids,
  placeholder email) would do.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from bench._report import ConsoleReport
from bench._report import Sink as Report
from waymark.sim import api

CUSTOMERS = 100_000
DAYS = 90
PRODUCTS = 3
SEED = 1


def _naive_graph(population: api.Population) -> dict[tuple[str, str], str]:
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(key: tuple[str, str]) -> tuple[str, str]:
        root = key
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while key != root:
            parent[key], key = root, parent[key]
        return root

    for chunk in population.messages():
        for msg in chunk:
            keys: list[tuple[str, str]] = []
            if "userId" in msg:
                keys.append(("user_id", msg["userId"]))
            if "anonymousId" in msg:
                keys.append(("anonymous_id", msg["anonymousId"]))
            traits: dict[str, Any] = {**msg["context"].get("traits", {}), **msg.get("traits", {})}
            email = traits.get("email")
            if isinstance(email, str):
                keys.append(("email", email.strip().lower()))
            for key in keys[1:]:
                parent[find(key)] = find(keys[0])
    return {key: "|".join(find(key)) for key in parent}


def _share(value: float) -> str:
    return f"{100 * value:.3f}%"


def run(report: Report, customers: int = CUSTOMERS, days: int = DAYS) -> None:
    preset = api.load_preset("learning-kits")
    began = time.perf_counter()
    population = api.simulate(preset, customers=customers, products=PRODUCTS, days=days, seed=SEED)
    simulated = time.perf_counter() - began
    began = time.perf_counter()
    truth = population.truth
    truth_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        population.write(Path(folder))
        written = time.perf_counter() - began
        size = (Path(folder) / "events.jsonl").stat().st_size
    n = population.size
    sample = next(population.messages())
    encoder = msgspec.json.Encoder()
    began = time.perf_counter()
    done = 0
    while done < n:
        encoder.encode_lines(sample[: n - done])
        done += len(sample)
    baseline = time.perf_counter() - began
    report.section(f"Simulator: generating {customers:,} customers over {days} days")
    report.table(
        ["step", "seconds", "messages/s", "x baseline"],
        [
            [
                "journeys, identities, routing (NumPy)",
                simulated,
                n / simulated,
                simulated / baseline,
            ],
            ["ground truth (identifiers, transitions)", truth_s, n / truth_s, truth_s / baseline],
            ["messages built and written as JSONL", written, n / written, written / baseline],
            ["baseline: msgspec serialising as many messages", baseline, n / baseline, 1.0],
        ],
    )
    report.note(
        f"{population.people:,} people ({customers:,} + referrals), {n:,} messages "
        f"({size / 1e6:,.0f} MB of JSONL), {len(truth.transitions):,} true stage changes, "
        f"{len(truth.identifiers):,} identifiers in the ground truth."
    )

    began = time.perf_counter()
    checked, derived = population.check(received_at=datetime.now(UTC))
    check_s = time.perf_counter() - began
    began = time.perf_counter()
    naive = api.compare(truth, _naive_graph(population), derived.stages)
    naive_s = time.perf_counter() - began
    report.section(
        f"Simulator: Waymark against the ground truth ({customers:,} customers, {days} days)"
    )
    report.table(
        ["measure", "goal", "Waymark", "baseline: naive graph"],
        [
            [
                "stage agreement, last day",
                "≥ 99%",
                _share(checked.stage_agreement_end),
                "not derived",
            ],
            [
                "stage agreement, worst day",
                "≥ 97%",
                _share(checked.stage_agreement_min),
                "not derived",
            ],
            ["false identity merges", "0", checked.false_merges, naive.false_merges],
            [
                "profiles holding several people",
                "0",
                checked.profiles_with_false_merges,
                naive.profiles_with_false_merges,
            ],
            [
                "identifiers linked to their person",
                "",
                _share(checked.identifiers_linked),
                _share(naive.identifiers_linked),
            ],
            [
                "...of those the events make linkable",
                "",
                _share(checked.linkable_linked),
                _share(naive.linkable_linked),
            ],
            ["seconds", "", check_s, naive_s],
        ],
    )
    spent = ", ".join(f"{k} {v:,.1f} s" for k, v in derived.seconds.items())
    report.note(
        f"Waymark: {derived.events:,} events through ingest normalisation, the streaming "
        f"identity graph and the stage engine ({spent}); {derived.profiles:,} profiles, "
        f"{derived.merges:,} merges, {derived.refused:,} merges refused. The naive graph is "
        "scored on identity only (no stage engine run over its profiles). Goals met: "
        + ("yes" if checked.meets() else "NO")
        + f". Reproduce: `waymark simulate --customers {customers} --days {days} "
        f"--products {PRODUCTS} --seed {SEED} --check`."
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    run(ConsoleReport(), *args)
