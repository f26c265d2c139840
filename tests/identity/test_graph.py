"""The streaming rules on the situations the seed story and the field's bug trackers are
about: one person across devices and channels, and never two people in one profile."""

from __future__ import annotations

from tests.identity._gen import CONFIG, event
from waymark.identity._convert import to_profile
from waymark.identity._engine import Engine
from waymark.identity._graph import profile_id_for
from waymark.identity.api import IdentityService
from waymark.identity.config import IdentityConfig


def _engine(config: IdentityConfig = CONFIG) -> Engine:
    return Engine(config)


def test_anonymous_visitor_keeps_their_id_after_identifying() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, anonymous_id="a1"),
            event(2, anonymous_id="a1"),
            event(3, type="identify", user_id="u1", anonymous_id="a1"),
        ]
    )
    founded = profile_id_for(("anonymous_id", "a1"))
    assert r.profile_ids == (founded, founded, founded)
    assert r.merges == ()
    assert sorted(e.graph.profiles[founded].keys) == [("anonymous_id", "a1"), ("user_id", "u1")]


def test_second_device_merges_into_the_older_profile() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, type="identify", user_id="u1", anonymous_id="laptop"),
            event(2, anonymous_id="phone"),
            event(3, type="identify", user_id="u1", anonymous_id="phone"),
            event(4, anonymous_id="phone"),
        ]
    )
    laptop = profile_id_for(("user_id", "u1"))
    phone = profile_id_for(("anonymous_id", "phone"))
    assert r.profile_ids == (laptop, phone, laptop, laptop)
    assert r.final_profile_ids == (laptop, laptop, laptop, laptop)
    (merge,) = r.merges
    assert (merge.kind, merge.profile_id, merge.other_id) == ("merge", laptop, phone)
    assert (merge.identifier_type, merge.identifier_value) == ("anonymous_id", "phone")
    assert (merge.seq, merge.message_id, merge.reason) == (3, "m3", "shared_identifier")
    assert e.graph.canonical(phone) == laptop
    assert e.state_of(phone) is e.state_of(laptop)
    assert e.graph.profiles[laptop].event_count == 4
    assert e.merges_of(phone) == [merge]


def test_shared_device_never_merges_two_users() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, type="identify", user_id="mum", anonymous_id="family-ipad"),
            event(2, type="identify", user_id="son", anonymous_id="family-ipad"),
            event(3, anonymous_id="family-ipad"),
        ]
    )
    mum, son = profile_id_for(("user_id", "mum")), profile_id_for(("user_id", "son"))
    # the user_id outranks the device: the device link is the one dropped
    assert r.profile_ids == (mum, son, mum)
    assert r.merges == ()
    (refusal,) = r.refused
    assert (refusal.kind, refusal.profile_id, refusal.other_id) == ("refused", son, mum)
    assert (refusal.identifier_type, refusal.identifier_value) == ("anonymous_id", "family-ipad")
    assert refusal.reason == "limit:user_id"
    assert ("anonymous_id", "family-ipad") not in e.graph.profiles[son].keys
    assert e.merges_of(son) == [refusal] == e.merges_of(mum)


def test_family_email_links_no_second_user() -> None:
    e = _engine()
    shared = {"traits": {"email": "Family@Example.com "}}
    r = e.observe(
        [
            event(1, type="identify", user_id="ann", context=shared),
            event(2, type="identify", user_id="bob", context=shared),
            event(3, anonymous_id="newsletter-click", context=shared),
        ]
    )
    ann, bob = profile_id_for(("user_id", "ann")), profile_id_for(("user_id", "bob"))
    assert r.profile_ids == (ann, bob, ann)
    assert [x.reason for x in r.refused] == ["limit:user_id"]
    assert e.graph.owner[("email", "family@example.com")].pid == ann


def test_placeholder_values_are_not_identifiers() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, user_id="u1", anonymous_id="null"),
            event(2, user_id="u2", anonymous_id="null"),
            event(3, user_id="u3", anonymous_id="00000"),
            event(4, anonymous_id="undefined", context={"traits": {"email": "n/a"}}),
            event(5, user_id=" anonymous ", anonymous_id="-1"),
        ]
    )
    assert len(set(r.profile_ids[:3])) == 3
    assert r.profile_ids[3:] == (None, None)
    assert r.merges == () and r.refused == ()
    assert len(e.graph.owner) == 3


