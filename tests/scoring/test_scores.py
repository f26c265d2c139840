"""Scores per person and account: fit, stage-weighted decaying engagement, explanations,
labels tied to stages, and label changes emitted once per crossing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scoring._world import T0, World
from waymark.scoring.errors import SubjectNotFound

G = {"product_id": "g"}


def test_fit_from_traits_and_engagement_weighted_by_stage() -> None:
    w = World()
    w.identify("ann", 0, title="Head of Science", company_size=80)
    w.send("ann", "Ad Clicked", 0, **G)  # engagement: 5 x 0.5
    w.send("ann", "Product Viewed", 0, **G)  # evaluation: 5 x 2
    (score,) = w.scoring.person(w.pid("ann")).scores
    assert score.product == "g"
    assert score.fit == 25
    assert score.engagement == pytest.approx(12.5)
    assert score.score == pytest.approx(37.5)
    by_evidence = {c.evidence: c for c in score.contributions}
    assert by_evidence["Product Viewed"].stage == "evaluation"
    assert by_evidence["Product Viewed"].points == pytest.approx(10)
    assert by_evidence["Ad Clicked"].points == pytest.approx(2.5)
    assert by_evidence["title=Head of Science"].kind == "trait"
    # largest first
    assert [c.points for c in score.contributions] == sorted(
        (c.points for c in score.contributions), reverse=True
    )


def test_engagement_halves_every_half_life_at_read_time() -> None:
    w = World()
    w.send("bo", "Demo Requested", 0, **G)  # 20 x 2 at evaluation
    pid = w.pid("bo")
    now = w.scoring.person(pid).scores[0].engagement
    later = w.scoring.person(pid, as_of=T0 + timedelta(days=10)).scores[0]
    assert now == pytest.approx(40)
    assert later.engagement == pytest.approx(20)
    assert later.contributions[0].points == pytest.approx(20)
    assert later.contributions[0].rule == "demo"
    much_later = w.scoring.person(pid, as_of=T0 + timedelta(days=30)).scores[0]
    assert much_later.engagement == pytest.approx(5)


def test_labels_need_both_the_score_and_the_stage() -> None:
    w = World()
    w.identify("cy", 0, title="Director", company_size=500)  # fit 25
    w.send("cy", "Ad Clicked", 0, **G)
    (s,) = w.scoring.person(w.pid("cy")).scores
    assert s.score >= 20 and s.stage == "engagement"
    assert s.label is None  # enough points, but not yet at research
    w.send("cy", "Products Searched", 1, **G)
    assert w.scoring.person(w.pid("cy")).scores[0].label == "marketing-qualified"
    w.send("cy", "Demo Requested", 2, **G)
    assert w.scoring.person(w.pid("cy")).scores[0].label == "sales-qualified"
    assert [(c.old, c.new) for c in w.changes] == [
        (None, "marketing-qualified"),
        ("marketing-qualified", "sales-qualified"),
    ]
    assert len({c.occurrence for c in w.changes}) == 2


def test_a_label_change_is_emitted_once_per_crossing() -> None:
    w = World()
    w.identify("di", 0, title="Director", company_size=500)
    w.send("di", "Demo Requested", 0, **G)
    w.send("di", "Demo Requested", 1, **G)
    w.send("di", "Product Viewed", 2, **G)
    sql = [c for c in w.changes if c.new == "sales-qualified"]
    assert len(sql) == 1
    assert sql[0].subject == "person" and sql[0].product == "g"
    # replaying the same events (after a restart) changes nothing and emits nothing
    before = w.scoring.engagement_state()
    w.identity.observe(w.events)
    assert w.scoring.engagement_state() == before
    assert len([c for c in w.changes if c.new == "sales-qualified"]) == 1


def test_merged_profiles_add_their_engagement() -> None:
    w = World()
    anon = w.event("x", "Product Viewed", 0, **G)
    anon = anon.__class__(**{**_fields(anon), "user_id": None, "anonymous_id": "a1"})
    w.events.append(anon)
    w.identity.observe([anon])
    w.send("eve", "Demo Requested", 1, **G)
    link = w.event("eve", "Product Viewed", 1, **G)
    link = link.__class__(**{**_fields(link), "anonymous_id": "a1"})
    w.events.append(link)
    w.identity.observe([link])
    (s,) = w.scoring.person(w.pid("eve")).scores
    decay = 2 ** (-1 / 10)
    assert s.engagement == pytest.approx(10 * decay + 40 + 10)
    assert len(w.identity.profile_ids()) == 1


def _fields(ev: object) -> dict[str, object]:
    import msgspec

    return msgspec.structs.asdict(ev)  # type: ignore[arg-type]


def test_account_score_sums_the_top_members_and_adds_account_fit() -> None:
    w = World()
    assert w.members is not None
    w.members.traits["school"] = {"employees": 150}
    for user, event in (("a", "Demo Requested"), ("b", "Product Viewed"), ("c", "Ad Clicked")):
        w.send(user, event, 0, **G)
        w.members.join("school", w.pid(user))
    (s,) = w.scoring.account("school").scores
    # top 2 members: 40 (demo at evaluation) + 10 (view at evaluation); c's 2.5 is left out
    assert s.engagement == pytest.approx(50)
    assert s.fit == 10
    assert s.stage == "evaluation"
    assert s.label == "sales-qualified"
    assert {c.member for c in s.contributions if c.kind == "event"} == {w.pid("a"), w.pid("b")}
    crossings = [c for c in w.changes if c.subject == "account"]
    # the first member's demo (40) plus the account's fit already qualify it, once
    assert [(c.old, c.new) for c in crossings] == [(None, "sales-qualified")]
    assert crossings[0].profile_id == w.pid("a")  # the only member when it crossed


def test_unknown_subjects_are_not_found() -> None:
    w = World()
    with pytest.raises(SubjectNotFound):
        w.scoring.person("nobody")
    with pytest.raises(SubjectNotFound):
        w.scoring.account("nowhere")


def test_events_that_are_no_stage_evidence_earn_nothing() -> None:
    w = World()
    w.send("fy", "Something Else", 0, **G)
    w.identify("fy", 0, title="Head")
    assert w.scoring.person(w.pid("fy")).scores == ()


def test_a_label_lost_to_decay_changes_at_the_next_event_and_can_be_reached_again() -> None:
    w = World()
    w.send("gus", "Demo Requested", 0, **G)
    w.send("gus", "Demo Requested", 0, **G)  # 80: sales-qualified
    w.send("gus", "Ad Clicked", 60, **G)  # 60 days on, the demos are worth 80 / 64
    w.send("gus", "Demo Requested", 61, **G)
    w.send("gus", "Demo Requested", 61, **G)
    mql, sql = "marketing-qualified", "sales-qualified"
    assert [(c.old, c.new) for c in w.changes] == [
        (None, mql),
        (mql, sql),
        (sql, None),
        (None, mql),
        (mql, sql),
    ]
    first, again = (c for c in w.changes if c.new == sql)
    assert first.occurrence != again.occurrence  # a new crossing, a new idempotency key
