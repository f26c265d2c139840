"""Account stage rules (property tests): what each rule may and may not answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from waymark.accounts._rules import MemberTimeline, account_history, account_stage
from waymark.accounts.config import StageRule

STAGES = ("engagement", "education", "research", "evaluation", "justification", "purchase")
ORDER = {s: i for i, s in enumerate(STAGES)}
ROLES = (None, "buyer", "finance", "it")
FURTHEST, MAJORITY, BUYER = (
    StageRule(),
    StageRule(kind="majority"),
    StageRule(kind="role", role="buyer"),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)

members = st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(STAGES)), max_size=8)
rules = st.sampled_from((FURTHEST, MAJORITY, BUYER))


@given(members)
def test_furthest_is_never_behind_any_member(ms: list[tuple[str | None, str]]) -> None:
    got = account_stage(FURTHEST, ORDER, ms)
    if not ms:
        assert got is None
        return
    assert got is not None
    assert all(ORDER[got] >= ORDER[s] for _, s in ms)
    assert got in {s for _, s in ms}


@given(members)
def test_majority_is_a_stage_some_member_holds_and_no_stage_has_more(
    ms: list[tuple[str | None, str]],
) -> None:
    got = account_stage(MAJORITY, ORDER, ms)
    if not ms:
        return
    stages = [s for _, s in ms]
    assert got in stages
    assert all(stages.count(got) >= stages.count(s) for s in stages)
    # a tie goes to the further stage
    assert all(ORDER[got] >= ORDER[s] for s in stages if stages.count(s) == stages.count(got))


@given(members, rules, st.randoms())
def test_the_result_does_not_depend_on_member_order(
    ms: list[tuple[str | None, str]], rule: StageRule, rnd: object
) -> None:
    shuffled = list(ms)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert account_stage(rule, ORDER, shuffled) == account_stage(rule, ORDER, ms)


@given(members)
def test_the_role_rule_takes_the_role_holder_or_falls_back_to_furthest(
    ms: list[tuple[str | None, str]],
) -> None:
    got = account_stage(BUYER, ORDER, ms)
    buyers = [s for r, s in ms if r == "buyer"]
    if buyers:
        assert got == max(buyers, key=ORDER.__getitem__)
    else:
        assert got == account_stage(FURTHEST, ORDER, ms)


@given(members.filter(bool), st.data())
def test_removing_a_member_never_moves_furthest_forward(
    ms: list[tuple[str | None, str]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(ms) - 1))
    before = account_stage(FURTHEST, ORDER, ms)
    after = account_stage(FURTHEST, ORDER, ms[:i] + ms[i + 1 :])
    assert before is not None
    assert after is None or ORDER[after] <= ORDER[before]


def _timeline(
    role: str | None,
    joined: int,
    steps: list[tuple[int, str]],
    roles: dict[int, str | None],
) -> MemberTimeline:
    return MemberTimeline(
        role,
        T0 + timedelta(days=joined),
        sorted((T0 + timedelta(days=d), s) for d, s in steps),
        sorted((T0 + timedelta(days=d), r) for d, r in roles.items()),
    )


timelines = st.lists(
    st.builds(
        _timeline,
        st.sampled_from(ROLES),
        st.integers(0, 10),
        st.lists(st.tuples(st.integers(0, 20), st.sampled_from(STAGES)), min_size=1, max_size=5),
        # role changes, also before the member joined and at the moment of a stage change
        st.dictionaries(st.integers(0, 20), st.sampled_from(ROLES), max_size=3),
    ),
    max_size=5,
)


@given(timelines, rules, st.randoms())
def test_history_ends_at_the_rule_over_todays_stages_whatever_the_member_order(
    ts: list[MemberTimeline], rule: StageRule, rnd: object
) -> None:
    history = account_history(rule, ORDER, ts)
    shuffled = list(ts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert account_history(rule, ORDER, shuffled) == history
    today = [(m.role_changes[-1][1] if m.role_changes else m.role, m.changes[-1][1]) for m in ts]
    assert (history[-1].to_stage if history else None) == account_stage(rule, ORDER, today)
    # a history is a chain of changes in time order, each from the stage before it
    assert all(a.to_stage == b.from_stage and a.at < b.at for a, b in pairwise(history))
    assert all(t.from_stage != t.to_stage for t in history)


@given(timelines)
def test_the_furthest_history_never_enters_before_the_first_member_joined(
    ts: list[MemberTimeline],
) -> None:
    history = account_history(FURTHEST, ORDER, ts)
    if history:
        assert history[0].from_stage is None
        assert history[0].at >= min(m.joined_at for m in ts)


def _held_then(m: MemberTimeline, moment: datetime) -> str | None:
    """The role ``m`` held at ``moment``, by a plain scan (not ``MemberTimeline.role_at``)."""
    role = m.role
    for at, r in m.role_changes:
        if at <= moment:
            role = r
    return role


@given(timelines, st.sampled_from((BUYER, StageRule(kind="role", role="it"))))
def test_the_role_history_at_every_moment_is_the_rule_over_the_roles_held_then(
    ts: list[MemberTimeline], rule: StageRule
) -> None:
    history = account_history(rule, ORDER, ts)
    # every half day over the whole range: the moments of changes and the times between them
    for half_days in range(-1, 2 * 22):
        moment = T0 + timedelta(hours=12 * half_days)
        present = [
            (_held_then(m, moment), [s for at, s in m.changes if at <= moment][-1])
            for m in ts
            if m.joined_at <= moment and m.changes[0][0] <= moment
        ]
        told = [t.to_stage for t in history if t.at <= moment]
        assert (told[-1] if told else None) == account_stage(rule, ORDER, present), moment