def test_emails_and_phones_match_in_any_spelling() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, anonymous_id="web", context={"traits": {"email": "Ray@Osmo.com"}}),
            event(2, anonymous_id="shop", traits={"email": "  ray@osmo.com"}, type="identify"),
            event(3, anonymous_id="app", traits={"phone": "+44 7700 900123"}, type="identify"),
            event(4, anonymous_id="web", traits={"phone": "07700-900-123"}, type="identify"),
        ]
    )
    assert len(set(r.final_profile_ids)) == 1
    keys = set(e.graph.profiles[r.final_profile_ids[0] or ""].keys)
    assert {("email", "ray@osmo.com"), ("phone", "+447700900123")} <= keys


def test_limit_refuses_one_email_too_many() -> None:
    e = _engine(IdentityConfig.from_mapping({"limits": {"email": 2}}))
    r = e.observe(
        [event(i, user_id="u1", context={"traits": {"email": f"e{i}@x.com"}}) for i in range(1, 4)]
    )
    pid = profile_id_for(("user_id", "u1"))
    assert r.profile_ids == (pid, pid, pid)
    (refusal,) = r.refused
    assert (refusal.other_id, refusal.identifier_value, refusal.reason) == (
        None,
        "e3@x.com",
        "limit:email",
    )
    assert e.graph.owner.get(("email", "e3@x.com")) is None


def test_alias_links_previous_id() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, anonymous_id="cookie-1"),
            event(2, type="identify", user_id="u9", anonymous_id="cookie-2"),
            event(3, type="alias", user_id="u9", previous_id="cookie-1"),
        ]
    )
    assert (
        r.final_profile_ids[0]
        == r.final_profile_ids[1]
        == profile_id_for(("anonymous_id", "cookie-1"))
    )


def test_custom_identifier_from_a_call_centre_recognises_the_customer() -> None:
    """Seed step 10: the call centre knows the caller from the CRM id the website stored."""
    e = _engine()
    r = e.observe(
        [
            event(1, type="identify", anonymous_id="web-1", traits={"crm_id": "C-77"}),
            event(
                2, anonymous_id="call-5521", properties={"crm_id": "C-77"}, channel="call_centre"
            ),
            event(
                3, anonymous_id="call-5522", properties={"crm_id": "C-78"}, channel="call_centre"
            ),
        ]
    )
    assert r.profile_ids[0] == r.profile_ids[1] != r.profile_ids[2]
    state = e.graph.profiles[r.profile_ids[0] or ""]
    assert state.channels == {"web", "call_centre"}


def test_group_traits_are_not_the_persons_identifiers() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, type="group", user_id="u1", traits={"email": "office@acme.com"}),
            event(2, type="identify", user_id="u2", traits={"email": "office@acme.com"}),
        ]
    )
    assert r.refused == ()
    assert e.graph.owner[("email", "office@acme.com")].pid == r.profile_ids[1]


def test_profile_ids_are_the_same_in_any_fresh_engine() -> None:
    events = [event(1, anonymous_id="x"), event(2, user_id="y", anonymous_id="x")]
    assert _engine().observe(events) == _engine().observe(events)


def test_traits_latest_by_event_time_with_history() -> None:
    e = _engine()
    r = e.observe(
        [
            event(1, type="identify", user_id="u1", traits={"plan": "basic"}, minutes=10),
            event(2, type="identify", user_id="u1", traits={"plan": "genius"}, minutes=30),
            # arrives late but happened in between: history, not the current value
            event(3, type="identify", user_id="u1", traits={"plan": "trial"}, minutes=20),
            event(4, user_id="u1", context={"traits": {"consent": {"email": True, "sms": False}}}),
            event(5, type="identify", user_id="u1", traits={"consent_sms": True}, minutes=40),
        ]
    )
    profile = to_profile(e.graph.profiles[r.profile_ids[0] or ""], e.seen, e.extractor.priority)
    plan = profile.traits["plan"]
    assert plan.value == "genius"
    assert [h.value for h in plan.history] == ["trial", "basic"]
    assert profile.consent == {"email": True, "sms": True}
    assert profile.event_count == 5
    assert profile.first_seen is not None and profile.first_seen.minute == 4
    assert profile.last_seen is not None and profile.last_seen.minute == 40


def test_events_before_the_checkpoint_are_not_applied_twice() -> None:
    svc = IdentityService(CONFIG)
    events = [event(1, user_id="u1"), event(2, user_id="u1")]
    first = svc.observe(events)
    again = svc.observe(events)
    assert again.profile_ids == first.profile_ids
    assert svc.profile(first.profile_ids[0] or "").event_count == 2
