"""Invariants of every decision, checked against a plain scalar reading of the rules.

The oracle below re-implements each policy one experience at a time, in the most direct way,
so the vectorised implementation is checked against something written differently.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.decide._helpers import MODELS, NOW, catalog
from waymark.decide._bandit import BanditState
from waymark.decide._conditions import conditions_hold
from waymark.decide._decide import decide
from waymark.decide.api import Catalog, in_holdout
from waymark.decide.config import NO_STAGE, PURPOSES, Caps, Experience
from waymark.decide.contracts import (
    ContactRecord,
    DecideRequest,
    DecisionContext,
    JourneyPosition,
    RecentEvent,
)

STAGES = MODELS["hourglass"]
PRODUCTS = ("kit", "other")
CHANNELS = ("web", "email", "ads")
TZS = ("UTC", "Asia/Tokyo", "America/New_York")


def _md(d: date) -> str:
    return f"{d.month:02d}-{d.day:02d}"


@st.composite
def experiences(draw: st.DrawFn, i: int) -> dict[str, Any]:
    exp: dict[str, Any] = {
        "id": f"e{i}",
        "kind": "content",
        "purpose": draw(st.sampled_from(PURPOSES)),
        "channels": draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True)),
        "products": draw(st.lists(st.sampled_from(PRODUCTS), max_size=2, unique=True)),
        "value": draw(st.floats(0.1, 10)),
    }
    if draw(st.booleans()):
        stages = st.sampled_from((NO_STAGE, *STAGES))
        exp["stages"] = {"hourglass": draw(st.lists(stages, min_size=1, max_size=4, unique=True))}
    if draw(st.booleans()):
        exp["caps"] = {"day": draw(st.integers(1, 2)), "week": draw(st.integers(1, 4))}
    if draw(st.booleans()):
        start = NOW.date() + timedelta(days=draw(st.integers(-20, 20)))
        exp["valid_from"] = start.isoformat()
        exp["valid_until"] = (start + timedelta(days=draw(st.integers(0, 30)))).isoformat()
    if draw(st.booleans()):
        a = NOW.date() + timedelta(days=draw(st.integers(-60, 60)))
        b = a + timedelta(days=draw(st.integers(0, 120)))
        exp["season"] = {"start": _md(a), "end": _md(b)}
    if draw(st.booleans()):
        exp["conditions"] = {
            "traits": [{"trait": "age", "op": "gte", "value": draw(st.integers(0, 60))}],
            "events": [{"event": "Seen", "within_days": 7, "absent": draw(st.booleans())}],
        }
    return exp


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    n = draw(st.integers(1, 8))
    exps = [draw(experiences(i)) for i in range(n)]
    policy = {
        "suppression": {
            "acquisition": {
                "purposes": draw(st.lists(st.sampled_from(PURPOSES), max_size=2, unique=True)),
                "until": {"hourglass": draw(st.sampled_from(STAGES))},
            },
            "after_purchase": draw(st.lists(st.sampled_from(PURPOSES), max_size=3, unique=True)),
            "consumed_again": draw(st.booleans()),
            "support_case": {"enabled": draw(st.booleans())},
        },
        "contact": {
            "total": {"day": draw(st.integers(1, 5))},
            "total_channels": ["email", "ads"],
            "channels": {"email": {"week": draw(st.integers(1, 3))}},
            "quiet_hours": {"start": "21:00", "end": "08:00", "channels": ["email"]},
        },
        "consent": {"required": ["email", "ads"]},
    }
    return catalog(*exps, policy=policy)


@st.composite
def contexts(draw: st.DrawFn) -> DecisionContext:
    positions = []
    for product in draw(st.lists(st.sampled_from((*PRODUCTS, "*")), max_size=3, unique=True)):
        stage = draw(st.sampled_from(STAGES))
        furthest = draw(st.sampled_from(STAGES[STAGES.index(stage) :]))
        positions.append(
            JourneyPosition(
                model="hourglass",
                product=product,
                stage=stage,
                furthest=furthest,
                purchased=draw(st.booleans()),
            )
        )
    contacts = tuple(
        ContactRecord(
            experience_id=draw(st.sampled_from([f"e{i}" for i in range(8)])),
            channel=draw(st.sampled_from(CHANNELS)),
            at=NOW - timedelta(hours=draw(st.floats(0, 24 * 40))),
        )
        for _ in range(draw(st.integers(0, 6)))
    )
    events = tuple(
        RecentEvent(name="Seen", at=NOW - timedelta(days=draw(st.floats(0, 10))))
        for _ in range(draw(st.integers(0, 2)))
    )
    return DecisionContext(
        profile_id=draw(st.text(min_size=1, max_size=8)),
        now=NOW + timedelta(hours=draw(st.integers(0, 23))),
        traits={"age": draw(st.integers(0, 80))} if draw(st.booleans()) else {},
        consent={ch: draw(st.booleans()) for ch in draw(st.lists(st.sampled_from(CHANNELS)))},
        positions=tuple(positions),
        recent_events=events,
        contacts=contacts,
        consumed=frozenset(draw(st.lists(st.sampled_from([f"e{i}" for i in range(8)])))),
        open_support_case=draw(st.booleans()),
        timezone=draw(st.sampled_from(TZS)),
    )


# -- the oracle: each rule, one experience at a time ------------------------------------------


def _relevant(cat: Catalog, exp: Experience) -> list[str]:
    return list(exp.products) if exp.products else list(cat.products)


def _pos(ctx: DecisionContext, product: str) -> JourneyPosition | None:
    return next((p for p in ctx.positions if p.product == product), None)


def _in_stages(cat: Catalog, exp: Experience, ctx: DecisionContext) -> bool:
    if "hourglass" not in exp.stages:
        return True
    for product in _relevant(cat, exp):
        pos = _pos(ctx, product)
        if (pos.stage if pos else NO_STAGE) in exp.stages["hourglass"]:
            return True
    return False


def _suppressed(cat: Catalog, exp: Experience, ctx: DecisionContext) -> bool:
    sup = cat.doc.policy.suppression
    positions = [p for p in (_pos(ctx, q) for q in _relevant(cat, exp)) if p is not None]
    if exp.purpose in sup.after_purchase and any(p.purchased for p in positions):
        return True
    until = STAGES.index(sup.acquisition.until["hourglass"])
    if exp.purpose in sup.acquisition.purposes and any(
        STAGES.index(p.furthest or p.stage) > until for p in positions
    ):
        return True
    if not sup.consumed_again and exp.id in ctx.consumed:
        return True
    return (
        ctx.open_support_case
        and sup.support_case.enabled
        and exp.purpose not in sup.support_case.allow_purposes
    )


def _count(ctx: DecisionContext, days: int, keep: Any) -> int:
    return sum(1 for c in ctx.contacts if ctx.now - c.at < timedelta(days=days) and keep(c))


def _over(ctx: DecisionContext, caps: Caps, keep: Any) -> bool:
    limits = {"day": 1, "week": 7, "month": 30}
    return any(
        getattr(caps, k) is not None and _count(ctx, d, keep) >= getattr(caps, k)
        for k, d in limits.items()
    )


def _contact_ok(cat: Catalog, exp: Experience, ctx: DecisionContext, channel: str) -> bool:
    policy = cat.doc.policy
    consent = ctx.consent.get(channel)
    if consent is False or (consent is None and channel in policy.consent.required):
        return False
    local = ctx.now.astimezone(ZoneInfo(ctx.timezone or "UTC"))
    if channel == "email" and (local.hour >= 21 or local.hour < 8):
        return False
    contact = policy.contact
    if channel in contact.total_channels and _over(
        ctx, contact.total, lambda c: c.channel in contact.total_channels
    ):
        return False
    caps = contact.channels.get(channel)
    if caps is not None and _over(ctx, caps, lambda c: c.channel == channel):
        return False
    return not _over(ctx, exp.caps, lambda c: c.experience_id == exp.id)


def _dated(exp: Experience, ctx: DecisionContext) -> bool:
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone or "UTC")).date()
    if exp.valid_from and today < exp.valid_from:
        return False
    if exp.valid_until and today > exp.valid_until:
        return False
    if exp.season is None:
        return True
    md = _md(today)
    s, e = exp.season.start, exp.season.end
    return s <= md <= e if s <= e else (md >= s or md <= e)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cat=catalogs(), ctx=contexts(), channel=st.sampled_from(CHANNELS), seed=st.integers(0, 99))
def test_a_decision_never_breaks_a_rule(
    cat: Catalog, ctx: DecisionContext, channel: str, seed: int
) -> None:
    request = DecideRequest(channel=channel, count=8)
    state = BanditState.for_catalog(cat)
    d = decide(ctx, request, cat, state, np.random.default_rng(seed))
    for chosen in d.experiences:
        exp = cat.experiences[cat.index[chosen.id]]
        assert channel in exp.channels
        assert _in_stages(cat, exp, ctx), "outside its stages"
        assert not _suppressed(cat, exp, ctx), "suppressed"
        assert _contact_ok(cat, exp, ctx, channel), "consent, quiet hours or a cap"
        assert _dated(exp, ctx), "out of date"
        assert conditions_hold(exp.conditions, ctx.traits, ctx.recent_events, ctx.now)
    # and the other way round: whatever the oracle allows is eligible (nothing is lost)
    on_channel = {e.id for e in cat.experiences if channel in e.channels}
    eligible = {c.experience_id for c in d.candidates}
    excluded = {x.experience_id for x in d.excluded}
    assert eligible | excluded == on_channel
    assert not eligible & excluded - {e.id for e in d.experiences}
    for exp in cat.experiences:
        allowed = (
            exp.id in on_channel
            and _in_stages(cat, exp, ctx)
            and not _suppressed(cat, exp, ctx)
            and _contact_ok(cat, exp, ctx, channel)
            and _dated(exp, ctx)
            and conditions_hold(exp.conditions, ctx.traits, ctx.recent_events, ctx.now)
        )
        assert allowed == (exp.id in eligible), exp.id


@given(st.text(max_size=30), st.floats(0, 0.99), st.text(max_size=10))
def test_holdout_membership_is_a_function_of_the_profile(pid: str, share: float, salt: str) -> None:
    first = in_holdout(pid, share=share, salt=salt)
    assert all(in_holdout(pid, share=share, salt=salt) == first for _ in range(3))
    # growing the share never takes anyone out of the holdout
    assert not first or in_holdout(pid, share=min(share + 0.1, 0.99), salt=salt)


def test_holdout_share_is_close_to_configured() -> None:
    held = sum(in_holdout(f"profile-{i}", share=0.1, salt="x") for i in range(20_000))
    assert 0.09 < held / 20_000 < 0.11
