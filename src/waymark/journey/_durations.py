"""Durations in model files: ``30d``, ``12h``, ``2w``, ``45m``, ``90s`` (one unit)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``"3d"`` -> 3 days. Raises ``ValueError`` with the accepted form."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"expected a duration such as 30d, 12h, 2w, 45m or 90s, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """The shortest exact form: 3 days -> ``3d``."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
