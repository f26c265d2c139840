"""Streaming equals rebuild: the engagement state scoring keeps while events arrive (with
identity merges and late events) is what the vectorised rebuild from journey's evidence gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scoring._world import HOURGLASS, T0, World
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.core.settings import Settings
from waymark.journey.api import rebuild
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore

NAMES = (
    "Ad Clicked",
    "Guide Downloaded",
    "Products Searched",
    "Product Viewed",
    "Demo Requested",
    "Quote Requested",
    "Order Completed",
    "Something Else",
)


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(1, 30))
    out: list[Event] = []
    for seq in range(1, n + 1):
        user = draw(st.sampled_from([None, "u0", "u1", "u2"]))
        anon = (
            draw(st.sampled_from([None, "a0", "a1"]))
            if user is None or draw(st.booleans())
            else None
        )
        if user is None and anon is None:
            anon = "a0"
        when = T0 + timedelta(hours=draw(st.integers(0, 24 * 40)))
        product = draw(st.sampled_from([None, "g", "h"]))
        out.append(
            Event(
                message_id=f"m{seq}",
                type="track",
                event=draw(st.sampled_from(NAMES)),
                user_id=user,
                anonymous_id=anon,
                timestamp=when,
                received_at=when,
                properties={"product_id": product} if product else {},
                seq=seq,
            )
        )
    return out


State = dict[str, dict[tuple[str, str], tuple[float, list[Any]]]]


def _same(streamed: State, rebuilt: State) -> None:
    assert streamed.keys() == rebuilt.keys()
    for pid, keyed in streamed.items():
        assert keyed.keys() == rebuilt[pid].keys()
        for key, (total, top) in keyed.items():
            other_total, other_top = rebuilt[pid][key]
            assert total == pytest.approx(other_total, rel=1e-12, abs=1e-9)
            assert [t[1:] for t in top] == [t[1:] for t in other_top]
            assert [t[0] for t in top] == pytest.approx([t[0] for t in other_top], abs=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=histories(), chunk=st.integers(1, 7))
def test_streaming_equals_rebuild(events: list[Event], chunk: int) -> None:
    w = World()
    for i in range(0, len(events), chunk):
        w.identity.observe(events[i : i + chunk])
    streamed = w.scoring.engagement_state()

    # every event under its final profile, as runtime.rebuild gives it
    profiles: list[str | None] = []
    for e in events:
        pid = w.identity.resolve("user_id", e.user_id) if e.user_id else None
        pid = pid or w.identity.resolve("anonymous_id", e.anonymous_id or "")
        profiles.append(pid)
    batch = events_to_arrow(events).to_batches()[0]
    rebuilt_journeys = rebuild([HOURGLASS], [(batch, pa.array(profiles, pa.string()))])
    again = World()
    again.scoring.rebuild(rebuilt_journeys.evidence, [batch], checkpoint=len(events))
    _same(streamed, again.scoring.engagement_state())
    assert again.scoring.checkpoint() == len(events)


def test_rebuild_keeps_crossing_counts_and_starts_no_change() -> None:
    w = World()
    w.identify("ann", 0, title="Director", company_size=500)
    w.send("ann", "Demo Requested", 0, product_id="g")
    assert [c.new for c in w.changes] == ["sales-qualified"]
    batch = events_to_arrow(w.events).to_batches()[0]
    pid = w.pid("ann")
    journeys = rebuild([HOURGLASS], [(batch, pa.array([pid] * len(w.events), pa.string()))])
    w.scoring.rebuild(journeys.evidence, [batch], checkpoint=len(w.events))
    assert [c.new for c in w.changes] == ["sales-qualified"]  # nothing new
    assert w.scoring.person(pid).scores[0].label == "sales-qualified"


def test_waymark_rebuild_gives_what_streaming_gave(tmp_path: Path) -> None:
    """Through the runtime: the pipeline streams a log, ``rebuild_derived`` recomputes."""
    store = DuckDBStore(tmp_path / "data")
    try:
        services = build_services(
            Settings(data_dir=tmp_path / "data"), event_log=store.events, stores=store.features()
        )
        w = World()
        for user, name, day, product in (
            ("ann", "Ad Clicked", 0, "g"),
            ("ann", "Demo Requested", 1, "g"),
            ("bo", "Products Compared", 2, "h"),
            ("ann", "Quote Requested", 3, "h"),
        ):
            w.events.append(w.event(user, name, day, product_id=product))
        store.events.append([msgspec.structs.replace(e, seq=0) for e in w.events])
        services.pipeline.catch_up(store.events)
        assert services.scoring is not None
        streamed = services.scoring.engagement_state()
        assert len(streamed) == 2
        summary = rebuild_derived(services)
        assert summary.score_contributions == 4
        _same(streamed, services.scoring.engagement_state())
    finally:
        store.close()
