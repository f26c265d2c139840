"""Segment messages to Events: required fields, ids, clock skew, channel, campaign, limits."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from waymark.core.errors import PayloadTooLarge, ValidationError
from waymark.ingest.api import IngestLimits, decode_content, parse, split

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIMITS = IngestLimits()


def one(message: dict[str, object], endpoint: str | None = "track") -> object:
    body = msgspec.json.encode(message)
    envelope = split(body, endpoint=endpoint, limits=LIMITS)  # type: ignore[arg-type]
    parsed = parse(envelope, endpoint=endpoint, source="web", received_at=NOW, limits=LIMITS)  # type: ignore[arg-type]
    if parsed.rejected:
        return parsed.rejected[0]
    return parsed.events[0]


def test_track_message_is_normalised() -> None:
    e = one(
        {"userId": 42, "event": " Product Viewed ", "messageId": "m1", "properties": {"sku": "g1"}}
    )
    assert e.user_id == "42" and e.event == "Product Viewed" and e.message_id == "m1"  # type: ignore[attr-defined]
    assert e.properties == {"sku": "g1"} and e.source == "web"  # type: ignore[attr-defined]
    assert e.timestamp == NOW and e.received_at == NOW  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("message", "endpoint", "field"),
    [
        ({"event": "X"}, "track", "userId or anonymousId"),
        ({"userId": "u"}, "track", "non-empty event"),
        ({"userId": "u", "event": "   "}, "track", "non-empty event"),
        ({"userId": "u"}, "group", "groupId"),
        ({"userId": "u"}, "alias", "previousId"),
        ({"userId": "u", "type": "purchase"}, None, "type must be one of"),
        ({"userId": "u", "event": "X", "properties": [1]}, "track", "`$.properties`"),
        ({"userId": "u", "event": "X", "timestamp": "yesterday"}, "track", "timestamp"),
        ({"userId": "u", "event": "X", "messageId": "x" * 101}, "track", "messageId"),
    ],
)
def test_invalid_messages_name_the_problem(
    message: dict[str, object], endpoint: str | None, field: str
) -> None:
    body = {"batch": [message]} if endpoint is None else message
    raw = msgspec.json.encode(body)
    envelope = split(raw, endpoint=endpoint, limits=LIMITS)  # type: ignore[arg-type]
    parsed = parse(envelope, endpoint=endpoint, source="web", received_at=NOW, limits=LIMITS)  # type: ignore[arg-type]
    assert not parsed.events
    assert field in parsed.rejected[0].message


def test_clock_skew_is_corrected_and_original_kept() -> None:
    client_now = NOW + timedelta(hours=3)  # the client's clock is 3 hours fast
    happened = client_now - timedelta(seconds=30)
    e = one(
        {
            "userId": "u",
            "event": "X",
            "timestamp": happened.isoformat(),
            "sentAt": client_now.isoformat(),
        }
    )
    assert e.timestamp == NOW - timedelta(seconds=30)  # type: ignore[attr-defined]
    assert e.original_timestamp == happened and e.sent_at == client_now  # type: ignore[attr-defined]


def test_naive_timestamps_are_utc_and_no_sent_at_keeps_timestamp() -> None:
    e = one({"userId": "u", "event": "X", "timestamp": "2026-01-02T03:04:05"})
    assert e.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # type: ignore[attr-defined]


def test_missing_message_id_is_stable_for_identical_bytes() -> None:
    a = one({"userId": "u", "event": "X"})
    b = one({"userId": "u", "event": "X"})
    c = one({"userId": "u", "event": "Y"})
    assert a.message_id == b.message_id != c.message_id  # type: ignore[attr-defined]
    assert a.message_id.startswith("h-")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("message", "channel"),
    [
        ({"context": {"channel": "call_center"}}, "call_centre"),
        ({"context": {"channel": "shop"}}, "shop"),
        ({"context": {"campaign": {"source": "facebook", "medium": "paid_social"}}}, "ads"),
        ({"context": {"campaign": {"source": "facebook", "medium": "social"}}}, "social"),
        (
            {"context": {"page": {"url": "https://x.test/?utm_source=news&utm_medium=email"}}},
            "email",
        ),
        ({"context": {"library": {"name": "analytics-ios"}}}, "mobile"),
        ({"context": {"library": {"name": "analytics.js"}}}, "web"),
        ({"context": {"library": {"name": "analytics-python"}}}, "server"),
        ({"context": {"os": {"name": "Android"}}}, "mobile"),
        ({}, "server"),
    ],
)
def test_channel_is_derived(message: dict[str, object], channel: str) -> None:
    e = one({"userId": "u", "event": "X", **message})
    assert e.channel == channel  # type: ignore[attr-defined]


def test_campaign_fields_are_kept() -> None:
    e = one(
        {
            "userId": "u",
            "event": "X",
            "context": {
                "page": {"url": "https://x.test/p?utm_source=fb&utm_campaign=xmas&utm_medium=cpc"}
            },
        }
    )
    assert e.campaign == {"source": "fb", "name": "xmas", "medium": "cpc"}  # type: ignore[attr-defined]


def test_page_and_screen_default_channels() -> None:
    assert one({"anonymousId": "a", "name": "Home"}, "page").channel == "web"  # type: ignore[attr-defined]
    assert one({"anonymousId": "a", "name": "Home"}, "screen").channel == "mobile"  # type: ignore[attr-defined]


def test_batch_keeps_valid_messages_and_reports_invalid_by_index() -> None:
    body = msgspec.json.encode(
        {
            "batch": [
                {"type": "track", "userId": "u", "event": "A"},
                {"type": "track", "event": "B"},
                {"type": "identify", "userId": "u", "traits": {"email": "x@y.z"}},
                "not an object",
            ]
        }
    )
    parsed = parse(
        split(body, endpoint=None, limits=LIMITS),
        endpoint=None,
        source="s",
        received_at=NOW,
        limits=LIMITS,
    )
    assert [e.type for e in parsed.events] == ["track", "identify"]
    assert [r.index for r in parsed.rejected] == [1, 3]


def test_message_over_32kb_is_rejected_alone() -> None:
    big = {"type": "track", "userId": "u", "event": "A", "properties": {"blob": "x" * 33_000}}
    body = msgspec.json.encode({"batch": [big, {"type": "track", "userId": "u", "event": "B"}]})
    parsed = parse(
        split(body, endpoint=None, limits=LIMITS),
        endpoint=None,
        source="s",
        received_at=NOW,
        limits=LIMITS,
    )
    assert [e.event for e in parsed.events] == ["B"]
    assert parsed.rejected[0].code == "ingest.message_too_large"


def test_gzip_bodies_and_limits() -> None:
    payload = b'{"batch": []}'
    assert decode_content(gzip.compress(payload), "gzip", 1000) == payload
    assert decode_content(payload, None, 1000) == payload
    with pytest.raises(PayloadTooLarge):
        decode_content(gzip.compress(b" " * 5000), "gzip", 1000)
    with pytest.raises(PayloadTooLarge):
        decode_content(b" " * 5000, None, 1000)
    with pytest.raises(ValidationError):
        decode_content(b"\x1f\x8bnot gzip", "gzip", 1000)
    with pytest.raises(ValidationError):
        decode_content(payload, "br", 1000)


def test_batch_over_2500_messages_is_refused() -> None:
    body = msgspec.json.encode({"batch": [{}] * 2501})
    with pytest.raises(ValidationError, match="2500"):
        split(body, endpoint=None, limits=LIMITS)
