"""Profile traits as a mergeable summary.

Per trait key, the summary keeps each distinct value (as canonical JSON) with the latest
(event time, seq) it was stated, and only the ``keep`` values with the latest such stamps.
That summary is exact under truncation and independent of arrival order: folding events one
by one, merging two profiles' summaries, or building it from the whole log in one pass give
the same result. The current value is the one with the latest stamp; the others are history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from waymark.identity.contracts import PastValue, Trait

Stamp = tuple[int, int]
"""(event time in microseconds since the epoch, seq)."""
TraitSummary = dict[str, dict[str, Stamp]]

_encode = msgspec.json.Encoder(order="sorted").encode
_decode = msgspec.json.decode


def canonical_json(value: Any) -> str:
    return _encode(value).decode()


def observe(summary: TraitSummary, values: Mapping[str, Any], stamp: Stamp, keep: int) -> None:
    """Fold one event's traits into the summary."""
    for key, value in values.items():
        text = canonical_json(value)
        seen = summary.get(key)
        if seen is None:
            summary[key] = {text: stamp}
            continue
        old = seen.get(text)
        if old is None or stamp > old:
            seen[text] = stamp
            if len(seen) > keep:
                del seen[min(seen, key=seen.__getitem__)]


def merge(into: TraitSummary, other: TraitSummary, keep: int) -> None:
    """Fold another profile's summary into ``into``."""
    for key, values in other.items():
        seen = into.get(key)
        if seen is None:
            into[key] = dict(values)
            continue
        for text, stamp in values.items():
            old = seen.get(text)
            if old is None or stamp > old:
                seen[text] = stamp
        if len(seen) > keep:
            latest = sorted(seen.items(), key=lambda kv: kv[1], reverse=True)[:keep]
            into[key] = dict(latest)


def render(summary: TraitSummary, to_time: Any) -> dict[str, Trait]:
    """Current value and history per key; ``to_time`` turns microseconds into a datetime."""
    out: dict[str, Trait] = {}
    for key in sorted(summary):
        ranked = sorted(summary[key].items(), key=lambda kv: kv[1], reverse=True)
        (text, stamp), rest = ranked[0], ranked[1:]
        out[key] = Trait(
            value=_decode(text),
            updated_at=to_time(stamp[0]),
            history=tuple(PastValue(_decode(t), to_time(s[0])) for t, s in rest),
        )
    return out


def current(summary: TraitSummary) -> dict[str, Any]:
    """Each key's current value, as ``render`` gives it, without building the history."""
    return {
        key: _decode(max(summary[key].items(), key=lambda kv: kv[1])[0]) for key in sorted(summary)
    }


def encode_summary(summary: TraitSummary) -> str:
    """JSON text for storage: ``{key: [[value_json, time_us, seq], ...]}``."""
    return _encode(
        {k: [[t, s[0], s[1]] for t, s in v.items()] for k, v in summary.items()}
    ).decode()


def decode_summary(text: str | None) -> TraitSummary:
    if not text:
        return {}
    raw: dict[str, list[list[Any]]] = _decode(text)
    return {k: {str(t): (int(us), int(seq)) for t, us, seq in v} for k, v in raw.items()}


def consent_of(traits: Mapping[str, Trait]) -> dict[str, bool]:
    """Per channel consent from the ``consent`` trait (``{"email": true, ...}``) and
    ``consent_<channel>`` traits; when both speak for a channel, the later one wins."""
    stated: dict[str, tuple[Any, bool]] = {}
    whole = traits.get("consent")
    if whole is not None and isinstance(whole.value, Mapping):
        for channel, flag in whole.value.items():
            if isinstance(flag, bool):
                stated[str(channel)] = (whole.updated_at, flag)
    for key, trait in traits.items():
        if key.startswith("consent_") and isinstance(trait.value, bool):
            channel = key.removeprefix("consent_")
            if channel and (channel not in stated or trait.updated_at >= stated[channel][0]):
                stated[channel] = (trait.updated_at, trait.value)
    return {channel: flag for channel, (_, flag) in sorted(stated.items())}
