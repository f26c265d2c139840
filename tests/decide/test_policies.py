"""Each policy, one example at a time: what it excludes, and the code the log shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from tests.decide._helpers import NOW, at, catalog, context, experience
from waymark.decide._bandit import BanditState
from waymark.decide._decide import decide
from waymark.decide.api import Catalog
from waymark.decide.contracts import (
    ContactRecord,
    DecideRequest,
    Decision,
    DecisionContext,
    RecentEvent,
)


def run(cat: Catalog, ctx: DecisionContext, channel: str = "web", **req: Any) -> Decision:
    request = DecideRequest(channel=channel, count=req.pop("count", 10), **req)
    return decide(ctx, request, cat, BanditState.for_catalog(cat), np.random.default_rng(0))


def chosen(decision: Decision) -> set[str]:
    return {e.id for e in decision.experiences}


def why(decision: Decision) -> dict[str, str]:
    return {x.experience_id: x.policy for x in decision.excluded}


def test_stage_eligibility_uses_the_current_stage() -> None:
    cat = catalog(
        experience("early", products=["kit"], stages={"hourglass": ["none", "engagement"]}),
        experience("mid", products=["kit"], stages={"hourglass": ["evaluation"]}),
        experience("any", products=["kit"]),
    )
    assert chosen(run(cat, context())) == {"early", "any"}
    d = run(cat, context(positions=(at("evaluation"),)))
    assert chosen(d) == {"mid", "any"}
    assert why(d) == {"early": "stage.not_eligible"}


def test_an_experience_for_another_product_looks_at_that_product() -> None:
    cat = catalog(
        experience("other-intro", products=["other"], stages={"hourglass": ["none"]}),
        experience("kit-intro", products=["kit"], stages={"hourglass": ["none"]}),
    )
    assert chosen(run(cat, context(positions=(at("evaluation"),)))) == {"other-intro"}


def test_no_sales_content_after_purchase_but_help() -> None:
    cat = catalog(
        experience("ad", kind="ad", purpose="awareness", products=["kit"]),
        experience("compare", purpose="consideration", products=["kit"]),
        experience("help", purpose="onboarding", products=["kit"]),
        experience("other-ad", kind="ad", purpose="awareness", products=["other"]),
    )
    d = run(cat, context(positions=(at("adoption", purchased=True),)))
    assert chosen(d) == {"help", "other-ad"}
    assert why(d) == {"ad": "suppress.after_purchase", "compare": "suppress.after_purchase"}


def test_post_purchase_phase_counts_as_purchased() -> None:
    cat = catalog(experience("compare", products=["kit"]))
    d = run(cat, context(positions=(at("adoption", phase="post_purchase"),)))
    assert why(d) == {"compare": "suppress.after_purchase"}


def test_awareness_stops_once_interest_passes_the_configured_stage() -> None:
    policy = {"suppression": {"acquisition": {"until": {"hourglass": "education"}}}}
    cat = catalog(
        experience("ad", kind="ad", purpose="awareness", products=["kit"]),
        experience("compare", products=["kit"]),
        policy=policy,
    )
    assert chosen(run(cat, context(positions=(at("education"),)))) == {"ad", "compare"}
    # moved back to engagement, but once went as far as evaluation: still interested
    d = run(cat, context(positions=(at("engagement", furthest="evaluation"),)))
    assert chosen(d) == {"compare"}
    assert why(d) == {"ad": "suppress.acquisition_interest"}


def test_consumed_experiences_are_not_offered_again_unless_configured() -> None:
    exps = (experience("a"), experience("b"))
    ctx = context(consumed=frozenset({"a"}))
    d = run(catalog(*exps), ctx)
    assert chosen(d) == {"b"}
    assert why(d) == {"a": "suppress.consumed"}
    again = catalog(*exps, policy={"suppression": {"consumed_again": True}})
    assert chosen(run(again, ctx)) == {"a", "b"}


def test_open_support_case_allows_only_service() -> None:
    exps = (experience("offer", purpose="conversion"), experience("help", purpose="service"))
    ctx = context(open_support_case=True)
    d = run(catalog(*exps), ctx)
    assert chosen(d) == {"help"}
    assert why(d) == {"offer": "suppress.support_case"}
    off = catalog(*exps, policy={"suppression": {"support_case": {"enabled": False}}})
    assert chosen(run(off, ctx)) == {"offer", "help"}


@pytest.mark.parametrize(
    ("consent", "channel", "allowed"),
    [
        ({}, "email", False),
        ({"email": True}, "email", True),
        ({"email": False}, "email", False),
        ({}, "web", True),
        ({"web": False}, "web", False),
    ],
)
def test_consent(consent: dict[str, bool], channel: str, allowed: bool) -> None:
    cat = catalog(experience("x", channels=["web", "email"]))
    d = run(cat, context(consent=consent), channel=channel)
    assert chosen(d) == ({"x"} if allowed else set())
    if not allowed:
        assert why(d) == {"x": "consent.channel"}


def test_quiet_hours_are_in_the_customers_time_zone() -> None:
    # 14:00 UTC is 23:00 in Tokyo and 14:00 in London
    quiet = {"contact": {"quiet_hours": {"start": "21:00", "end": "08:00", "channels": ["email"]}}}
    cat = catalog(experience("x", channels=["email"]), policy=quiet)
    base: dict[str, Any] = {"consent": {"email": True}}
    tokyo = run(cat, context(timezone="Asia/Tokyo", **base), channel="email")
    assert why(tokyo) == {"x": "contact.quiet_hours"}
    london = run(cat, context(timezone="Europe/London", **base), channel="email")
    assert chosen(london) == {"x"}
    unknown = run(cat, context(timezone="Mars/Olympus", **base), channel="email")
    assert chosen(unknown) == {"x"}


def contacts(*ages_hours: float, exp: str = "x", channel: str = "web") -> tuple[ContactRecord, ...]:
    return tuple(
        ContactRecord(experience_id=exp, channel=channel, at=NOW - timedelta(hours=h))
        for h in ages_hours
    )


def test_experience_caps_per_day_and_week() -> None:
    cat = catalog(experience("x", caps={"day": 1, "week": 2}), experience("y"))
    assert chosen(run(cat, context(contacts=contacts(30)))) == {"x", "y"}
    assert why(run(cat, context(contacts=contacts(2)))) == {"x": "cap.experience"}
    assert why(run(cat, context(contacts=contacts(30, 50)))) == {"x": "cap.experience"}
    assert chosen(run(cat, context(contacts=contacts(30, 24 * 8)))) == {"x", "y"}


def test_channel_and_total_caps() -> None:
    policy = {"contact": {"channels": {"email": {"day": 2}}, "total": {"week": 3}}}
    cat = catalog(
        experience("x", channels=["email"]), experience("y", channels=["email"]), policy=policy
    )
    ok: dict[str, Any] = {"consent": {"email": True}}

    def on_email(ctx: DecisionContext) -> Decision:
        return run(cat, ctx, channel="email")

    assert chosen(on_email(context(contacts=contacts(1, exp="z", channel="email"), **ok))) == {
        "x",
        "y",
    }
    d = on_email(context(contacts=contacts(1, 2, exp="z", channel="email"), **ok))
    assert why(d) == {"x": "cap.channel", "y": "cap.channel"}
    d = on_email(context(contacts=contacts(30, 40, 50, exp="z", channel="sms"), **ok))
    assert why(d) == {"x": "cap.total", "y": "cap.total"}
    # web pages are not contacts: they do not count towards the total
    assert chosen(on_email(context(contacts=contacts(30, 40, 50, exp="z"), **ok))) == {"x", "y"}


def test_total_cap_counts_only_its_channels() -> None:
    policy = {"contact": {"total": {"day": 1}, "total_channels": ["email"]}}
    cat = catalog(experience("x", channels=["web", "email"]), policy=policy)
    web_history = context(contacts=contacts(1, 2, 3), consent={"email": True})
    assert chosen(run(cat, web_history, channel="email")) == {"x"}
    assert chosen(run(cat, web_history, channel="web")) == {"x"}
    email_history = context(contacts=contacts(1, channel="email"), consent={"email": True})
    assert why(run(cat, email_history, channel="email")) == {"x": "cap.total"}


def test_validity_dates_and_seasons() -> None:
    cat = catalog(
        experience("old", valid_until="2026-03-01"),
        experience("today", valid_from="2026-03-02", valid_until="2026-03-02"),
        experience("later", valid_from="2026-03-03"),
        experience("winter", season={"start": "12-01", "end": "03-05"}),
        experience("xmas", season={"start": "12-01", "end": "12-24"}),
    )
    d = run(cat, context())
    assert chosen(d) == {"today", "winter"}
    assert why(d) == {
        "old": "date.outside_validity",
        "later": "date.outside_validity",
        "xmas": "date.out_of_season",
    }


def test_placements() -> None:
    cat = catalog(experience("hero", placements=["home"]), experience("any"))
    assert chosen(run(cat, context(), placement="home")) == {"hero", "any"}
    assert why(run(cat, context(), placement="cart")) == {"hero": "placement.other"}
    # an experience made for named placements is not offered where no placement is named
    assert chosen(run(cat, context())) == {"any"}
    assert why(run(cat, context())) == {"hero": "placement.not_requested"}


def test_trait_and_event_conditions() -> None:
    cat = catalog(
        experience(
            "gift",
            conditions={
                "traits": [{"trait": "age", "op": "gte", "value": 18}],
                "events": [
                    {
                        "event": "Product Viewed",
                        "properties": {"product_id": "kit"},
                        "within_days": 7,
                    }
                ],
            },
        ),
        experience("fresh", conditions={"events": [{"event": "Order Completed", "absent": True}]}),
    )
    viewed = (
        RecentEvent(
            name="Product Viewed", at=NOW - timedelta(days=2), properties={"product_id": "kit"}
        ),
    )
    assert chosen(run(cat, context(traits={"age": 40}, recent_events=viewed))) == {"gift", "fresh"}
    assert why(run(cat, context(traits={"age": 12}, recent_events=viewed))) == {
        "gift": "conditions.not_met"
    }
    stale = (
        RecentEvent(
            name="Product Viewed", at=NOW - timedelta(days=9), properties={"product_id": "kit"}
        ),
    )
    assert "gift" not in chosen(run(cat, context(traits={"age": 40}, recent_events=stale)))
    bought = (RecentEvent(name="Order Completed", at=NOW - timedelta(days=1)),)
    assert why(run(cat, context(traits={"age": 40}, recent_events=bought)))["fresh"] == (
        "conditions.not_met"
    )


def test_holdout_gets_only_the_default() -> None:
    policy = {"holdout": {"share": 0.5, "salt": "s", "defaults": {"web": "default"}}}
    cat = catalog(experience("default"), experience("best", value=100), policy=policy)
    from waymark.decide.api import in_holdout

    held = next(f"p{i}" for i in range(100) if in_holdout(f"p{i}", share=0.5, salt="s"))
    free = next(f"p{i}" for i in range(100) if not in_holdout(f"p{i}", share=0.5, salt="s"))
    d = run(cat, context(held))
    assert d.holdout
    assert [e.id for e in d.experiences] == ["default"]
    assert why(d) == {"best": "holdout.default_only"}
    assert "holdout" in d.experiences[0].reason
    d = run(cat, context(free))
    assert not d.holdout
    assert chosen(d) == {"default", "best"}


def test_ranking_and_reasons() -> None:
    cat = catalog(
        experience("low", value=1, why="A small thing"),
        experience("high", value=1000, products=["kit"], why="The big thing"),
    )
    d = run(cat, context(positions=(at("evaluation"),)), count=1)
    assert [e.id for e in d.experiences] == ["high"]
    assert [c.experience_id for c in d.candidates] == ["high", "low"]
    reason = d.experiences[0].reason
    assert reason.startswith("The big thing.")
    assert "evaluation" in reason and "Ranked 1st of 2" in reason
    top = d.candidates[0]
    assert top.score == pytest.approx(top.propensity * top.context_weight * top.value * top.lever)


def test_weights_and_levers_multiply_the_score() -> None:
    cat = catalog(
        experience("a", weights={"web": 3.0}, lever=2.0),
        experience("b"),
    )
    d = run(cat, context())
    a = next(c for c in d.candidates if c.experience_id == "a")
    assert a.context_weight == 3.0 and a.lever == 2.0
    assert a.score == pytest.approx(a.propensity * 6.0)


def test_seeded_decisions_repeat() -> None:
    cat = catalog(experience("a"), experience("b"), experience("c"))
    one, two = run(cat, context()), run(cat, context())
    assert one == two
