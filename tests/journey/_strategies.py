"""Hypothesis strategies: events in the vocabulary of the shipped models, and random rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from waymark.core.events import Event
from waymark.journey.contracts import (
    Condition,
    ContentEvidence,
    EvidenceRule,
    JourneyModel,
    Level,
    MovingBack,
    ProductConfig,
    Stage,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)

TRACK_NAMES = (
    "Ad Clicked",
    "Social Post Engaged",
    "Newsletter Subscribed",
    "Guide Downloaded",
    "Products Searched",
    "Product List Viewed",
    "Product Viewed",
    "Trial Started",
    "Video Playback Started",
    "Product Shared",
    "Call Completed",
    "Product Added",
    "Checkout Started",
    "Order Completed",
    "Order Shipped",
    "Order Delivered",
    "Application Installed",
    "Product Used",
    "Survey Responded",
    "Subscription Upgraded",
    "Product Reviewed",
    "Referral Sent",
    "Story Submitted",
    "Content Viewed",
    "Signed Up",
    "Webinar Attended",
    "Milestone Reached",
    "Something Else",
)
PAGE_NAMES = ("Home", "Blog", "Pricing", None)
PRODUCTS = ("genius", "starter", "coding", 7)
STAGE_TAGS = (
    "engagement",
    "education",
    "evaluation",
    "adoption",
    "advocacy",
    "aware",
    "engage",
    "excite",
    "own",
    "nonsense",
)
LEVELS = ("unaware", "problem_aware", "solution_aware", "product_aware", "other")

_scalar = st.one_of(
    st.sampled_from(["upsell", "add_on", "new", "", "genius", "true"]),
    st.integers(-3, 12),
    st.sampled_from([0.5, 9.0, 10.5]),
    st.booleans(),
    st.none(),
)


@st.composite
def properties(draw: st.DrawFn) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if draw(st.booleans()):
        props["product_id"] = draw(st.one_of(st.sampled_from(PRODUCTS), _scalar))
    if draw(st.integers(0, 4)) == 0:
        props["products"] = draw(
            st.lists(
                st.one_of(
                    st.fixed_dictionaries({"product_id": st.sampled_from(PRODUCTS)}),
                    st.fixed_dictionaries({"sku": st.just("x")}),
                    st.fixed_dictionaries({"product_id": _scalar}),
                    st.just("not a dict"),
                ),
                max_size=3,
            )
        )
    if draw(st.booleans()):
        props["content_stage"] = draw(st.one_of(st.sampled_from(STAGE_TAGS), _scalar))
    if draw(st.booleans()):
        props["content_level"] = draw(st.sampled_from(LEVELS))
    if draw(st.booleans()):
        props["score"] = draw(_scalar)
    if draw(st.booleans()):
        props["order_type"] = draw(st.one_of(st.sampled_from(["upsell", "new", "add_on"]), _scalar))
    if draw(st.integers(0, 5)) == 0:
        props["content_id"] = draw(st.sampled_from(["c1", "c2", "c3"]))
    if draw(st.integers(0, 5)) == 0:
        props["nested"] = {"plan": draw(_scalar)}
    return props


@st.composite
def events(draw: st.DrawFn, *, count: int = 30, days: int = 40) -> list[Event]:
    """Events with seqs 1..n in order and timestamps mostly increasing, sometimes late."""
    n = draw(st.integers(1, count))
    out: list[Event] = []
    minute = 0
    for seq in range(1, n + 1):
        # mostly forward; sometimes an event arrives late (an earlier timestamp)
        minute = max(0, min(days * 24 * 60, minute + draw(st.integers(-2 * 1440, 3 * 1440))))
        when = T0 + timedelta(minutes=minute)
        kind = draw(st.sampled_from(["track"] * 6 + ["page", "screen", "identify"]))
        out.append(
            Event(
                message_id=f"m{seq}",
                type=kind,
                timestamp=when,
                received_at=when,
                event=draw(st.sampled_from(TRACK_NAMES)) if kind == "track" else None,
                name=draw(st.sampled_from(PAGE_NAMES)) if kind in ("page", "screen") else None,
                channel=draw(st.sampled_from(["web", "mobile", "email"])),
                properties=draw(properties()),
                seq=seq,
            )
        )
    return out


_paths = st.sampled_from(
    [
        ("properties", "score"),
        ("properties", "order_type"),
        ("properties", "product_id"),
        ("properties", "nested", "plan"),
        ("properties", "missing"),
        ("channel",),
        ("name",),
    ]
)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    path = draw(_paths)
    op = draw(
        st.sampled_from(
            ["equals", "not_equals", "in", "not_in", "exists", "gt", "gte", "lt", "lte"]
        )
    )
    value: Any
    if op == "exists":
        value = draw(st.booleans())
    elif op in ("in", "not_in"):
        value = tuple(
            draw(st.lists(_scalar.filter(lambda v: v is not None), min_size=1, max_size=3))
        )
    elif op in ("gt", "gte", "lt", "lte"):
        value = draw(st.one_of(st.integers(-2, 11), st.sampled_from([0.5, 9.0])))
    else:
        value = draw(
            st.one_of(_scalar.filter(lambda v: v is not None), st.sampled_from(["web", "Home"]))
        )
    return Condition(path=path, op=op, value=value)


@st.composite
def rules(draw: st.DrawFn, *, levels: tuple[str, ...] = ()) -> EvidenceRule:
    shape = draw(st.sampled_from(["events", "type", "names", "where"]))
    where = tuple(draw(st.lists(conditions(), max_size=2)))
    level = draw(st.sampled_from((None, *levels))) if levels else None
    if shape == "events":
        names = tuple(draw(st.lists(st.sampled_from(TRACK_NAMES), min_size=1, max_size=3)))
        return EvidenceRule(type="track", events=names, where=where, level=level)
    if shape == "type":
        kind = draw(st.sampled_from(["track", "page", "screen", "identify"]))
        return EvidenceRule(type=kind, where=where, level=level)
    if shape == "names":
        kind = draw(st.sampled_from([None, "page", "screen"]))
        pages = tuple(draw(st.lists(st.sampled_from(["Home", "Blog"]), min_size=1, max_size=2)))
        return EvidenceRule(type=kind, names=pages, where=where, level=level)
    return EvidenceRule(
        where=where or (Condition(path=("channel",), op="equals", value="web"),), level=level
    )


@st.composite
def models(draw: st.DrawFn) -> JourneyModel:
    """Random but valid models: pre-purchase stages, then post-purchase ones."""
    n_pre = draw(st.integers(1, 4))
    n_post = draw(st.integers(0, 3))
    stages: list[Stage] = []
    for i in range(n_pre + n_post):
        levels = ("low", "high") if i == 0 and draw(st.booleans()) else ()
        stages.append(
            Stage(
                name=f"s{i}",
                title=f"s{i}",
                phase="pre_purchase" if i < n_pre else "post_purchase",
                question="?",
                evidence=tuple(draw(st.lists(rules(levels=levels), max_size=3))),
                levels=tuple(Level(name=lv) for lv in levels),
            )
        )
    names = [s.name for s in stages]
    catalog = tuple(
        (cid, draw(st.sampled_from(names)), None)
        for cid in draw(st.sets(st.sampled_from(["c1", "c2"])))
    )
    fields = draw(
        st.sampled_from(
            [
                (("properties", "product_id"),),
                (("properties", "product_id"), ("properties", "products[]", "product_id")),
                (("properties", "products[]", "product_id"), ("properties", "nested", "plan")),
            ]
        )
    )
    return JourneyModel(
        name="random",
        title="random",
        stages=tuple(stages),
        purchase=tuple(draw(st.lists(rules(), min_size=1, max_size=2))),
        product=ProductConfig(
            fields=fields, product_less=draw(st.sampled_from(["brand", "ignore"]))
        ),
        content=ContentEvidence(
            rules=tuple(draw(st.lists(rules(), max_size=2))),
            stage_property="content_stage",
            level_property="content_level",
            catalog=catalog,
        ),
        moving_back=MovingBack(after=timedelta(hours=draw(st.sampled_from([0, 12, 72])))),
    )
