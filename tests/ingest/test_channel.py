"""Channel derivation: the table-driven version decides exactly as the rules it replaced."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from waymark.core.events import Channel
from waymark.ingest._channel import (
    _CHANNEL_SYNONYMS,
    _MEDIUM_CHANNELS,
    _MOBILE_LIBRARIES,
    _WEB_LIBRARIES,
    channel_of,
)


def _reference(message_type: str, context: dict[str, Any], campaign: dict[str, str]) -> str:
    """The derivation as first written (prefix matching one library at a time)."""
    explicit = context.get("channel")
    if isinstance(explicit, str):
        known = _CHANNEL_SYNONYMS.get(explicit.strip().lower())
        if known is not None and known is not Channel.SERVER:
            return known.value
    medium = campaign.get("medium", "").strip().lower()
    if medium in _MEDIUM_CHANNELS:
        return _MEDIUM_CHANNELS[medium].value
    library = context.get("library")
    name = library.get("name") if isinstance(library, dict) else None
    if isinstance(name, str):
        lowered = name.lower()
        if any(lowered.startswith(lib) for lib in _MOBILE_LIBRARIES):
            return Channel.MOBILE.value
        if any(lowered.startswith(lib) for lib in _WEB_LIBRARIES):
            return Channel.WEB.value
    if message_type == "page":
        return Channel.WEB.value
    if message_type == "screen":
        return Channel.MOBILE.value
    os_info = context.get("os")
    os_name = os_info.get("name") if isinstance(os_info, dict) else None
    if isinstance(os_name, str) and os_name.lower() in ("ios", "android", "ipados"):
        return Channel.MOBILE.value
    return Channel.SERVER.value


def _spelt(words: list[str]) -> st.SearchStrategy[str]:
    """A known word in any case, padded, or with a suffix (a library version), or noise."""
    word = st.sampled_from(words)
    return (
        st.builds(lambda w, s: s(w), word, st.sampled_from([str.upper, str.title, str]))
        | st.builds(lambda w, pad: f"{pad}{w}{pad}", word, st.sampled_from([" ", "\t", ""]))
        | st.builds(lambda w, tail: w + tail, word, st.text(max_size=4))
        | st.text(max_size=8)
    )


_other = st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2)
_channel = _spelt([*_CHANNEL_SYNONYMS, "server", "SERVER"]) | _other
_medium = _spelt(list(_MEDIUM_CHANNELS))
_library = _spelt([*_MOBILE_LIBRARIES, *_WEB_LIBRARIES, "analytics-python"]) | _other
_os = _spelt(["iOS", "android", "iPadOS", "Linux"]) | _other


def _maybe(key: str, value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.none().map(lambda _: {}) | value.map(lambda v: {key: v})


@st.composite
def _contexts(draw: st.DrawFn) -> dict[str, Any]:
    context: dict[str, Any] = {}
    context.update(draw(_maybe("channel", _channel)))
    context.update(draw(_maybe("library", _maybe("name", _library) | _other)))
    context.update(draw(_maybe("os", _maybe("name", _os) | _other)))
    return context


@given(
    st.sampled_from(["track", "identify", "page", "screen", "group", "alias"]),
    _contexts(),
    _maybe("medium", _medium),
)
def test_channel_matches_the_reference_rules(
    message_type: str, context: dict[str, Any], campaign: dict[str, str]
) -> None:
    got = channel_of(message_type, context, campaign)
    assert got == _reference(message_type, context, campaign)
    assert type(got) is str  # a plain str, as before, not the enum member
