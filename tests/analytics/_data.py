"""Small random event sets for funnel tests, as ``Event``s and as chdb ``values(...)`` rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import strategies as st

from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NAMES = ("A", "B", "C", "D")
PLANS = ("x", "y", None, 1)
CHANNELS = ("web", "email", "shop")
PRODUCTS = ("kit", "pro", None)


@dataclass(frozen=True)
class Ev:
    profile: int
    micros: int
    """Microseconds after ``T0``."""
    name: str
    plan: str | int | None
    channel: str
    type: str = "track"
    product: str | None = None

    @property
    def at(self) -> datetime:
        return T0 + timedelta(microseconds=self.micros)


@st.composite
def event_sets(
    draw: st.DrawFn, *, max_events: int = 30, types: bool = False, products: bool = False
) -> list[Ev]:
    """Few profiles, few seconds, so that ties and repeats are common."""
    n = draw(st.integers(0, max_events))
    out: list[Ev] = []
    for _ in range(n):
        seconds = draw(st.integers(0, 40))
        micros = seconds * 1_000_000 + draw(st.sampled_from((0, 0, 0, 1, 500_000)))
        out.append(
            Ev(
                profile=draw(st.integers(0, 3)),
                micros=micros,
                name=draw(st.sampled_from(NAMES)),
                plan=draw(st.sampled_from(PLANS)),
                channel=draw(st.sampled_from(CHANNELS)),
                type=draw(st.sampled_from(("track", "track", "page", "identify")))
                if types
                else "track",
                product=draw(st.sampled_from(PRODUCTS)) if products else None,
            )
        )
    return out


def to_table(evs: list[Ev]) -> pa.Table:
    """The events as the log scans them (seq from 1), with ``user_id`` as the profile."""
    events = [
        Event(
            message_id=f"m{i}",
            type=e.type,  # type: ignore[arg-type]
            timestamp=e.at,
            received_at=e.at,
            event=e.name if e.type == "track" else None,
            name=e.name if e.type == "page" else None,
            user_id=f"p{e.profile}",
            channel=e.channel,
            properties=({} if e.plan is None else {"plan": e.plan})
            | ({} if e.product is None else {"product_id": e.product}),
            seq=i + 1,
        )
        for i, e in enumerate(evs)
    ]
    return events_to_arrow(events)


def values_sql(evs: list[Ev]) -> str:
    """chdb ``values(...)``: uid, t (µs), ev, plan ('' unless a string), ch, seq, action."""
    structure = (
        "uid String, t UInt64, ev String, plan String, ch String, seq UInt64, typ String, "
        "product String"
    )
    rows = ", ".join(
        f"('p{e.profile}', {e.micros}, '{e.name if e.type == 'track' else ''}', "
        f"'{e.plan if isinstance(e.plan, str) else ''}', '{e.channel}', {i + 1}, '{e.type}', "
        f"'{e.product or '(none)'}')"
        for i, e in enumerate(evs)
    )
    return f"values('{structure}', {rows})"
