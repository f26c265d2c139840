"""Ad audiences: membership by stage, product, purchase and traits; hashed, paged exports."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.decide._helpers import NOW, at, catalog, context, experience
from waymark.decide._sizes import AudienceTracker
from waymark.decide.api import Decider, StaticContexts, normalise_email, normalise_phone
from waymark.decide.config import Audience
from waymark.decide.contracts import DecisionContext
from waymark.decide.errors import InvalidDecideRequest, UnknownAudience


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_normalisation() -> None:
    assert normalise_email("  Ray.Smith@Example.COM ") == "ray.smith@example.com"
    assert normalise_email("not an email") is None
    assert normalise_phone("+44 7700 900123") == "+447700900123"
    assert normalise_phone("07700 900123", "GB") == "+447700900123"
    assert normalise_phone("12") is None


@given(st.emails())
def test_email_normalisation_is_idempotent(email: str) -> None:
    once = normalise_email(email)
    assert once is None or normalise_email(once) == once


AUDIENCES = [
    {
        "name": "considering",
        "products": ["kit"],
        "stages": {"hourglass": ["evaluation", "justification"]},
        "purchased": False,
    },
    {"name": "owners", "purpose": "suppression", "purchased": True},
    {"name": "vip", "traits": [{"trait": "tier", "op": "eq", "value": "gold"}]},
]


def population() -> StaticContexts:
    ads = {"ads": True}
    return StaticContexts(
        [
            context(
                "a", identifiers={"email": ["A@x.com"]}, consent=ads, positions=(at("evaluation"),)
            ),
            context(
                "b",
                identifiers={"phone": ["+447700900123"]},
                consent=ads,
                positions=(at("justification"),),
            ),
            context("c", identifiers={"email": ["c@x.com"]}, positions=(at("evaluation"),)),
            context(
                "d",
                identifiers={"email": ["d@x.com"]},
                consent=ads,
                positions=(at("adoption", purchased=True),),
            ),
            context("e", traits={"email": "e@x.com", "tier": "gold"}, consent=ads),
            context("f", consent=ads, positions=(at("evaluation"),)),
        ]
    )


def decider(pop: StaticContexts | None = None) -> Decider:
    return Decider(catalog(experience("x"), audiences=AUDIENCES), contexts=pop or population())


def test_members_are_hashed_and_filtered() -> None:
    page = decider().audience("considering", now=NOW)
    # c has not consented to ads; f has nothing to match on; d has bought
    assert [m.email_sha256 for m in page.members] == [(sha("a@x.com"),), ()]
    assert page.members[1].phone_sha256 == (sha("+447700900123"),)
    assert page.next_cursor is None


def test_suppression_lists_do_not_need_ad_consent() -> None:
    owners = decider().audience("owners", now=NOW)
    assert [m.email_sha256 for m in owners.members] == [(sha("d@x.com"),)]
    vip = decider().audience("vip", now=NOW)
    assert [m.email_sha256 for m in vip.members] == [(sha("e@x.com"),)]


def test_paging_walks_every_member_once() -> None:
    d = decider()
    seen, cursor = [], None
    while True:
        page = d.audience("considering", now=NOW, cursor=cursor, limit=1)
        seen.extend(page.members)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(d.audience("considering", now=NOW).members)


def test_unknown_audience_and_bad_cursor() -> None:
    with pytest.raises(UnknownAudience):
        decider().audience("nope", now=NOW)
    with pytest.raises(InvalidDecideRequest):
        decider().audience("vip", now=NOW, cursor="%%%")


def test_tracker_counts_joins_and_leaves_between_counts() -> None:
    owners = Audience(name="owners", purpose="suppression", traits=())
    vip = Audience(name="vip", purpose="suppression", traits=(), purchased=True)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    tracker = AudienceTracker(ttl_s=0)

    def people(ids: list[str], now: datetime) -> list[DecisionContext]:
        return [
            DecisionContext(profile_id=p, now=now, identifiers={"email": [f"{p}@example.com"]})
            for p in ids
        ] + [DecisionContext(profile_id="no-contact", now=now)]  # nothing to match on

    first = tracker.count([owners, vip], lambda: people(["a", "b"], start), now=start)
    later = start + timedelta(days=2)
    second = tracker.count([owners, vip], lambda: people(["b", "c", "d"], later), now=later)
    assert [len(first.members["owners"]), len(second.members["owners"])] == [2, 3]
    tracker.exported("owners", later)
    rows = {a.name: a for a in tracker.activity([owners, vip], second, since=start)}
    assert (rows["owners"].size, rows["owners"].added, rows["owners"].removed) == (3, 2, 1)
    assert rows["owners"].last_export == later
    assert (rows["vip"].size, rows["vip"].added, rows["vip"].removed) == (0, 0, 0)
    # a window after the change holds none of it
    recent = tracker.activity([owners], second, since=later + timedelta(seconds=1))
    assert (recent[0].added, recent[0].removed) == (0, 0)
    # a recent count is shared rather than taken again
    sticky = AudienceTracker(ttl_s=3600)
    once = sticky.count([owners], lambda: people(["a"], start), now=start)
    assert sticky.count([owners], lambda: people(["a", "b"], later), now=later) is once
