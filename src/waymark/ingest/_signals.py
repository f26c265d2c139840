"""The properties of an outside signal (``core.signals``), checked at the edge so reports can
trust them; each error names the property at fault."""

from __future__ import annotations

import math
from typing import Any

from waymark.core.signals import REQUIRED, SIGNAL_KINDS
from waymark.ingest.errors import InvalidMessage


def _fail(key: str, message: str) -> InvalidMessage:
    return InvalidMessage(
        f"an Outside Signal's properties.{key} {message}", field=f"properties.{key}"
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_signal(properties: dict[str, Any]) -> None:
    """Raise ``InvalidMessage`` naming the property when ``properties`` do not describe an
    outside signal."""
    for key in REQUIRED:
        value = properties.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _fail(key, f"is required and must be non-empty text, got {value!r}")
    if properties["kind"] not in SIGNAL_KINDS:
        raise _fail("kind", f"must be one of {', '.join(SIGNAL_KINDS)}; got {properties['kind']!r}")
    reach = properties.get("reach")
    if reach is not None and (not _number(reach) or reach < 0):
        raise _fail("reach", f"must be a number of people, at least 0; got {reach!r}")
    sentiment = properties.get("sentiment")
    if sentiment is not None and (not _number(sentiment) or not -1 <= sentiment <= 1):
        raise _fail("sentiment", f"must be a number from -1 to 1; got {sentiment!r}")
    url = properties.get("url")
    if url is not None and not isinstance(url, str):
        raise _fail("url", f"must be text; got {url!r}")
    model = properties.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise _fail("model", f"must be a journey model's name; got {model!r}")
