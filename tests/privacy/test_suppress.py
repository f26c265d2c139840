"""The suppression wrapper: suppressed people never reach the log; consent lifts the block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.core.events import Event
from waymark.privacy._consent import check_consent, stated_consent
from waymark.privacy._suppress import SuppressingLog, Suppression, identifier_hash
from waymark.privacy.errors import BadConsent
from waymark.store.memory.events import MemoryEventLog

T0 = datetime(2026, 3, 1, tzinfo=UTC)
USERS = ["u1", "u2", "u3", "u4"]


def _ids(event: Event) -> list[tuple[str, str]]:
    return [("user_id", event.user_id)] if event.user_id else []


def _ev(n: int, user: str, *, consent: bool | None = None) -> Event:
    extra: dict[str, Any] = {}
    if consent is not None:
        extra = {"event": "Consent Updated", "properties": {"consent": {"email": consent}}}
    return Event(
        message_id=f"m{n}", type="track", timestamp=T0, received_at=T0, user_id=user, **extra
    )


@settings(max_examples=60, deadline=None)
@given(
    blocked=st.sets(st.sampled_from(USERS)),
    batch=st.lists(st.tuples(st.sampled_from(USERS), st.booleans()), max_size=30),
)
def test_suppressed_never_stored_and_counts_add_up(
    blocked: set[str], batch: list[tuple[str, bool]]
) -> None:
    inner = MemoryEventLog()
    lifted: list[str] = []
    log = SuppressingLog(
        inner,
        Suppression(identifier_hash("user_id", u) for u in blocked),
        _ids,
        on_lift=lifted.extend,
    )
    events = [_ev(n, u, consent=True if grant else None) for n, (u, grant) in enumerate(batch)]
    result = log.append(events)
    assert result.stored + result.duplicates == len(events)
    stored = inner.events_after(0)
    assert len(stored) == result.stored
    # a blocked user's events are stored only from their first consent grant on
    for user in blocked:
        mine = [(n, grant) for n, (u, grant) in enumerate(batch) if u == user]
        first_grant = next((n for n, grant in mine if grant), None)
        expected = [f"m{n}" for n, _ in mine if first_grant is not None and n >= first_grant]
        assert [e.message_id for e in stored if e.user_id == user] == expected
        assert (identifier_hash("user_id", user) in lifted) == (first_grant is not None)
    kept = [e.message_id for e in stored if e.user_id not in blocked]
    assert kept == [f"m{n}" for n, (u, _) in enumerate(batch) if u not in blocked]


def test_consent_statements_and_checks() -> None:
    assert stated_consent(_ev(1, "u", consent=False)) == {"email": False}
    both = Event(
        message_id="x",
        type="identify",
        timestamp=T0,
        received_at=T0,
        traits={"consent": {"sms": True}, "consent_ads": False, "consent_x": "no"},
    )
    assert stated_consent(both) == {"ads": False, "sms": True}
    assert check_consent({"analytics": True}) == {"analytics": True}
    for bad, field in (({"fax": True}, "consent.fax"), ({"sms": "yes"}, "consent.sms")):
        with pytest.raises(BadConsent) as caught:
            check_consent(bad)
        assert caught.value.field == field
