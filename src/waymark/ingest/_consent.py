"""Segment's consent shape, made readable by identity: a ``Consent Updated`` track call may
state its answers only in ``properties.consent`` (``{"email": false}``). Identity reads profile
traits from ``context.traits`` on every call, so the answers are copied there as
``consent_<purpose>`` traits at ingest; the stored event then says the same thing to the
streaming engine and to a rebuild from the log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from waymark.ingest.contracts import CONSENT_EVENT


def with_consent_traits(
    event: str | None, properties: Mapping[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """``context`` with ``traits.consent_<purpose>`` for each boolean answer in
    ``properties.consent`` of a ``Consent Updated`` call; traits the sender stated win."""
    if event != CONSENT_EVENT:  # every other track call: skip the Mapping check (an ABC)
        return context
    stated = properties.get("consent")
    if not isinstance(stated, Mapping):
        return context
    answers = {f"consent_{k}": v for k, v in stated.items() if isinstance(v, bool) and k}
    if not answers:
        return context
    traits = context.get("traits")
    own = dict(traits) if isinstance(traits, Mapping) else {}
    return {**context, "traits": {**answers, **own}}
