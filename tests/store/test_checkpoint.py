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


AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _seen(n: int, user: str | None = None) -> Event:
    return Event(
        message_id=f"{user or 'm'}-{n}",
        type="track",
        event="Seen",
        timestamp=AT,
        received_at=AT,
        user_id=user,
    )


def _file_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data.iterdir() if p.is_file())


def test_readers_never_miss_a_table_while_the_scrub_rewrites_it(tmp_path: Path) -> None:
    # the rewrite re-creates every table; a reader (a dashboard request, ingest's duplicate
    # probe) must see the old table or the new one, never none (a 500 in CI once)
    store = DuckDBStore(tmp_path / "data")
    store.events.append([_seen(n) for n in range(2_000)])
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


def test_a_log_scan_under_way_does_not_stop_the_scrub(tmp_path: Path) -> None:
    # an analytics rebuild consumes scan() batch by batch for seconds; a scan holding one
    # transaction open for all of it made the scrub's checkpoint fail, and the erased id
    # stayed in the file's freed blocks (found by review)
    data = tmp_path / "data"
    store = DuckDBStore(data)
    store.events.append([_seen(n, f"user{n % 50}") for n in range(20_000)])
    store.events.append([_seen(n, "erased-person-7c1") for n in range(50)])
    gone = [e.seq for e in store.events.latest(user_ids=["erased-person-7c1"], limit=100)]
    store.db.execute("CHECKPOINT")
    scan = store.events.scan(batch_rows=1_000)
    first = next(scan)
    assert store.events.delete(gone) == 50
    store.privacy.erase(["erased-person-7c1"])
    try:
        store.privacy.scrub()  # raised "Cannot CHECKPOINT" after 30 s with a streaming scan
        rows = first.num_rows + sum(b.num_rows for b in scan)
    finally:
        store.close()
    assert rows == 20_000  # the scan goes on over the rewritten table
    assert b"erased-person-7c1" not in _file_bytes(data)


def test_a_scrub_that_failed_runs_again_when_the_store_next_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    store = DuckDBStore(data)
    store.events.append(
        [_seen(n, who) for who in ("kept-person", "erased-person-9d2") for n in range(500)]
    )
    gone = [e.seq for e in store.events.latest(user_ids=["erased-person-9d2"], limit=1_000)]
    store.db.execute("CHECKPOINT")
    assert store.events.delete(gone) == 500
    calls = 0

    def fails_once_rewritten(con: duckdb.DuckDBPyConnection, *, wait_s: float = 30.0) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # the tables rewritten, the freed blocks not yet overwritten
            raise duckdb.TransactionException("Cannot CHECKPOINT: (a test's stand-in)")
        checkpoint(con, wait_s=wait_s)

    with monkeypatch.context() as patched:
        patched.setattr("waymark.store.duckdb.privacy.checkpoint", fails_once_rewritten)
        with pytest.raises(duckdb.TransactionException):
            store.privacy.scrub()
    assert store.privacy.scrub_pending()
    store.close()

    reopened = DuckDBStore(data)  # finishes the scrub before anything else runs
    try:
        assert not reopened.privacy.scrub_pending()
        assert reopened.events.count() == 500
    finally:
        reopened.close()
    assert b"erased-person-9d2" not in _file_bytes(data)
