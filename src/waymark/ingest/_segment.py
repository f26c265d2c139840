"""The Segment tracking API's message format, decoded with msgspec and normalised to ``Event``.

A batch is decoded in two passes: the envelope into a list of raw (undecoded) messages, then each
message on its own, so that one bad message is rejected by its index while the others are kept,
and each message's size is known exactly.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from waymark.core.events import EVENT_TYPES, Event, EventType
from waymark.core.signals import is_outside_signal
from waymark.ingest._channel import campaign_of, channel_of
from waymark.ingest._consent import with_consent_traits
from waymark.ingest._signals import check_signal
from waymark.ingest.config import IngestLimits
from waymark.ingest.contracts import Parsed, Rejection
from waymark.ingest.errors import InvalidBody, InvalidMessage, MessageTooLarge

_Id = str | int | float | None
_TYPES: Final[dict[str, EventType]] = {t: t for t in EVENT_TYPES}


class WireMessage(msgspec.Struct, rename="camel", kw_only=True):
    """One Segment message as it arrives. Unknown fields are ignored."""

    type: str | None = None
    message_id: _Id = None
    user_id: _Id = None
    anonymous_id: _Id = None
    timestamp: datetime | None = None
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    event: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    name: str | None = None
    category: str | None = None
    group_id: _Id = None
    previous_id: _Id = None
    write_key: str | None = None


class _KeyOnly(msgspec.Struct, rename="camel"):
    write_key: str | None = None


class _WireBatch(msgspec.Struct, rename="camel"):
    batch: list[msgspec.Raw]
    write_key: str | None = None
    sent_at: datetime | None = None
    context: dict[str, Any] | None = None


class Envelope(msgspec.Struct, frozen=True):
    """A request body split into its raw messages, before authentication."""

    write_key: str | None
    items: list[msgspec.Raw]
    sent_at: datetime | None = None
    context: dict[str, Any] | None = None


_decode_message = msgspec.json.Decoder(WireMessage).decode
_decode_key = msgspec.json.Decoder(_KeyOnly).decode
_decode_batch = msgspec.json.Decoder(_WireBatch).decode


# msgspec raises these besides DecodeError: RecursionError for JSON nested deeper than it
# recurses, UnicodeDecodeError for a string that is not UTF-8. Both are the client's fault.
_UNDECODABLE = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)


def _undecodable(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "JSON is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return f"a string is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    return str(exc)


def _describe(exc: msgspec.MsgspecError) -> str:
    text = str(exc)
    return text.replace("$.", "", 1) if text.startswith("$.") else text


def split_batch(body: bytes, limits: IngestLimits) -> Envelope:
    """Decode a ``/v1/batch`` body into its raw messages."""
    try:
        wire = _decode_batch(body)
    except msgspec.ValidationError as exc:
        raise InvalidBody(f"invalid batch: {_describe(exc)}", field="batch") from None
    except _UNDECODABLE as exc:
        raise InvalidBody(f"body is not valid JSON: {_undecodable(exc)}") from None
    if len(wire.batch) > limits.max_batch_messages:
        raise InvalidBody(
            f"batch has {len(wire.batch)} messages; at most {limits.max_batch_messages} allowed",
            field="batch",
        )
    return Envelope(wire.write_key, wire.batch, wire.sent_at, wire.context)


def split_single(body: bytes) -> Envelope:
    """A single-message body (``/v1/track`` and friends) as a one-item envelope."""
    try:
        key = _decode_key(body)
    except msgspec.ValidationError as exc:
        raise InvalidBody(f"invalid message: {_describe(exc)}") from None
    except _UNDECODABLE as exc:
        raise InvalidBody(f"body is not valid JSON: {_undecodable(exc)}") from None
    return Envelope(key.write_key, [msgspec.Raw(body)])


def _as_id(value: _Id, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # nearly every id: checked first
        text = value.strip()
    elif isinstance(value, bool):
        return None
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        # str(), not format(value, "g"): "g" turned userId 12345678 into "1.23457e+07"
        text = str(value).strip()
    if len(text) > 1024:
        raise InvalidMessage(f"{field} is longer than 1024 characters", field=field)
    return text or None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def stable_message_id(source: str, raw: bytes) -> str:
    """A message id for messages sent without one: the same bytes give the same id, so a
    retried request or a re-imported file is recognised as a duplicate."""
    digest = hashlib.blake2b(raw, digest_size=16, person=b"waymark-msgid")
    digest.update(source.encode())
    return "h-" + digest.hexdigest()


def normalise(
    raw: bytes,
    *,
    forced_type: EventType | None,
    source: str,
    received_at: datetime,
    limits: IngestLimits,
    batch_sent_at: datetime | None = None,
    batch_context: dict[str, Any] | None = None,
) -> Event:
    """One raw message to an ``Event``, or ``InvalidMessage``/``MessageTooLarge``."""
    if len(raw) > limits.max_message_bytes:
        raise MessageTooLarge(
            f"message is {len(raw)} bytes; at most {limits.max_message_bytes} allowed"
        )
    try:
        msg = _decode_message(raw)
    except msgspec.ValidationError as exc:
        raise InvalidMessage(f"invalid message: {_describe(exc)}") from None
    except _UNDECODABLE as exc:
        raise InvalidMessage(f"message is not valid JSON: {_undecodable(exc)}") from None

    type_ = forced_type or _TYPES.get((msg.type or "").strip().lower())
    if type_ is None:
        raise InvalidMessage(
            f"type must be one of {', '.join(EVENT_TYPES)}; got {msg.type!r}", field="type"
        )
    user_id = _as_id(msg.user_id, "userId")
    anonymous_id = _as_id(msg.anonymous_id, "anonymousId")
    event_name = msg.event.strip() if msg.event else None
    signal = is_outside_signal(type_, event_name)
    # an outside signal (a press mention, ...) is about no one in particular: ids are optional
    if user_id is None and anonymous_id is None and not signal:
        raise InvalidMessage("either userId or anonymousId is required", field="userId")
    if type_ == "track" and not event_name:
        raise InvalidMessage("a track call needs a non-empty event", field="event")
    if signal:
        check_signal(msg.properties or {})
    group_id = _as_id(msg.group_id, "groupId")
    if type_ == "group" and group_id is None:
        raise InvalidMessage("a group call needs a groupId", field="groupId")
    previous_id = _as_id(msg.previous_id, "previousId")
    if type_ == "alias" and (previous_id is None or user_id is None):
        raise InvalidMessage("an alias call needs previousId and userId", field="previousId")

    message_id = _as_id(msg.message_id, "messageId")
    if message_id is None:
        message_id = stable_message_id(source, bytes(raw))
    elif len(message_id) > limits.max_message_id_chars:
        raise InvalidMessage(
            f"messageId is longer than {limits.max_message_id_chars} characters",
            field="messageId",
        )

    context = msg.context if msg.context is not None else (batch_context or {})
    try:
        sent_at = _utc(msg.sent_at) or _utc(batch_sent_at)
        client_ts = _utc(msg.timestamp) or _utc(msg.original_timestamp)
        if client_ts is None:
            timestamp = received_at
        elif sent_at is not None:
            # Segment's skew correction: the client's clock may be off, but the gap between
            # when it recorded the event and when it sent it is right.
            timestamp = received_at - (sent_at - client_ts)
        else:
            timestamp = client_ts
    except OverflowError:  # e.g. sentAt in year 1 and timestamp in year 9999
        raise InvalidMessage(
            "timestamp, sentAt or originalTimestamp is out of range (years 1-9999, "
            "also after clock-skew correction)",
            field="timestamp",
        ) from None
    traits = msg.traits
    if not traits and type_ == "identify" and isinstance(context.get("traits"), dict):
        # The RudderStack server SDKs send identify traits only in context.traits.
        traits = context["traits"]
    if type_ == "track":
        context = with_consent_traits(event_name, msg.properties or {}, context)
    campaign = campaign_of(context)
    return Event(
        message_id=message_id,
        type=type_,
        timestamp=timestamp,
        received_at=received_at,
        source=source,
        event=event_name if type_ == "track" else None,
        name=msg.name,
        category=msg.category,
        user_id=user_id,
        anonymous_id=anonymous_id,
        group_id=group_id,
        previous_id=previous_id,
        original_timestamp=client_ts,
        sent_at=sent_at,
        channel=channel_of(type_, context, campaign),
        campaign=campaign,
        properties=msg.properties or {},
        traits=traits or {},
        context=context,
        integrations=msg.integrations or {},
    )


def normalise_all(
    envelope: Envelope,
    *,
    forced_type: EventType | None,
    source: str,
    received_at: datetime,
    limits: IngestLimits,
) -> Parsed:
    events: list[Event] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(envelope.items):
        try:
            events.append(
                normalise(
                    raw,
                    forced_type=forced_type,
                    source=source,
                    received_at=received_at,
                    limits=limits,
                    batch_sent_at=envelope.sent_at,
                    batch_context=envelope.context,
                )
            )
        except (InvalidMessage, MessageTooLarge) as exc:
            rejected.append(Rejection(index=index, code=exc.code, message=exc.message))
    return Parsed(events=events, rejected=rejected)
