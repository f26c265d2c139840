"""The decision log and catalog store contract, held for every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.decide._helpers import NOW
from waymark.decide.api import MemoryCatalogStore, MemoryDecisionLog
from waymark.decide.contracts import (
    Chosen,
    Decision,
    Exclusion,
    GroupOutcomes,
    Outcome,
    Scored,
)
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


def _decided(
    n: int, *, hours_ago: float, holdout: bool, offered: tuple[str, ...], ranked: tuple[str, ...],
    excluded: tuple[tuple[str, str], ...],
) -> Decision:  # fmt: skip
    d = decision(n, hours_ago=hours_ago, offered=offered)
    return msgspec.structs.replace(
        d,
        holdout=holdout,
        candidates=tuple(Scored(e, 0.5, 0.5, 1.0, 1.0, 1.0, "evaluation") for e in ranked),
        excluded=tuple(Exclusion(e, code) for e, code in excluded),
    )


def test_performance_counts_a_window(backend: tuple[DecisionLog, CatalogStore]) -> None:
    log, _ = backend
    log.save(_decided(1, hours_ago=1, holdout=False, offered=("a",), ranked=("a", "b"),
                      excluded=(("c", "consent.channel"),)))  # fmt: skip
    log.save(_decided(2, hours_ago=2, holdout=True, offered=("b",), ranked=("a", "b"),
                      excluded=(("a", "holdout.default_only"), ("c", "cap.total"))))  # fmt: skip
    log.save(_decided(3, hours_ago=30, holdout=False, offered=("a",), ranked=("a",),
                      excluded=()))  # fmt: skip
    log.mark_feedback([("d1", "a", "viewed"), ("d1", "a", "clicked"), ("d2", "b", "viewed"),
                       ("d3", "a", "converted")])  # fmt: skip
    perf = log.performance(since=NOW - timedelta(days=1), until=NOW + timedelta(seconds=1))
    assert (perf.decisions, perf.holdout_decisions) == (2, 1)
    got = {e.experience_id: e for e in perf.experiences}
    assert set(got) == {"a", "b", "c"}
    a, b, c = got["a"], got["b"], got["c"]
    # a: ranked twice, and also excluded once for the holdout: considered per decision
    assert (a.considered, a.eligible, a.excluded) == (2, 2, {"holdout.default_only": 1})
    assert a.treated == GroupOutcomes(chosen=1, viewed=1, clicked=1)
    assert a.holdout == GroupOutcomes()
    assert b.holdout == GroupOutcomes(chosen=1, viewed=1) and b.treated == GroupOutcomes()
    assert (c.considered, c.eligible, c.excluded) == (2, 0, {"cap.total": 1, "consent.channel": 1})
    # d3 is outside the window, so its conversion is not counted
    assert all(e.treated.converted == 0 for e in perf.experiences)
    empty = log.performance(since=NOW + timedelta(days=1), until=NOW + timedelta(days=2))
    assert (empty.decisions, empty.experiences) == (0, ())


_EXPS = ("a", "b", "c", "d")
_POLICIES = ("consent.channel", "cap.total", "placement.not_requested")


@st.composite
def _logs(draw: st.DrawFn) -> tuple[list[Decision], list[tuple[str, str, Outcome]]]:
    decisions: list[Decision] = []
    feedback: list[tuple[str, str, Outcome]] = []
    for n in range(draw(st.integers(0, 12))):
        ranked = tuple(draw(st.lists(st.sampled_from(_EXPS), unique=True, max_size=4)))
        rest = [e for e in _EXPS if e not in ranked]
        excluded = tuple((e, draw(st.sampled_from(_POLICIES))) for e in rest if draw(st.booleans()))
        offered = ranked[: draw(st.integers(0, len(ranked)))]
        decisions.append(
            _decided(
                n,
                hours_ago=draw(st.floats(0, 72)),
                holdout=draw(st.booleans()),
                offered=offered,
                ranked=ranked,
                excluded=excluded,
            )
        )
        for e in offered:
            outcomes = draw(st.sets(st.sampled_from(("viewed", "clicked", "converted"))))
            feedback += [(f"d{n}", e, o) for o in sorted(outcomes)]
    return decisions, feedback


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_logs(), days=st.integers(1, 3))
def test_duckdb_performance_equals_the_reference(
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[list[Decision], list[tuple[str, str, Outcome]]],
    days: int,
) -> None:
    decisions, feedback = data
    reference = MemoryDecisionLog()
    db = Database.open(tmp_path_factory.mktemp("perf"))
    duck = DuckDBDecisionLog(db, flush_every=5)
    try:
        for log in (reference, duck):
            for d in decisions:
                log.save(d)
            log.mark_feedback(feedback)
        window = {"since": NOW - timedelta(days=days), "until": NOW}
        assert duck.performance(**window) == reference.performance(**window)
    finally:
        duck.close()
        db.close()
