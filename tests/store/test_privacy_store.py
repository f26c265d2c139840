"""Every privacy-store backend runs the same suite: the request log, the suppression list,
link revocation, and the sweep that finds and erases rows naming a person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import BACKENDS
from waymark.privacy.contracts import PrivacyRequest
from waymark.privacy.ports import PrivacyStore
from waymark.store.duckdb.store import DuckDBStore
from waymark.store.memory.privacy import MemoryPrivacyStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Rows = Callable[[list[dict[str, Any]]], None]
"""Puts rows (``id``, ``body``) into another feature's table the sweep searches."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[PrivacyStore, Rows]]:
    if request.param == "memory":
        memory = MemoryPrivacyStore({"other": []})
        yield memory, memory.tables["other"].extend
        return
    store = DuckDBStore(tmp_path / "data")
    store.db.execute("CREATE TABLE other (id VARCHAR, body VARCHAR)")

    def add(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            store.db.execute("INSERT INTO other VALUES (?, ?)", [row["id"], row["body"]])

    yield store.privacy, add
    store.close()


def _request(n: int, status: str = "pending") -> PrivacyRequest:
    return PrivacyRequest(
        id=f"pr_{n}",
        kind="erasure",
        status=status,  # type: ignore[arg-type]
        received_at=T0 + timedelta(hours=n),
        due_at=T0 + timedelta(days=30, hours=n),
        subject_hashes=("h1",),
    )


def test_request_log(backend: tuple[PrivacyStore, Rows]) -> None:
    store, _ = backend
    for n in (1, 2, 3):
        store.save_request(_request(n))
    store.save_request(_request(2, "completed"))  # replaced, not added
    assert store.request("pr_2") == _request(2, "completed")
    assert store.request("pr_9") is None
    assert [r.id for r in store.requests()] == ["pr_3", "pr_2", "pr_1"]
    assert [r.id for r in store.requests(status="pending")] == ["pr_3", "pr_1"]
    assert [r.id for r in store.requests(limit=1)] == ["pr_3"]
    assert len(store.requests(limit=None)) == 3


def test_suppression_and_links(backend: tuple[PrivacyStore, Rows]) -> None:
    store, _ = backend
    store.suppress(["a", "b"])
    store.suppress(["b"])
    assert sorted(store.suppressed()) == ["a", "b"]
    store.unsuppress(["a", "zz"])
    assert store.suppressed() == ["b"]
    assert not store.link_revoked("t1")
    store.revoke_link("t1", at=T0)
    store.revoke_link("t1", at=T0)
    assert store.link_revoked("t1") and not store.link_revoked("t2")
    assert store.links_not_before("p_1") is None
    store.set_links_not_before("p_1", T0)
    store.set_links_not_before("p_1", T0 + timedelta(minutes=5))
    assert store.links_not_before("p_1") == T0 + timedelta(minutes=5)


def test_the_sweep_finds_and_erases_rows_naming_the_person(
    backend: tuple[PrivacyStore, Rows],
) -> None:
    store, add = backend
    add(
        [
            {"id": "p_zed", "body": "{}"},
            {"id": "r2", "body": '{"user": "zed-1", "n": 2}'},
            {"id": "r3", "body": "hello zed-12 and joanna"},  # substrings only: not the person
            {"id": "r4", "body": '{"user": "ann"}'},
        ]
    )
    store.set_links_not_before("p_zed", T0)
    found = store.records(["p_zed", "zed-1"])
    assert sorted(r["id"] for r in found["other"]) == ["p_zed", "r2"]
    assert store.records([]) == {}
    counts = store.erase(["p_zed", "zed-1"])
    assert counts["other"] == 2
    assert store.links_not_before("p_zed") is None
    assert store.records(["p_zed", "zed-1"]) == {}
    assert sorted(r["id"] for r in store.records(["ann"])["other"]) == ["r4"]
    store.scrub()
    assert sorted(r["id"] for r in store.records(["ann"])["other"]) == ["r4"]
