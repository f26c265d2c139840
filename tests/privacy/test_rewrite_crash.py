"""A crash in the middle of privacy's table rewrite: the next open restores the table from the
copy, loses nothing and resurrects nothing, and opening again changes nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from waymark.core.events import Event
from waymark.store.duckdb._database import DB_FILENAME
from waymark.store.duckdb.store import DuckDBStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# the child runs privacy's scrub and dies (SIGKILL-like, no clean-up) when it comes to refill
# the events table: before the refill's transaction, or inside it after the table was dropped
# and filled again but before the commit
_CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import waymark.store.duckdb._rewrite as rewrite
    from waymark.store.duckdb.store import DuckDBStore

    data, when = Path(sys.argv[1]), sys.argv[2]
    real = rewrite.refill

    class DiesAfterFilling:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args):
            result = self._con.execute(sql, *args)
            if sql.startswith('INSERT INTO "events"'):
                os._exit(9)
            return result

    def refill(con, table):
        if table == "events":
            if when == "inside":
                real(DiesAfterFilling(con), table)
            os._exit(9)
        real(con, table)

    rewrite.refill = refill
    DuckDBStore(data).privacy.scrub()
    """
)


def _event(n: int, user: str) -> Event:
    at = T0 + timedelta(seconds=n)
    return Event(
        message_id=f"{user}-{n}",
        type="track",
        event="Page Viewed",
        timestamp=at,
        received_at=at,
        user_id=user,
    )


def _ids(store: DuckDBStore) -> list[str]:
    return sorted(e.message_id for e in store.events.events_after(0))


@pytest.mark.parametrize("when", ["before", "inside"])
def test_recovery_after_a_crash_in_the_rewrite(tmp_path: Path, when: str) -> None:
    data = tmp_path / "data"
    store = DuckDBStore(data)
    store.events.append([_event(n, "keep") for n in range(40)])
    store.events.append([_event(n, "gone") for n in range(5)])
    gone = [e.seq for e in store.events.events_after(0) if e.user_id == "gone"]
    assert store.events.delete(gone) == 5  # what an erasure does before the rewrite
    before, top = _ids(store), store.events.max_seq()
    store.close()

    child = subprocess.run([sys.executable, "-c", _CHILD, str(data), when], check=False)
    assert child.returncode == 9

    # the crash really happened mid-rewrite: a copy and its marker are in the file
    con = duckdb.connect(str(data / DB_FILENAME))
    try:
        marker = con.execute("SELECT table_name FROM privacy_rewrite").fetchall()
        copied = con.execute("SELECT count(*) FROM _privacy_copy").fetchone()
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert marker == [("events",)]
    assert copied == (40,)
    assert "events" in tables  # never missing: the refill's drop was not committed

    # a read-only open (the CLI's) finishes it through a short read-write open; then a normal
    # open finds nothing left to do: idempotent
    for read_only in (True, False):
        store = DuckDBStore(data, read_only=read_only)
        try:
            assert _ids(store) == before
            assert not any(i.startswith("gone") for i in _ids(store))
            assert store.events.max_seq() == top
        finally:
            store.close()
    store = DuckDBStore(data)  # the table made again from its DDL takes new events as before
    try:
        assert store.events.append([_event(1, "after")]).stored == 1
        assert store.events.append([_event(1, "after")]).stored == 0  # still deduplicated
        # seqs of the erased events (the last ones) are not handed out again after a restart
        assert [e.seq for e in store.events.events_after(top)] == [46]
    finally:
        store.close()
    con = duckdb.connect(str(data / DB_FILENAME))
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "_privacy_copy" not in tables
        assert con.execute("SELECT count(*) FROM privacy_rewrite").fetchone() == (0,)
    finally:
        con.close()
