"""The ground truth is exactly what a correct identity graph and the journey model derive from
the events: a reference resolver (tests/sim/_oracle.py) with the journey engine, and Waymark's
own identity graph with the journey engine (what ``waymark simulate --check`` runs), agree with
it on every journey on every day, with no false merge.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from tests.sim._oracle import identifiers, resolve
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import JourneyEngine, load_model
from waymark.sim import api


def derive(
    messages: list[api.Message], model: str, start: datetime, days: int, names: tuple[str, ...]
) -> tuple[dict[tuple[str, str], str], api.StageTable]:
    mapping = resolve(messages)
    enc = msgspec.json.Encoder()
    parsed = parse_records(
        [RawRecord(line=i, raw=enc.encode(m)) for i, m in enumerate(messages)],
        source="sim",
        received_at=datetime.now(UTC),
        limits=IngestLimits(),
    )
    events = [msgspec.structs.replace(e, seq=i + 1) for i, e in enumerate(parsed.events)]
    profiles = [mapping[identifiers(m)[0]] for m in messages]
    engine = JourneyEngine([load_model(model)])
    engine.observe(events, profiles)
    histories = {
        (s.profile_id, s.product): [(t.at, t.to_stage) for t in s.history]
        for s in engine.all_states()
    }
    return mapping, api.stage_table(names, histories, start=start, days=days)


def test_truth_is_what_a_correct_graph_and_the_model_derive(
    population: api.Population, messages: list[api.Message]
) -> None:
    truth = population.truth
    start = datetime.combine(truth.start, datetime.min.time(), tzinfo=UTC)
    mapping, table = derive(messages, truth.model, start, truth.days, truth.stages)
    report = api.compare(truth, mapping, table)
    assert report.false_merges == 0
    assert report.stage_agreement_end == 1.0, report.examples
    assert report.stage_agreement_min == 1.0, report.examples
    assert report.linkable_linked == 1.0
    assert report.unlinkable_kept_apart == 1.0
    assert 0.5 < report.identifiers_linked < 1.0  # some browsers stay strangers
    assert report.meets()


def test_a_graph_that_merges_on_shared_identifiers_is_caught(
    population: api.Population, messages: list[api.Message]
) -> None:
    """A naive graph links everything that co-occurs (the shared family email, the borrowed
    browser, "null"): the check reports the false merges."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(k: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for m in messages:
        keys = [("user_id", m["userId"])] if "userId" in m else []
        keys += [("anonymous_id", m["anonymousId"])] if "anonymousId" in m else []
        traits = {**m.get("context", {}).get("traits", {}), **m.get("traits", {})}
        if "email" in traits:
            keys.append(("email", traits["email"].strip().lower()))
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
    naive = {k: "|".join(find(k)) for k in parent}
    truth = population.truth
    empty = api.stage_table(
        truth.stages, {}, start=datetime(2024, 11, 1, tzinfo=UTC), days=truth.days
    )
    report = api.compare(truth, naive, empty)
    assert report.false_merges > 10
    assert report.profiles_with_false_merges >= 1
    assert not report.meets()


@pytest.mark.slow
def test_waymarks_own_engines_meet_the_goals(population: api.Population) -> None:
    report, derived = population.check(received_at=datetime.now(UTC))
    assert derived.events == population.size
    assert report.false_merges == 0
    assert report.stage_agreement_end >= 0.99, report.examples
    assert report.stage_agreement_min >= 0.97, report.examples
    assert report.linkable_linked >= 0.99
    assert derived.merges > 0  # anonymous browsing was merged into signed-up profiles
    assert derived.refused > 0  # the shared email / borrowed browser / placeholder were refused


@pytest.mark.slow
@pytest.mark.parametrize("model", ["value-journey", "buy-own-advocate"])
def test_the_other_shipped_models_meet_the_goals(model: str) -> None:
    preset = api.load_preset("learning-kits", model=model)
    population = api.simulate(preset, customers=400, products=3, days=45, seed=8)
    report, _ = population.check(received_at=datetime.now(UTC))
    assert report.meets(), report.examples
    assert report.pairs > 300
