"""Starting runs in the DuckDB flow store, over random writes: a run starts when its id is new,
and a "once" run only when its flow has no run of that person yet (earlier writes, or earlier
in the same write). Writes without "once" runs leave the check against the runs table out; the
property holds that both kinds of write, mixed in any order, keep the rule."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.orchestrate.conftest import T0
from waymark.orchestrate.ports import NewRun, Reentry
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.orchestrate import DuckDBFlowStore

_REENTRY: tuple[Reentry, ...] = ("always", "once", "replace")

Trigger = tuple[int, int, int]
"""(flow, profile, occurrence), each a small number so that writes collide."""


def _run(flow: int, profile: int, occurrence: int, reentry: Reentry) -> NewRun:
    return NewRun(
        run_id=f"f{flow}/p{profile}/o{occurrence}",
        flow_id=f"f{flow}",
        profile_id=f"p{profile}",
        occurrence=f"o{occurrence}",
        started_at=T0,
        context="{}",
        reentry=reentry,
    )


def _expected(
    writes: list[list[NewRun]],
) -> tuple[list[int], set[str]]:
    """The rule, written out: started count per write, and every run id stored."""
    stored: dict[str, tuple[str, str]] = {}
    counts: list[int] = []
    for write in writes:
        before = set(stored.values())
        seen_once: set[tuple[str, str]] = set()
        started = 0
        for r in write:
            pair = (r.flow_id, r.profile_id)
            if r.run_id in stored:
                continue
            if r.reentry == "once":
                if pair in seen_once:
                    continue
                seen_once.add(pair)
                if pair in before:
                    continue
            stored[r.run_id] = pair
            started += 1
        counts.append(started)
    return counts, set(stored)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reentry=st.lists(st.sampled_from(_REENTRY), min_size=3, max_size=3),
    writes=st.lists(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 3)), max_size=8),
        min_size=1,
        max_size=6,
    ),
)
def test_runs_start_by_the_rule_with_and_without_once_runs(
    reentry: list[Reentry], writes: list[list[Trigger]]
) -> None:
    batches = [[_run(f, p, o, reentry[f]) for f, p, o in write] for write in writes]
    counts, stored = _expected(batches)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp))
        try:
            store = DuckDBFlowStore(db)
            got = [store.start_runs(batch, at=T0) for batch in batches]
            with db.cursor() as cur:
                rows = {r[0] for r in cur.execute("SELECT run_id FROM orch_runs").fetchall()}
        finally:
            db.close()
    assert got == counts
    assert rows == stored
