"""The decision log and catalog store contract, held for every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.decide._helpers import NOW
from waymark.decide.api import MemoryCatalogStore, MemoryDecisionLog
from waymark.decide.contracts import Chosen, Decision, Exclusion, Scored
from waymark.decide.ports import CatalogStore, DecisionLog
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.decide import DuckDBCatalogStore, DuckDBDecisionLog


@pytest.fixture(params=["memory", "duckdb", "duckdb-unbuffered"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[DecisionLog, CatalogStore]]:
    if request.param == "memory":
        yield MemoryDecisionLog(), MemoryCatalogStore()
        return
    db = Database.open(tmp_path)
    flush_every = 1 if request.param == "duckdb-unbuffered" else 100
    log = DuckDBDecisionLog(db, flush_every=flush_every)
    yield log, DuckDBCatalogStore(db)
    log.close()
    db.close()


def decision(
    n: int, profile: str = "p1", *, hours_ago: float = 0, offered: tuple[str, ...] = ("a",)
) -> Decision:
    return Decision(
        decision_id=f"d{n}",
        profile_id=profile,
        channel="email",
        placement=None,
        at=NOW - timedelta(hours=hours_ago),
        holdout=False,
        experiences=tuple(
            Chosen(
                id=e,
                kind="message",
                score=0.5,
                content={"subject": "Hi"},
                reason="r",
                stage="evaluation",
            )
            for e in offered
        ),
        candidates=(Scored("a", 0.5, 0.5, 1.0, 1.0, 1.0, "evaluation"),),
        excluded=(Exclusion("z", "consent.channel"),),
        catalog_version="v1",
    )


def test_decisions_round_trip(backend: tuple[DecisionLog, CatalogStore]) -> None:
    log, _ = backend
    d = decision(1)
    log.save(d)
    assert log.get("d1") == d
    assert log.get("nope") is None


def test_history_since_and_consumed(backend: tuple[DecisionLog, CatalogStore]) -> None:
    log, _ = backend
    log.save(decision(1, hours_ago=1, offered=("a", "b")))
    log.save(decision(2, hours_ago=48))
    log.save(decision(3, profile="p2"))
    contacts, consumed = log.history("p1", since=NOW - timedelta(days=1))
    assert sorted(c.experience_id for c in contacts) == ["a", "b"]
    assert all(c.channel == "email" for c in contacts)
    assert consumed == frozenset()
    assert log.mark_feedback([("d1", "b", "clicked"), ("d1", "a", "viewed")]) == [True, True]
    contacts, consumed = log.history("p1", since=NOW - timedelta(days=3))
    assert len(contacts) == 3
    assert consumed == {"b"}
    # a later decision shows up in the history too (also through any cache)
    log.save(decision(4, hours_ago=0.5, offered=("c",)))
    contacts, _ = log.history("p1", since=NOW - timedelta(days=3))
    assert sorted(c.experience_id for c in contacts) == ["a", "a", "b", "c"]


def test_feedback_is_marked_once(backend: tuple[DecisionLog, CatalogStore]) -> None:
    log, _ = backend
    log.save(decision(1))
    key = ("d1", "a", "clicked")
    assert log.mark_feedback([key, key, ("d1", "a", "viewed")]) == [True, False, True]
    assert log.mark_feedback([key]) == [False]
    assert log.mark_feedback([]) == []


def test_offer_stages(backend: tuple[DecisionLog, CatalogStore]) -> None:
    log, _ = backend
    log.save(decision(1, offered=("a", "b")))
    found = log.offer_stages([("d1", "b"), ("d1", "zz"), ("d9", "a"), ("d1", "b")])
    assert found == {("d1", "b"): "evaluation"}
    assert log.offer_stages([]) == {}


def test_catalog_store_keeps_the_latest(backend: tuple[DecisionLog, CatalogStore]) -> None:
    _, store = backend
    assert store.load() is None
    store.save('{"v": 1}', version="1", at=NOW)
    store.save('{"v": 2}', version="2", at=NOW)
    assert store.load() == '{"v": 2}'


def test_duckdb_decisions_survive_a_reopen(tmp_path: Path) -> None:
    db = Database.open(tmp_path)
    log = DuckDBDecisionLog(db, flush_every=1000)
    log.save(decision(1))
    log.close()
    db.close()
    db = Database.open(tmp_path)
    try:
        reopened = DuckDBDecisionLog(db)
        assert reopened.get("d1") == decision(1)
        contacts, _ = reopened.history("p1", since=NOW - timedelta(days=1))
        assert [c.experience_id for c in contacts] == ["a"]
    finally:
        db.close()
