"""The port implementations the runtime can wire: profiles from the event log, the contact
policy from a decide catalog, decisions through decide's facade; and the signed tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.core.events import Event
from waymark.decide.api import Decider, Policy, shipped_catalog
from waymark.decide.config import Caps, ConsentPolicy, ContactPolicy, QuietHours
from waymark.decide.contracts import DecisionContext, JourneyPosition
from waymark.orchestrate._tokens import Tokens
from waymark.orchestrate.api import DeciderDecisions, LogProfiles, PolicyGate
from waymark.orchestrate.contracts import ProfileView
from waymark.orchestrate.errors import BadToken
from waymark.orchestrate.ports import Contact
from waymark.store.duckdb.store import DuckDBStore

T = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def ev(kind: str, at: datetime, n: int, **fields: object) -> Event:
    return Event(message_id=f"m{n}", type=kind, timestamp=at, received_at=at, **fields)  # type: ignore[arg-type]


def test_log_profiles_merge_identify_traits_newest_last(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "d")
    try:
        store.events.append(
            [
                ev("identify", T, 1, user_id="ray", traits={"email": "old@x.org", "plan": "a"}),
                ev("track", T + timedelta(minutes=1), 2, user_id="ray", event="Order Completed"),
                ev(
                    "identify",
                    T + timedelta(minutes=2),
                    3,
                    user_id="ray",
                    traits={"email": "ray@x.org", "consent": {"email": True}},
                ),
                ev("page", T, 4, anonymous_id="anon-1", name="Home"),
            ]
        )
        profiles = LogProfiles(store.events)
        ray = profiles.get("ray", T + timedelta(minutes=2))
        assert ray is not None
        assert (ray.user_id, ray.email, ray.consent) == ("ray", "ray@x.org", {"email": True})
        assert ray.traits["plan"] == "a"
        assert [r.label for r in ray.recent] == ["Order Completed"]
        before = profiles.get("ray", T + timedelta(seconds=30))
        assert before is not None
        assert before.email == "old@x.org"  # a step runs with what was known at its time
        anon = profiles.get("anon-1", T)
        assert anon is not None
        assert (anon.user_id, anon.anonymous_id) == (None, "anon-1")
        assert profiles.get("nobody", T) is None
        store.events.append(
            [
                ev(
                    "identify",
                    T + timedelta(minutes=3),
                    5,
                    user_id="ray",
                    traits={"consent_email": False},
                )
            ]
        )  # an unsubscribe
        later = profiles.get("ray", T + timedelta(minutes=3))
        assert later is not None
        assert later.consent == {"email": False}
        assert sorted(profiles.ids()) == ["anon-1", "ray"]
    finally:
        store.close()


def policy(**contact: object) -> Policy:
    return Policy(
        consent=ConsentPolicy(required=("email",)),
        contact=ContactPolicy(**contact),  # type: ignore[arg-type]
    )


def view(**fields: object) -> ProfileView:
    return ProfileView(profile_id="ray", **fields)  # type: ignore[arg-type]


def test_policy_gate_consent() -> None:
    gate = PolicyGate(policy(), contacts=lambda pid, since: [])
    assert gate.check(view(), "email", T, experience_id=None).code == "consent.channel"
    assert (
        gate.check(view(consent={"email": True}), "email", T, experience_id=None).action == "allow"
    )
    assert gate.check(view(), "web", T, experience_id=None).action == "allow"
    blocked = gate.check(view(consent={"web": False}), "web", T, experience_id=None)
    assert (blocked.action, blocked.reason) == ("block", "web consent withdrawn")


@pytest.mark.parametrize(
    ("local", "zone", "until"),
    [
        ("22:30", "Europe/London", "2026-03-03T08:00:00+00:00"),
        ("06:00", "Europe/London", "2026-03-02T08:00:00+00:00"),
        ("12:00", "Europe/London", None),
        ("23:00", "America/New_York", "2026-03-03T08:00:00-05:00"),
    ],
)
def test_policy_gate_quiet_hours_defer_to_the_end(local: str, zone: str, until: str | None) -> None:
    from zoneinfo import ZoneInfo

    hh, mm = map(int, local.split(":"))
    now = datetime(2026, 3, 2, hh, mm, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    gate = PolicyGate(
        policy(quiet_hours=QuietHours(start="21:00", end="08:00", channels=("email",))),
        contacts=lambda pid, since: [],
    )
    verdict = gate.check(
        view(consent={"email": True}, timezone=zone), "email", now, experience_id=None
    )
    if until is None:
        assert verdict.action == "allow"
    else:
        assert verdict.action == "defer"
        assert verdict.until == datetime.fromisoformat(until)


def test_policy_gate_caps_count_what_was_sent() -> None:
    sent = [Contact(channel="email", at=T - timedelta(hours=h)) for h in (1, 30, 50)]
    gate = PolicyGate(
        policy(total=Caps(week=5), channels={"email": Caps(day=1, week=3)}),
        contacts=lambda pid, since: [c for c in sent if c.at >= since],
    )
    ok = view(consent={"email": True})
    verdict = gate.check(ok, "email", T, experience_id=None)
    assert (verdict.code, verdict.reason) == ("cap.channel", "1 per day reached")
    assert (
        gate.check(ok, "email", T + timedelta(hours=0, minutes=61), experience_id=None).code
        == "cap.channel"
    )
    sent.pop(0)
    assert gate.check(ok, "email", T, experience_id=None).action == "allow"
    # pages the customer opens on the web are not contacts: they never count towards the cap
    sent.extend(Contact(channel="web", at=T - timedelta(hours=2 + i)) for i in range(3))
    assert gate.check(ok, "email", T, experience_id=None).action == "allow"
    sent.extend(Contact(channel="sms", at=T - timedelta(hours=2 + i)) for i in range(3))
    assert gate.check(ok, "email", T, experience_id=None).code == "cap.total"


def test_policy_gate_asks_for_sent_messages_only_when_caps_decide() -> None:
    asked: list[str] = []
    gate = PolicyGate(policy(), contacts=lambda pid, since: asked.append(pid) or [])
    assert gate.check(view(consent={}), "email", T, experience_id=None).code == "consent.channel"
    assert asked == []  # a send stopped by consent needs no store query
    assert gate.check(view(consent={"email": True}), "email", T, experience_id=None).code == ""
    assert asked == ["ray"]


def test_policy_gate_reads_a_changed_catalog_policy_at_the_next_send() -> None:
    current = [policy()]
    sent = [Contact(channel="email", at=T - timedelta(hours=1))]
    gate = PolicyGate(lambda: current[0], contacts=lambda pid, since: sent)
    ok = view(consent={"email": True})
    assert gate.check(ok, "email", T, experience_id=None).action == "allow"
    current[0] = policy(channels={"email": Caps(day=1)})
    assert gate.check(ok, "email", T, experience_id=None).code == "cap.channel"


class Contexts:
    def context(self, profile_id: str, now: datetime) -> DecisionContext | None:
        if profile_id != "ray":
            return None
        return DecisionContext(
            profile_id="ray",
            now=now,
            traits={"first_name": "Ray"},
            consent={"email": True},
            positions=(
                JourneyPosition(
                    model="hourglass", product="genius-kit", stage="adoption", purchased=True
                ),
            ),
        )


def test_decider_decisions_send_the_first_chosen_experience() -> None:
    decider = Decider.open(shipped_catalog())
    decisions = DeciderDecisions(decider, Contexts())
    got = decisions.decide(view(), "call_centre", None, datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert got is not None
    assert got.experience_id in decider.catalog.index
    assert got.content
    assert decider.decision(got.decision_id).profile_id == "ray"
    assert got.content["say"]  # the agent's script
    assert decisions.decide(ProfileView(profile_id="ann"), "call_centre", None, T) is None


@given(st.lists(st.text(max_size=30), min_size=1, max_size=3), st.text(min_size=1, max_size=5))
def test_tokens_verify_only_what_was_signed(parts: list[str], kind: str) -> None:
    tokens = Tokens(b"k" * 32)
    token = tokens.sign(kind, *parts)
    assert tokens.verify(kind, token, parts=len(parts)) == parts
    with pytest.raises(BadToken):
        tokens.verify(kind + "x", token, parts=len(parts))
    with pytest.raises(BadToken):
        Tokens(b"j" * 32).verify(kind, token, parts=len(parts))
    body, _, tag = token.partition(".")
    with pytest.raises(BadToken):
        tokens.verify(kind, f"{body}A.{tag}", parts=len(parts))


def test_inbox_tokens_are_per_profile() -> None:
    tokens = Tokens(b"k" * 32)
    tokens.check_inbox("ray", tokens.inbox("ray"))
    with pytest.raises(BadToken):
        tokens.check_inbox("ann", tokens.inbox("ray"))
