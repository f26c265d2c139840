"""Privacy's scrub beside the server's other work: its CHECKPOINT waits out another
connection's short write transaction instead of failing the erasure (DuckDB refuses to
checkpoint while one is open), and readers never find a table missing while it is rewritten."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from waymark.core.events import Event
from waymark.store.duckdb._rewrite import checkpoint
from waymark.store.duckdb.store import DuckDBStore


def _busy(path: Path) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.execute("INSERT INTO t SELECT * FROM range(10)")
    other = con.cursor()
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE t SET a = a + 1")  # an open write transaction elsewhere
    return con, other


def test_checkpoint_waits_for_another_writer(tmp_path: Path) -> None:
    con, other = _busy(tmp_path / "db.duckdb")
    with pytest.raises(duckdb.TransactionException):
        con.cursor().execute("CHECKPOINT")  # what the helper guards against
    timer = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    timer.start()
    checkpoint(con.cursor())
    timer.join()
    assert con.execute("SELECT sum(a) FROM t").fetchone() == (55,)
    con.close()


def test_checkpoint_gives_up_after_its_wait(tmp_path: Path) -> None:
    con, other = _busy(tmp_path / "db.duckdb")
    with pytest.raises(duckdb.TransactionException, match="other write transactions"):
        checkpoint(con.cursor(), wait_s=0.2)
    other.execute("ROLLBACK")
    con.close()


def test_readers_never_miss_a_table_while_the_scrub_rewrites_it(tmp_path: Path) -> None:
    # the rewrite re-creates every table; a reader (a dashboard request, ingest's duplicate
    # probe) must see the old table or the new one, never none (a 500 in CI once)
    store = DuckDBStore(tmp_path / "data")
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    store.events.append(
        [
            Event(message_id=f"m{n}", type="track", event="Seen", timestamp=at, received_at=at)
            for n in range(2_000)
        ]
    )
    failures: list[BaseException] = []
    reads = 0
    done = threading.Event()

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                assert store.events.count() == 2_000
                assert len(store.events.events_after(1_990)) == 10
                reads += 1
            except BaseException as exc:  # collected and reported below
                failures.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(3):
            store.privacy.scrub()
    finally:
        done.set()
        reader.join()
        store.close()
    assert failures == []
    assert reads > 0
