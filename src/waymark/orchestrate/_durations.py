"""Durations as people write them in flow files: ``3d``, ``2h30m``, ``-7d``, ``1w``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_WHOLE: Final = re.compile(r"^-?(?:\d+(?:\.\d+)?[wdhms])+$")
_UNIT: Final = {"w": 604_800.0, "d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> timedelta:
    """``timedelta`` for ``3d`` / ``1d12h`` / ``-7d`` / ``90s``; ``ValueError`` otherwise."""
    compact = text.strip().replace(" ", "")
    if not _WHOLE.match(compact):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit (w, d, h, m, s), "
            "e.g. 3d or 2h30m"
        )
    seconds = sum(float(n) * _UNIT[u] for n, u in _PART.findall(compact))
    return timedelta(seconds=-seconds if compact.startswith("-") else seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest ``parse_duration`` text for a whole number of seconds."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
