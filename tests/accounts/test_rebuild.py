"""Streaming equals rebuild: whatever group calls, identity merges, titles, roles stated over
time and stage evidence arrive (in any time order), rebuilding from the log gives the accounts
streaming gave, under rules that follow a role as well as the shipped ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from waymark.accounts.api import AccountsService
from waymark.accounts.contracts import AccountView
from waymark.core.events import Event
from waymark.core.settings import Settings
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import FeatureStores, build_services
from waymark.store.memory.accounts import MemoryAccountStore
from waymark.store.memory.events import MemoryEventLog

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PEOPLE = ("ann", "bob", "cy", "anon-1", "anon-2")
STEPS = ("Ad Clicked", "Guide Downloaded", "Product Viewed", "Quote Requested", "Order Completed")
KIT = {"product_id": "kit"}
ROLES = ("CFO", "Teacher", "Head of IT", "buyer", "Procurement lead", "  ")
# the shipped roles, with the account following a role on both models
ROLE_RULES = """
roles:
  sources: [group.traits.role, person.traits.role, person.traits.title]
  default: user
  patterns:
    finance: ['\\bcfo\\b']
    decision_maker: ['\\b(head|principal)\\b']
    buyer: ['procure', 'buyer']
    user: ['teacher']
models:
  hourglass: {rule: 'role:buyer'}
  value-journey: {rule: 'role:finance'}
"""


@pytest.fixture(scope="module", params=["shipped", "roles"])
def data_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with only ``accounts.yaml``: the shipped rules or role rules."""
    path = tmp_path_factory.mktemp("data")
    if request.param == "roles":
        (path / "accounts.yaml").write_text(ROLE_RULES)
    return path


@st.composite
def an_event(draw: st.DrawFn) -> dict[str, Any]:
    who = draw(st.sampled_from(PEOPLE))
    ids: dict[str, Any] = {"anonymous_id": who} if who.startswith("anon") else {"user_id": who}
    kinds = ("group", "group", "role", "role", "identify", "track", "track", "track", "link")
    kind = draw(st.sampled_from(kinds))
    day = draw(st.integers(0, 30))
    if kind == "role":  # a member's group call stating a (new) role, at any time
        return {
            **ids,
            "day": day,
            "type": "group",
            "group_id": draw(st.sampled_from("xxy")),  # mostly one account: roles meet stages
            "traits": {"role": draw(st.sampled_from(ROLES))},
        }
    if kind == "group":
        traits = draw(
            st.dictionaries(
                st.sampled_from(("name", "kind", "size", "role")),
                st.sampled_from(("Acme", "school", 12, "CFO", "Teacher", "Head of IT", "buyer")),
                max_size=3,
            )
        )
        return {
            **ids,
            "day": day,
            "type": "group",
            "group_id": draw(st.sampled_from("xy")),
            "traits": traits,
        }
    if kind == "identify":
        title = draw(st.sampled_from(("CFO", "Principal", "Teacher", "Procurement lead")))
        return {**ids, "day": day, "type": "identify", "traits": {"title": title}}
    if kind == "link":  # an anonymous visitor signs in: identity merges the two profiles
        other = draw(st.sampled_from(("anon-1", "anon-2")))
        return {
            "user_id": draw(st.sampled_from(("ann", "bob"))),
            "anonymous_id": other,
            "day": day,
            "type": "identify",
        }
    return {
        **ids,
        "day": day,
        "type": "track",
        "event": draw(st.sampled_from(STEPS)),
        "properties": {"product_id": draw(st.sampled_from(("kit", "lab")))},
    }


def _events(specs: list[dict[str, Any]]) -> list[Event]:
    out = []
    for i, spec in enumerate(specs):
        fields = dict(spec)
        when = T0 + timedelta(days=fields.pop("day"), seconds=i)
        out.append(Event(message_id=f"m{i}", timestamp=when, received_at=when, **fields))
    return out


def _everything(accounts: AccountsService) -> dict[str, AccountView]:
    ids = sorted({a for _, a in accounts.memberships()})
    return {a: accounts.account(a) for a in ids}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(an_event(), min_size=4, max_size=30), st.integers(1, 5))
@example(  # Ann is the buyer, then a teacher: the account follows her until then, not after
    [
        {"user_id": "ann", "day": 0, "type": "group", "group_id": "x", "traits": {"role": "buyer"}},
        {"user_id": "bob", "day": 0, "type": "group", "group_id": "x", "traits": {}},
        {"user_id": "ann", "day": 1, "type": "track", "event": STEPS[0], "properties": KIT},
        {"user_id": "bob", "day": 2, "type": "track", "event": STEPS[3], "properties": KIT},
        {"user_id": "ann", "day": 20, "type": "group", "group_id": "x", "traits": {"role": "CFO"}},
    ],
    2,
)
def test_streaming_equals_rebuild(data_dir: Path, specs: list[dict[str, Any]], chunk: int) -> None:
    log = MemoryEventLog()
    services = build_services(
        Settings(data_dir=data_dir),
        event_log=log,
        stores=FeatureStores(accounts=MemoryAccountStore()),
    )
    events = _events(specs)
    for start in range(0, len(events), chunk):
        batch = events[start : start + chunk]
        result = log.append(batch)
        services.pipeline([_with_seq(e, result.first_seq + i) for i, e in enumerate(batch)])
    assert services.accounts is not None
    streamed = _everything(services.accounts)
    services.pipeline.flush()
    rebuild_derived(services)
    assert _everything(services.accounts) == streamed
    # how often the examples exercise derived stages and roles stated over time
    # (--hypothesis-show-statistics)
    event(f"accounts with journeys: {sum(bool(v.journeys) for v in streamed.values())}")
    stated = [s for s in specs if s["type"] == "group" and "role" in s["traits"]]
    event(f"group calls stating a role: {len(stated) if len(stated) < 3 else '3 or more'}")


def _with_seq(event: Event, seq: int) -> Event:
    return msgspec.structs.replace(event, seq=seq)
