"""Every ScoreStore backend passes the same suite, and the service restarts from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from tests.scoring._world import World
from waymark.scoring.api import LABELS_SCHEMA, SCORES_SCHEMA
from waymark.scoring.ports import ScoreStore
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.scoring import DuckDBScoreStore
from waymark.store.memory.scoring import MemoryScoreStore


@pytest.fixture(params=("duckdb", "memory"))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScoreStore]:
    if request.param == "memory":
        yield MemoryScoreStore()
        return
    db = Database.open(tmp_path / "data")
    yield DuckDBScoreStore(db)
    db.close()


def _scores(*rows: tuple[str, str, float]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"profile_id": p, "model": "hourglass", "product": q, "log_total": v, "top": "[]"}
            for p, q, v in rows
        ],
        schema=SCORES_SCHEMA,
    )


def _labels(*rows: tuple[str, str, str | None, int]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "subject": s,
                "id": i,
                "model": "hourglass",
                "product": "g",
                "label": lab,
                "crossings": n,
            }
            for s, i, lab, n in rows
        ],
        schema=LABELS_SCHEMA,
    )


def test_an_empty_store(store: ScoreStore) -> None:
    scores, labels = store.load()
    assert scores.num_rows == 0 and labels.num_rows == 0
    assert store.checkpoint() == 0


def test_save_replaces_the_rows_of_the_profiles_given(store: ScoreStore) -> None:
    store.save(
        profiles=["p1", "p2"],
        scores=_scores(("p1", "g", 1.0), ("p1", "h", 2.0), ("p2", "g", 3.0)),
        labels=_labels(("person", "p1", "marketing-qualified", 1)),
        checkpoint=5,
    )
    store.save(
        profiles=["p1", "p3"],
        scores=_scores(("p1", "g", 4.0)),
        labels=_labels(("person", "p1", "sales-qualified", 2), ("account", "a", None, 1)),
        checkpoint=9,
    )
    scores, labels = store.load()
    assert scores.select(["profile_id", "product", "log_total"]).to_pylist() == [
        {"profile_id": "p1", "product": "g", "log_total": 4.0},
        {"profile_id": "p2", "product": "g", "log_total": 3.0},
    ]
    assert labels.select(["subject", "id", "label", "crossings"]).to_pylist() == [
        {"subject": "account", "id": "a", "label": None, "crossings": 1},
        {"subject": "person", "id": "p1", "label": "sales-qualified", "crossings": 2},
    ]
    assert store.checkpoint() == 9


def test_replace_all(store: ScoreStore) -> None:
    store.save(profiles=["p1"], scores=_scores(("p1", "g", 1.0)), labels=_labels(), checkpoint=3)
    store.replace_all(scores=_scores(("p9", "g", 2.0)), labels=_labels(), checkpoint=7)
    scores, _ = store.load()
    assert scores.column("profile_id").to_pylist() == ["p9"]
    assert store.checkpoint() == 7


def test_the_service_restarts_from_its_store(store: ScoreStore) -> None:
    w = World(store=store)
    w.identify("ann", 0, title="Director", company_size=500)
    w.send("ann", "Demo Requested", 0, product_id="g")
    w.scoring.flush()
    before = w.scoring.engagement_state()
    again = World(store=store)
    assert again.scoring.engagement_state() == before
    assert again.scoring.checkpoint() == len(w.events)
    # the label memory survived: replaying the crossing's event emits nothing
    again.events = list(w.events)
    again.identity.observe(w.events)
    assert [c for c in again.changes if c.new == "sales-qualified"] == []
