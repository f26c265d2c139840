"""The simulated population: valid Segment messages, reproducible, multi-channel, with the
adversarial cases present, and a ground truth that the events really carry."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from tests.sim._oracle import identifiers
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import load_model
from waymark.sim import api
from waymark.sim._evidence import Template, reading

START = datetime(2024, 11, 1, tzinfo=UTC)


def _owner(truth: api.GroundTruth) -> dict[tuple[str, str], str]:
    return {
        (i.kind, i.value): i.person
        for i in truth.identifiers
        if i.person is not None and i.note != "junk"
    }


def _person_of(msg: api.Message, owner: dict[tuple[str, str], str]) -> str:
    """Who sent a message: its userId's person, else its anonymousId's (a borrowed browser
    always sends the borrower's userId, so this is exact)."""
    return owner[identifiers(msg)[0]]


def test_messages_are_valid_segment_and_in_time_order(
    population: api.Population, messages: list[api.Message]
) -> None:
    assert len(messages) == population.size > 10 * population.customers
    enc = msgspec.json.Encoder()
    records = [RawRecord(line=i, raw=enc.encode(m)) for i, m in enumerate(messages)]
    parsed = parse_records(
        records, source="sim", received_at=datetime.now(UTC), limits=IngestLimits()
    )
    assert parsed.rejected == []
    assert len({m["messageId"] for m in messages}) == len(messages)
    stamps = [m["timestamp"] for m in messages]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2024-11-01" and stamps[-1] < "2024-12-31"
    # the channel ingest derives is the one the simulator meant
    channels = Counter(e.channel for e in parsed.events)
    for m, e in zip(messages, parsed.events, strict=True):
        assert e.channel == m["context"]["channel"]
    for channel in (
        "web",
        "mobile",
        "ads",
        "social",
        "email",
        "call_centre",
        "shipping",
        "support",
    ):
        assert channels[channel] > 0, channel
    events = Counter(m.get("event") for m in messages)
    for name in (
        "Order Completed",
        "Order Shipped",
        "Order Delivered",
        "Referral Sent",
        "Product Reviewed",
        "Call Completed",
        "Application Installed",
        "Order Refunded",
    ):
        assert events[name] > 0, name


def test_same_seed_same_population_other_seed_other(preset: api.Preset) -> None:
    def first(seed: int) -> list[api.Message]:
        pop = api.simulate(preset, customers=200, products=2, days=30, seed=seed)
        return [m for chunk in pop.messages() for m in chunk]

    a, b, c = first(5), first(5), first(6)
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
    assert msgspec.json.encode(a) != msgspec.json.encode(c)


def test_people_have_several_devices_and_identifiers(population: api.Population) -> None:
    truth = population.truth
    kinds = Counter((i.kind, i.note, i.linkable) for i in truth.identifiers)
    assert kinds[("user_id", "", True)] > 0.2 * population.people
    assert kinds[("anonymous_id", "", False)] > 0  # browsers never logged in
    assert kinds[("phone", "", True)] > 0 and kinds[("facebook_id", "", True)] > 0
    assert kinds[("email", "shared", True)] > 0  # a family email
    assert kinds[("user_id", "junk", False)] == 2  # "null" and "undefined"
    devices = Counter(i.person for i in truth.identifiers if i.kind == "anonymous_id")
    assert max(devices.values()) >= 3
    assert sum(p.referred_by is not None for p in truth.people) > 0
    assert population.people > population.customers


def test_each_true_transition_is_caused_by_evidence_of_that_stage(
    population: api.Population, messages: list[api.Message]
) -> None:
    truth = population.truth
    model = load_model(truth.model)
    by_id = {m["messageId"]: m for m in messages}
    owner = _owner(truth)
    names = truth.stages
    last: dict[tuple[str, str], str] = {}
    for t in truth.transitions:
        msg = by_id[t.message_id]
        assert _person_of(msg, owner) == t.person
        template = Template(
            key="x",
            type=msg["type"],
            event=msg.get("event"),
            name=msg.get("name"),
            properties=msg["properties"],
        )
        found = reading(model, template)
        stage = names.index(t.to_stage)
        assert stage in found.stages and max(found.stages) == stage, (t, found)
        assert t.from_stage == last.get((t.person, t.product))
        last[(t.person, t.product)] = t.to_stage
        assert datetime.fromisoformat(msg["timestamp"]) == t.at


def test_no_event_shows_another_stage_than_the_true_one(
    population: api.Population, messages: list[api.Message]
) -> None:
    """Between two true transitions, a person's events for that product show only the current
    stage (or nothing); a move back waits the model's moving-back time; post-purchase stages
    come after an order of that product."""
    truth = population.truth
    model = load_model(truth.model)
    after = model.moving_back.after
    post = {s.name for s in model.stages if s.phase == "post_purchase"}
    owner = _owner(truth)
    names = truth.stages
    current: dict[tuple[str, str], tuple[str, datetime]] = {}
    ordered: set[tuple[str, str]] = set()
    causes = {t.message_id: t for t in truth.transitions}
    checked = 0
    for msg in messages:
        props = msg.get("properties", {})
        product = props.get("product_id") or next(
            (p["product_id"] for p in props.get("products", [])), None
        )
        if product is None:
            continue
        key = (_person_of(msg, owner), product)
        when = datetime.fromisoformat(msg["timestamp"])
        if msg.get("event") == "Order Completed":
            ordered.add(key)
        cause = causes.get(msg["messageId"])
        if cause is not None:
            if cause.to_stage in post:
                assert key in ordered, cause
            before = current.get(key)
            if before and names.index(cause.to_stage) < names.index(before[0]):
                assert when - before[1] >= after, cause
            current[key] = (cause.to_stage, when)
            continue
        template = Template(
            key="x",
            type=msg["type"],
            event=msg.get("event"),
            name=msg.get("name"),
            properties=props,
        )
        shown = reading(model, template).stages
        if not shown:
            continue
        stage, _ = current[key]
        assert max(shown) == names.index(stage), (msg, stage)
        current[key] = (stage, when)
        checked += 1
    assert checked > 1000


@pytest.mark.parametrize("days", [1, 7])
def test_short_horizons_and_one_product(preset: api.Preset, days: int) -> None:
    pop = api.simulate(preset, customers=50, products=1, days=days, seed=2)
    end = START + timedelta(days=days)
    for chunk in pop.messages():
        for m in chunk:
            assert datetime.fromisoformat(m["timestamp"]) < end
    assert {t.product for t in pop.truth.transitions} <= {"genius-kit"}
    assert all(t.at < end for t in pop.truth.transitions)


def test_more_products_than_the_preset_lists(preset: api.Preset) -> None:
    pop = api.simulate(preset, customers=300, products=9, days=30, seed=4)
    assert len(pop.truth.products) == 9
    assert pop.truth.products[-1] == "kit-9"
