"""Erasure in orchestration: ``forget`` deletes a person's runs, timers, messages and inbox and
starts nothing for them again, while everyone else's flows go on."""

from __future__ import annotations

from datetime import timedelta

from tests.orchestrate.conftest import Builder
from tests.orchestrate.test_engine import SHIPPED
from waymark.store.duckdb._database import Database


def _rows(db: Database, profile: str) -> dict[str, int]:
    con = db.cursor()
    out = {}
    for table in ("orch_runs", "orch_timers", "orch_messages", "orch_inbox"):
        row = con.execute(
            f"SELECT count(*) FROM {table} WHERE profile_id = ?", [profile]
        ).fetchone()
        out[table] = int(row[0]) if row else 0
    return out


def test_forget_removes_the_person_and_starts_nothing_for_them(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    for who in ("ray", "ann"):
        kit.profiles.add(who, email=f"{who}@example.com", traits={"first_name": who})
        kit.orch.process([kit.event("Order Shipped", user=who, tracking_number="T")])
    assert kit.orch.run_due() == 2  # both emailed; the inbox step waits two days
    assert _rows(kit.db, "ray") == {
        "orch_runs": 1,
        "orch_timers": 1,
        "orch_messages": 1,
        "orch_inbox": 0,
    }

    removed = kit.orch.forget(["ray"])
    assert removed == {"orch_runs": 1, "orch_timers": 1, "orch_messages": 1}
    assert set(_rows(kit.db, "ray").values()) == {0}
    # a trigger for them afterwards starts nothing; ann's run goes on
    kit.orch.process([kit.event("Order Shipped", user="ray", tracking_number="T2")])
    assert set(_rows(kit.db, "ray").values()) == {0}
    assert kit.advance(timedelta(days=2)) == 1
    assert [m.profile_id for m in kit.sent("inbox")] == ["ann"]
    assert set(_rows(kit.db, "ray").values()) == {0}
