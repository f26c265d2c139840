"""The streaming start of runs writes what the per-row code wrote: run and step ids hashed in
one update equal the incremental hash of each part and separator, and runs and timers go to
Arrow column by column with the times converted in C, equal to a dict per row with each time
made naive UTC in Python (``to_naive_utc``), whatever the zones."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.core.eventframe import to_naive_utc
from waymark.orchestrate._keys import run_id, step_key
from waymark.orchestrate.ports import NewRun, NewTimer
from waymark.store.duckdb.orchestrate import _NEW_TIMERS, _RUNS, _struct_table

_text = st.text(max_size=12)
_zones = st.one_of(
    st.none(),  # naive: taken as UTC already
    st.just(UTC),
    st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)
_moment = st.builds(
    lambda when, zone: when.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    _zones,
)


def _incremental(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()


@given(flow=_text, profile=_text, occurrence=_text, step=_text)
def test_ids_are_the_incremental_hash(flow: str, profile: str, occurrence: str, step: str) -> None:
    rid = run_id(flow, profile, occurrence)
    assert rid == _incremental("run", flow, profile, occurrence)
    assert step_key(rid, step) == _incremental("step", rid, step)


def _timer_row(t: NewTimer) -> dict[str, Any]:
    return {
        "timer_id": t.timer_id,
        "kind": t.kind,
        "flow_id": t.flow_id,
        "step_id": t.step_id,
        "run_id": t.run_id,
        "profile_id": t.profile_id,
        "channel": t.channel,
        "due_at": to_naive_utc(t.due_at),
        "context": t.context,
        "started_at": to_naive_utc(t.started_at),
    }


def _run_row(r: NewRun) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "flow_id": r.flow_id,
        "profile_id": r.profile_id,
        "occurrence": r.occurrence,
        "reentry": r.reentry,
        "context": r.context,
        "started_at": to_naive_utc(r.started_at),
    }


_timer = st.builds(
    NewTimer,
    timer_id=_text,
    flow_id=_text,
    step_id=_text,
    due_at=_moment,
    kind=st.sampled_from(["step", "calendar"]),
    run_id=st.none() | _text,
    profile_id=st.none() | _text,
    channel=st.none() | _text,
    context=st.none() | _text,
    started_at=st.none() | _moment,
)
_run = st.builds(
    NewRun,
    run_id=_text,
    flow_id=_text,
    profile_id=_text,
    occurrence=_text,
    started_at=_moment,
    context=_text,
    reentry=st.sampled_from(["always", "once", "replace"]),
    first=st.none() | _timer,
)


@settings(max_examples=60)
@given(
    timers=st.lists(_timer, min_size=1, max_size=12), runs=st.lists(_run, min_size=1, max_size=12)
)
def test_columns_equal_the_rows(timers: list[NewTimer], runs: list[NewRun]) -> None:
    want = pa.Table.from_pylist([_timer_row(t) for t in timers], schema=_NEW_TIMERS)
    assert _struct_table(_NEW_TIMERS, timers).equals(want)
    want = pa.Table.from_pylist([_run_row(r) for r in runs], schema=_RUNS)
    assert _struct_table(_RUNS, runs).equals(want)
