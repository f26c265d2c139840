"""The event log in DuckDB: one append-only table, inserted through Arrow.

An append is one transaction (all or nothing), and DuckDB writes its WAL on commit, so a
batch is durable when ``append`` returns. ``seq`` is assigned here, in one writer process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from waymark.core.dedupe import DedupeIndex, dedupe_key
from waymark.core.errors import StorageError
from waymark.core.eventframe import EVENT_SCHEMA, arrow_to_events, events_to_arrow, to_naive_utc
from waymark.core.events import AppendResult, Event
from waymark.core.ports import DEFAULT_DEDUPE_WINDOW, LogStats
from waymark.store.duckdb._arrow import create_tables
from waymark.store.duckdb._database import Database

_DDL = """
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT NOT NULL,
    message_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    event VARCHAR,
    name VARCHAR,
    category VARCHAR,
    user_id VARCHAR,
    anonymous_id VARCHAR,
    group_id VARCHAR,
    previous_id VARCHAR,
    timestamp TIMESTAMP NOT NULL,
    original_timestamp TIMESTAMP,
    sent_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    channel VARCHAR NOT NULL,
    campaign VARCHAR,
    properties VARCHAR,
    traits VARCHAR,
    context VARCHAR,
    integrations VARCHAR
)
"""
_COLUMNS = ", ".join(EVENT_SCHEMA.names)
# the highest seq a delete removed: seqs are never handed out twice, also after a restart that
# follows the erasure of whoever sent the last events (processors' checkpoints are past them)
_HIGH_WATER_DDL = "CREATE TABLE IF NOT EXISTS events_high_water (seq BIGINT NOT NULL)"


class DuckDBEventLog:
    """``core.ports.EventLog`` on DuckDB."""

    def __init__(self, db: Database, *, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW) -> None:
        self._db = db
        self._window = dedupe_window
        self._index = DedupeIndex(dedupe_window)
        create_tables(db, (_DDL, _HIGH_WATER_DDL), "event log")
        self._next_seq = max(self.max_seq(), self._high_water()) + 1
        if not db.read_only:
            self._load_index()
            # pyarrow imports pandas on its first conversion from Python objects (1-3 s here);
            # pay that once at open, not inside the first ingest request after a (re)start.
            events_to_arrow([])

    def _load_index(self) -> None:
        cutoff = to_naive_utc(datetime.now(UTC) - self._window)
        rows = (
            self._db.cursor()
            .sql(
                "SELECT source, message_id, max(received_at) AS received_at FROM events "
                "WHERE received_at >= $cutoff GROUP BY ALL",
                params={"cutoff": cutoff},
            )
            .fetchall()
        )
        for source, message_id, received_at in rows:
            self._index.add([dedupe_key(source, message_id)], received_at.replace(tzinfo=UTC))

    # -- writing -----------------------------------------------------------------------------

    def append(self, events: Sequence[Event], *, dedupe_all_time: bool = False) -> AppendResult:
        if not events:
            return AppendResult(stored=0, duplicates=0, first_seq=self._next_seq)
        now = max(e.received_at for e in events)
        keys = [dedupe_key(e.source, e.message_id) for e in events]
        duplicate = self._duplicates(events, keys, now, dedupe_all_time)
        kept = [e for e, dup in zip(events, duplicate, strict=True) if not dup]
        first_seq = self._next_seq
        if kept:
            table = events_to_arrow(kept, first_seq=first_seq)
            try:
                with self._db.transaction() as con:
                    con.register("_incoming", table)
                    try:
                        con.execute(f"INSERT INTO events ({_COLUMNS}) SELECT * FROM _incoming")
                    finally:
                        con.unregister("_incoming")
            except duckdb.Error as exc:
                raise StorageError(f"could not append {len(kept)} events: {exc}") from None
            self._next_seq += len(kept)
            self._index.add((k for k, dup in zip(keys, duplicate, strict=True) if not dup), now)
        dup_idx = tuple(i for i, dup in enumerate(duplicate) if dup)
        return AppendResult(
            stored=len(kept),
            duplicates=len(dup_idx),
            first_seq=first_seq,
            duplicate_indexes=dup_idx,
        )

    def _duplicates(
        self, events: Sequence[Event], keys: list[int], now: datetime, all_time: bool
    ) -> list[bool]:
        duplicate = [False] * len(events)
        in_batch: set[tuple[str, str]] = set()
        to_confirm: list[int] = []
        for i, event in enumerate(events):
            pair = (event.source, event.message_id)
            if pair in in_batch:
                duplicate[i] = True
                continue
            in_batch.add(pair)
            if all_time or self._index.candidate(keys[i], now):
                to_confirm.append(i)
        if to_confirm:
            stored = self._stored_pairs(
                [(events[i].source, events[i].message_id) for i in to_confirm],
                None if all_time else now - self._window,
            )
            for i in to_confirm:
                if (events[i].source, events[i].message_id) in stored:
                    duplicate[i] = True
        return duplicate

    def _stored_pairs(
        self, pairs: list[tuple[str, str]], since: datetime | None
    ) -> set[tuple[str, str]]:
        probe = pa.table(
            {"source": [p[0] for p in pairs], "message_id": [p[1] for p in pairs]},
        )
        con = self._db.cursor()
        con.register("_probe", probe)
        where = "" if since is None else "WHERE e.received_at >= $since"
        params = {} if since is None else {"since": to_naive_utc(since)}
        rows = con.sql(
            "SELECT DISTINCT e.source, e.message_id FROM events e "
            f"SEMI JOIN _probe p ON e.source = p.source AND e.message_id = p.message_id {where}",
            params=params,
        ).fetchall()
        return {(r[0], r[1]) for r in rows}

    def delete(self, seqs: Sequence[int]) -> int:
        if not seqs:
            return 0
        probe = pa.table({"seq": pa.array(sorted(set(seqs)), pa.int64())})
        try:
            with self._db.transaction() as con:
                con.register("_gone", probe)
                try:
                    con.execute(
                        "INSERT INTO events_high_water "
                        "SELECT max(seq) FROM events WHERE seq IN (SELECT seq FROM _gone) "
                        "HAVING max(seq) IS NOT NULL"
                    )
                    row = con.execute(
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM _gone) RETURNING seq"
                    ).fetchall()
                finally:
                    con.unregister("_gone")
        except duckdb.Error as exc:
            raise StorageError(f"could not delete {len(probe)} events: {exc}") from None
        return len(row)

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        row = self._db.cursor().execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def max_seq(self) -> int:
        row = self._db.cursor().execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        return int(row[0]) if row else 0

    def _high_water(self) -> int:
        try:
            row = (
                self._db.cursor()
                .execute("SELECT coalesce(max(seq), 0) FROM events_high_water")
                .fetchone()
            )
        except duckdb.CatalogException:  # a read-only open of data from before deletes
            return 0
        return int(row[0]) if row else 0

    def scan(
        self, *, after_seq: int = 0, until_seq: int | None = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        # Read in seq ranges, each its own short query: one streaming read would hold its
        # transaction open until the consumer finished (a rebuild takes seconds), and DuckDB
        # will not checkpoint while a transaction older than the last write is open, which
        # made privacy's scrub fail under a running analytics rebuild. A range (not LIMIT)
        # so each query reads only the row groups it returns.
        until = self.max_seq() if until_seq is None else until_seq
        cursor = self._db.cursor()
        start = after_seq
        while start < until:
            end = min(start + batch_rows, until)
            table = cursor.sql(
                f"SELECT {_COLUMNS} FROM events WHERE seq > $after AND seq <= $until ORDER BY seq",
                params={"after": start, "until": end},
            ).to_arrow_table()
            for batch in table.to_batches(max_chunksize=batch_rows):
                yield batch.cast(EVENT_SCHEMA) if batch.schema != EVENT_SCHEMA else batch
            start = end

    def events_after(self, after_seq: int, *, limit: int = 10_000) -> list[Event]:
        table = (
            self._db.cursor()
            .sql(
                f"SELECT {_COLUMNS} FROM events WHERE seq > $after ORDER BY seq LIMIT $limit",
                params={"after": after_seq, "limit": limit},
            )
            .to_arrow_table()
        )
        return arrow_to_events(table)

    def latest(
        self,
        *,
        user_ids: Sequence[str] = (),
        anonymous_ids: Sequence[str] = (),
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        clauses: list[str] = []
        params: dict[str, object] = {"limit": limit}
        who: list[str] = []
        if user_ids:
            who.append("list_contains($uids, user_id)")
            params["uids"] = list(user_ids)
        if anonymous_ids:
            who.append("list_contains($aids, anonymous_id)")
            params["aids"] = list(anonymous_ids)
        if who:
            clauses.append("(" + " OR ".join(who) + ")")
        if before is not None:
            clauses.append("timestamp < $before")
            params["before"] = to_naive_utc(before)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        table = (
            self._db.cursor()
            .sql(
                f"SELECT {_COLUMNS} FROM events {where} ORDER BY timestamp DESC, seq DESC "
                "LIMIT $limit",
                params=params,
            )
            .to_arrow_table()
        )
        return arrow_to_events(table)

    def stats(self) -> LogStats:
        con = self._db.cursor()
        by_source = con.execute("SELECT source, count(*) FROM events GROUP BY 1").fetchall()
        by_channel = con.execute("SELECT channel, count(*) FROM events GROUP BY 1").fetchall()
        span = con.execute("SELECT min(timestamp), max(timestamp) FROM events").fetchone()
        first, last = span if span else (None, None)
        return LogStats(
            events=sum(int(n) for _, n in by_source),
            by_source={str(k): int(n) for k, n in by_source},
            by_channel={str(k): int(n) for k, n in by_channel},
            first_event=first.replace(tzinfo=UTC) if first else None,
            last_event=last.replace(tzinfo=UTC) if last else None,
        )

    def close(self) -> None:
        self._db.close()
