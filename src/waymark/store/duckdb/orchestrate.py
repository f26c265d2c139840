"""``waymark.orchestrate.ports.FlowStore`` on DuckDB: runs, timers, the delivery log, inboxes
and flows saved through the admin API.

Each write is one transaction on the shared connection; batches go in through Arrow, not row
by row. The tables are shaped for a columnar engine: live state is small and everything else
is insert-only.

- ``orch_timers`` holds only live steps (a done step's timer is deleted), each with its run's
  context; so finding what is due reads this table alone, however long Waymark has run.
- ``orch_sending`` holds the payload of each send that was tried and has no outcome yet (in
  flight, or waiting for a retry): written once per attempt and deleted with the outcome,
  because updating wide rows of the timers table cost more than the rest of a cycle.
- ``orch_messages`` holds outcomes only (sent, failed, skipped, dead), written once.
- ``orch_runs`` is written when a run starts, ``orch_run_ends`` when it ends; a run without an
  end is active.

Times are naive UTC ``TIMESTAMP``s here and aware UTC ``datetime``s outside.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
import msgspec
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.core.eventframe import to_naive_utc, utc_timestamps
from waymark.orchestrate.contracts import InboxMessage, MessageRecord, MessageStatus, RunStatus
from waymark.orchestrate.ports import (
    Completion,
    Contact,
    DueTimer,
    InboxRow,
    MessageRow,
    NewRun,
    NewTimer,
)
from waymark.store.duckdb._arrow import create_tables
from waymark.store.duckdb._database import Database

_DDL = (
    "CREATE TABLE IF NOT EXISTS orch_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS orch_runs (
        run_id VARCHAR PRIMARY KEY, flow_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL,
        occurrence VARCHAR NOT NULL, reentry VARCHAR NOT NULL, context VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS orch_run_ends (
        run_id VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        ended_at TIMESTAMP NOT NULL)""",
    # no primary key: the ART index made every delete and insert of a cycle ~2x slower;
    # timer ids stay unique because inserts skip ids already present (_insert_timers)
    """CREATE TABLE IF NOT EXISTS orch_timers (
        timer_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, flow_id VARCHAR NOT NULL,
        step_id VARCHAR NOT NULL, run_id VARCHAR, profile_id VARCHAR, channel VARCHAR,
        due_at TIMESTAMP NOT NULL, context VARCHAR, started_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL, state VARCHAR NOT NULL, attempts INTEGER NOT NULL,
        reason VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS orch_sending (
        timer_id VARCHAR NOT NULL, attempts INTEGER NOT NULL, payload VARCHAR,
        target VARCHAR NOT NULL, subject VARCHAR NOT NULL, user_id VARCHAR, anonymous_id VARCHAR,
        experience_id VARCHAR, decision_id VARCHAR, first_tried_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS orch_messages (
        message_id VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL,
        flow_id VARCHAR NOT NULL, step_id VARCHAR NOT NULL, channel VARCHAR NOT NULL,
        status VARCHAR NOT NULL, reason VARCHAR NOT NULL, target VARCHAR NOT NULL,
        subject VARCHAR NOT NULL, attempts INTEGER NOT NULL, payload VARCHAR, user_id VARCHAR,
        anonymous_id VARCHAR, experience_id VARCHAR, decision_id VARCHAR,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, sent_at TIMESTAMP,
        due_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS orch_inbox (
        message_id VARCHAR PRIMARY KEY, profile_id VARCHAR NOT NULL, flow_id VARCHAR NOT NULL,
        title VARCHAR NOT NULL, body VARCHAR NOT NULL, url VARCHAR,
        created_at TIMESTAMP NOT NULL, read_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS orch_flows (
        flow_id VARCHAR PRIMARY KEY, text VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)""",
)

_TS = pa.timestamp("us")
_S = pa.string()
_I = pa.int32()


def _schema(*columns: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(columns))


_RUNS = _schema(
    ("run_id", _S),
    ("flow_id", _S),
    ("profile_id", _S),
    ("occurrence", _S),
    ("reentry", _S),
    ("context", _S),
    ("started_at", _TS),
)
_NEW_TIMERS = _schema(
    ("timer_id", _S),
    ("kind", _S),
    ("flow_id", _S),
    ("step_id", _S),
    ("run_id", _S),
    ("profile_id", _S),
    ("channel", _S),
    ("due_at", _TS),
    ("context", _S),
    ("started_at", _TS),
)
_SENDING = _schema(
    ("timer_id", _S),
    ("attempts", _I),
    ("payload", _S),
    ("target", _S),
    ("subject", _S),
    ("user_id", _S),
    ("anonymous_id", _S),
    ("experience_id", _S),
    ("decision_id", _S),
    ("first_tried_at", _TS),
)
_RESCHEDULE = _schema(
    ("timer_id", _S), ("due_at", _TS), ("attempts", _I), ("state", _S), ("reason", _S)
)
_ENDS = _schema(("run_id", _S), ("status", _S), ("reason", _S))
_MESSAGES = _schema(
    ("message_id", _S),
    ("run_id", _S),
    ("profile_id", _S),
    ("flow_id", _S),
    ("step_id", _S),
    ("channel", _S),
    ("status", _S),
    ("reason", _S),
    ("target", _S),
    ("subject", _S),
    ("attempts", _I),
    ("payload", _S),
    ("user_id", _S),
    ("anonymous_id", _S),
    ("experience_id", _S),
    ("decision_id", _S),
    ("created_at", _TS),
    ("updated_at", _TS),
    ("sent_at", _TS),
    ("due_at", _TS),
)
_INBOX = _schema(
    ("message_id", _S),
    ("profile_id", _S),
    ("flow_id", _S),
    ("title", _S),
    ("body", _S),
    ("url", _S),
    ("created_at", _TS),
)
_RECORD = (
    "message_id, profile_id, flow_id, step_id, run_id, channel, status, reason, target, subject, "
    "attempts, experience_id, decision_id, created_at, updated_at, sent_at, due_at"
)
_LIVE_STATUS = (
    "CASE WHEN t.state = 'retrying' THEN 'retrying' WHEN t.state = 'deferred' THEN 'scheduled' "
    "WHEN s.timer_id IS NOT NULL THEN 'sending' ELSE 'scheduled' END"
)
"""A live send step's status in the delivery log (``t``: timers, ``s``: sending)."""
_LIVE_FROM = "orch_timers t LEFT JOIN orch_sending s ON s.timer_id = t.timer_id"
_LIVE_MESSAGE = (
    "t.timer_id, t.run_id, t.profile_id, t.flow_id, t.step_id, t.channel, "
    f"{_LIVE_STATUS}, t.reason, s.target, s.subject, t.attempts, s.payload, s.user_id, "
    "s.anonymous_id, s.experience_id, s.decision_id, coalesce(s.first_tried_at, t.created_at), "
    "t.created_at, NULL, t.due_at"
)
"""A send in flight as an ``orch_messages`` row (the columns of ``_MESSAGES``, in order)."""
_LIVE_RECORD = (
    "t.timer_id, t.profile_id, t.flow_id, t.step_id, t.run_id, t.channel, "
    f"{_LIVE_STATUS}, t.reason, coalesce(s.target, ''), coalesce(s.subject, ''), t.attempts, "
    "s.experience_id, s.decision_id, coalesce(s.first_tried_at, t.created_at), t.created_at, "
    "NULL, t.due_at"
)


_ONCE_NEW = """WHERE n.reentry <> 'once' OR NOT EXISTS (
    SELECT 1 FROM orch_runs r WHERE r.flow_id = n.flow_id AND r.profile_id = n.profile_id)"""


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _naive(value: datetime | None) -> datetime | None:
    return to_naive_utc(value)


def _table(schema: pa.Schema, rows: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=schema)


def _ids(values: Sequence[str], name: str = "id") -> pa.Table:
    return pa.table({name: pa.array(list(values), _S)})


def _unique(items: Sequence[Any], key: str) -> list[Any]:
    """The last item per key (one outcome per timer or message in a write)."""
    return list({getattr(i, key): i for i in items}.values())


def _struct_table(schema: pa.Schema, items: Sequence[msgspec.Struct]) -> pa.Table:
    """The fields of ``items`` (one struct type) that ``schema`` names, as its columns. Runs
    and timers are written a thousand per group on the streaming path: one transpose of
    tuples instead of a dict per row, and the times converted in C (``utc_timestamps``)."""
    if not items:
        return schema.empty_table()
    names = type(items[0]).__struct_fields__
    columns = dict(zip(names, zip(*map(msgspec.structs.astuple, items), strict=True), strict=True))
    return pa.Table.from_arrays(
        [
            utc_timestamps(columns[f.name]) if f.type == _TS else pa.array(columns[f.name], f.type)
            for f in schema
        ],
        schema=schema,
    )


def _message_row(m: MessageRow) -> dict[str, Any]:
    row = msgspec.structs.asdict(m)
    for name in ("created_at", "updated_at", "sent_at", "due_at"):
        row[name] = _naive(row[name])
    return row


def _record(r: tuple[Any, ...]) -> MessageRecord:
    return MessageRecord(
        message_id=r[0],
        profile_id=r[1],
        flow_id=r[2],
        step_id=r[3],
        run_id=r[4],
        channel=r[5],
        status=r[6],
        reason=r[7],
        target=r[8],
        subject=r[9],
        attempts=r[10],
        experience_id=r[11],
        decision_id=r[12],
        created_at=r[13].replace(tzinfo=UTC),
        updated_at=r[14].replace(tzinfo=UTC),
        sent_at=_aware(r[15]),
        due_at=_aware(r[16]),
    )


class DuckDBFlowStore:
    """Orchestration state in the shared DuckDB database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "orchestration")

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            with self._db.transaction() as con:
                yield con
        except duckdb.Error as exc:
            raise StorageError(f"orchestration store write failed: {exc}") from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._db.cursor() as cur:
                return cur.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StorageError(f"orchestration store read failed: {exc}") from None

    @staticmethod
    @contextmanager
    def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
        con.register(name, table)
        try:
            yield
        finally:
            con.unregister(name)

    # -- meta -----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM orch_meta WHERE key = ?", [key])
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as con:
            con.execute("INSERT OR REPLACE INTO orch_meta VALUES (?, ?)", [key, value])

    # -- runs -----------------------------------------------------------------------------------

    def start_runs(
        self, runs: Sequence[NewRun], *, at: datetime, checkpoint: int | None = None
    ) -> int:
        if not runs and checkpoint is None:
            return 0
        with self._write() as con:
            started = self._start(con, runs, at)
            if checkpoint is not None:
                con.execute(
                    "INSERT OR REPLACE INTO orch_meta VALUES ('checkpoint', ?)", [str(checkpoint)]
                )
        return started

    def _start(self, con: duckdb.DuckDBPyConnection, runs: Sequence[NewRun], at: datetime) -> int:
        if not runs:
            return 0
        unique: dict[str, NewRun] = {}
        once: set[tuple[str, str]] = set()
        for r in runs:
            if r.run_id in unique:
                continue
            if r.reentry == "once":
                if (r.flow_id, r.profile_id) in once:
                    continue
                once.add((r.flow_id, r.profile_id))
            unique[r.run_id] = r
        now = _naive(at)
        # the primary key decides which runs are new; "once" runs also need no earlier run.
        # That check joins the whole runs table (a third of the insert at 100k runs, growing
        # with it), and it filters nothing in a write without "once" runs: then it is left out
        where = _ONCE_NEW if once else ""
        with self._registered(con, "_wm_new_runs", _struct_table(_RUNS, list(unique.values()))):
            fresh = {
                row[0]
                for row in con.execute(
                    f"""INSERT INTO orch_runs
                       SELECT n.*, ? FROM _wm_new_runs n {where}
                       ON CONFLICT DO NOTHING RETURNING run_id""",
                    [now],
                ).fetchall()
            }
        if not fresh:
            return 0
        new = [unique[rid] for rid in fresh]
        replacing = {(r.flow_id, r.profile_id) for r in new if r.reentry == "replace"}
        if replacing:
            old = [rid for rid in self._active(con, sorted(replacing)) if rid not in fresh]
            self._end(con, old, "replaced", "a new trigger occurrence replaced it", now)
        self._insert_timers(con, [r.first for r in new if r.first is not None], now)
        self._end(con, [r.run_id for r in new if r.first is None], "done", "", now)
        return len(fresh)

    def _active(
        self, con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]]
    ) -> list[str]:
        table = pa.table(
            {
                "flow_id": pa.array([p[0] for p in pairs], _S),
                "profile_id": pa.array([p[1] for p in pairs], _S),
            }
        )
        with self._registered(con, "_wm_pairs", table):
            rows = con.execute(
                """SELECT r.run_id FROM orch_runs r
                   JOIN _wm_pairs p ON p.flow_id = r.flow_id AND p.profile_id = r.profile_id
                   WHERE NOT EXISTS (SELECT 1 FROM orch_run_ends e WHERE e.run_id = r.run_id)"""
            ).fetchall()
        return [r[0] for r in rows]

    def _end(
        self,
        con: duckdb.DuckDBPyConnection,
        run_ids: Sequence[str],
        status: RunStatus,
        reason: str,
        now: datetime | None,
    ) -> None:
        """End runs: their end recorded, their live steps dropped (with a skipped outcome for
        each send that was still to come)."""
        if not run_ids:
            return
        with self._registered(con, "_wm_ended", _ids(run_ids, "run_id")):
            con.execute(
                """INSERT INTO orch_run_ends SELECT run_id, ?, ?, ? FROM _wm_ended
                   ON CONFLICT DO NOTHING""",
                [status, reason, now],
            )
            con.execute(
                f"""INSERT INTO orch_messages
                   SELECT t.timer_id, t.run_id, t.profile_id, t.flow_id, t.step_id, t.channel,
                          'skipped', ?, coalesce(s.target, ''), coalesce(s.subject, ''),
                          t.attempts, s.payload, s.user_id, s.anonymous_id, s.experience_id,
                          s.decision_id, coalesce(s.first_tried_at, t.created_at), ?, NULL, NULL
                   FROM {_LIVE_FROM}
                   WHERE t.run_id IN (SELECT run_id FROM _wm_ended) AND t.channel IS NOT NULL
                   ON CONFLICT DO NOTHING""",
                [f"run {status}: {reason}" if reason else f"run {status}", now],
            )
            con.execute(
                """DELETE FROM orch_sending WHERE timer_id IN (
                       SELECT timer_id FROM orch_timers
                       WHERE run_id IN (SELECT run_id FROM _wm_ended))"""
            )
            con.execute("DELETE FROM orch_timers WHERE run_id IN (SELECT run_id FROM _wm_ended)")

    def cancel_runs(
        self, pairs: Sequence[tuple[str, str]], *, status: RunStatus, reason: str, at: datetime
    ) -> int:
        if not pairs:
            return 0
        with self._write() as con:
            ended = self._active(con, sorted(set(pairs)))
            self._end(con, ended, status, reason, _naive(at))
        return len(ended)

    def forget(self, profile_ids: Sequence[str]) -> dict[str, int]:
        if not profile_ids:
            return {}
        ids = list(profile_ids)
        counts: dict[str, int] = {}
        # children first: run ends and sends are found through the runs and timers they hang on
        steps = (
            ("orch_run_ends", "run_id IN (SELECT run_id FROM orch_runs WHERE {match})"),
            ("orch_sending", "timer_id IN (SELECT timer_id FROM orch_timers WHERE {match})"),
            ("orch_timers", "{match}"),
            ("orch_runs", "{match}"),
            ("orch_messages", "{match}"),
            ("orch_inbox", "{match}"),
        )
        with self._write() as con:
            for table, where in steps:
                sql = f"DELETE FROM {table} WHERE " + where.format(
                    match="list_contains($ids, profile_id)"
                )
                row = con.execute(sql, {"ids": ids}).fetchone()
                if row and int(row[0]):
                    counts[table] = int(row[0])
        return counts

    # -- timers ---------------------------------------------------------------------------------

    def _insert_timers(
        self, con: duckdb.DuckDBPyConnection, timers: Sequence[NewTimer], now: datetime | None
    ) -> None:
        if not timers:
            return
        table = _struct_table(_NEW_TIMERS, _unique(timers, "timer_id"))
        with self._registered(con, "_wm_timers", table):
            con.execute(
                """INSERT INTO orch_timers
                   SELECT n.*, ?, 'pending', 0, ''
                   FROM _wm_timers n
                   WHERE NOT EXISTS (SELECT 1 FROM orch_timers t WHERE t.timer_id = n.timer_id)""",
                [now],
            )

    def ensure_timers(self, timers: Sequence[NewTimer], *, at: datetime) -> None:
        with self._write() as con:
            self._insert_timers(con, timers, _naive(at))

    def next_due(self) -> datetime | None:
        rows = self._read("SELECT min(due_at) FROM orch_timers")
        return _aware(rows[0][0]) if rows else None

    def due(self, now: datetime, limit: int) -> list[DueTimer]:
        rows = self._read(
            """SELECT t.timer_id, t.flow_id, t.step_id, t.due_at, t.kind, t.state, t.attempts,
                      t.run_id, t.profile_id, t.channel, t.context, t.started_at, s.payload,
                      coalesce(s.target, ''), coalesce(s.subject, ''), s.user_id,
                      s.anonymous_id, s.experience_id, s.decision_id, s.first_tried_at
               FROM (SELECT * FROM orch_timers WHERE due_at <= ?
                     ORDER BY due_at, timer_id LIMIT ?) t
               LEFT JOIN orch_sending s ON s.timer_id = t.timer_id
               ORDER BY t.due_at, t.timer_id""",
            [_naive(now), limit],
        )
        return [
            DueTimer(
                timer_id=r[0],
                flow_id=r[1],
                step_id=r[2],
                due_at=r[3].replace(tzinfo=UTC),
                kind=r[4],
                state=r[5],
                attempts=r[6],
                run_id=r[7],
                profile_id=r[8],
                channel=r[9],
                run_context=r[10],
                run_started_at=_aware(r[11]),
                payload=r[12],
                target=r[13],
                subject=r[14],
                user_id=r[15],
                anonymous_id=r[16],
                experience_id=r[17],
                decision_id=r[18],
                first_tried_at=_aware(r[19]),
            )
            for r in rows
        ]

    # -- delivery -------------------------------------------------------------------------------

    def record_sending(self, messages: Sequence[MessageRow]) -> None:
        if not messages:
            return
        rows = [
            {
                "timer_id": m.message_id,
                "attempts": m.attempts,
                "payload": m.payload,
                "target": m.target,
                "subject": m.subject,
                "user_id": m.user_id,
                "anonymous_id": m.anonymous_id,
                "experience_id": m.experience_id,
                "decision_id": m.decision_id,
                "first_tried_at": _naive(m.created_at),
            }
            for m in _unique(messages, "message_id")
        ]
        with self._write() as con, self._registered(con, "_wm_sending", _table(_SENDING, rows)):
            # a retry replaces the row its first attempt wrote (same payload, new attempt count)
            con.execute(
                "DELETE FROM orch_sending WHERE timer_id IN (SELECT timer_id FROM _wm_sending)"
            )
            con.execute("INSERT INTO orch_sending SELECT * FROM _wm_sending")

    def complete(self, completion: Completion) -> None:
        c = completion
        now = _naive(c.at)
        with self._write() as con:
            if c.messages:
                table = _table(
                    _MESSAGES, [_message_row(m) for m in _unique(c.messages, "message_id")]
                )
                with self._registered(con, "_wm_messages", table):
                    con.execute(
                        """INSERT INTO orch_messages SELECT * FROM _wm_messages
                           ON CONFLICT DO NOTHING"""
                    )
            if c.done:
                with self._registered(con, "_wm_done", _ids([d.timer_id for d in c.done])):
                    con.execute(
                        "DELETE FROM orch_timers WHERE timer_id IN (SELECT id FROM _wm_done)"
                    )
                    con.execute(
                        "DELETE FROM orch_sending WHERE timer_id IN (SELECT id FROM _wm_done)"
                    )
            if c.rescheduled:
                rows = [
                    {
                        "timer_id": r.timer_id,
                        "due_at": _naive(r.due_at),
                        "attempts": r.attempts,
                        "state": r.state,
                        "reason": r.reason,
                    }
                    for r in _unique(c.rescheduled, "timer_id")
                ]
                with self._registered(con, "_wm_resched", _table(_RESCHEDULE, rows)):
                    con.execute(
                        """UPDATE orch_timers SET due_at = r.due_at, attempts = r.attempts,
                                  state = r.state, reason = r.reason
                           FROM _wm_resched r WHERE orch_timers.timer_id = r.timer_id"""
                    )
            nexts = [d.next for d in c.done if d.next is not None]
            self._insert_timers(con, [*nexts, *c.timers], now)
            ends = _unique([d for d in c.done if d.finish is not None and d.run_id], "run_id")
            if ends:
                table = _table(
                    _ENDS,
                    [{"run_id": d.run_id, "status": d.finish, "reason": d.reason} for d in ends],
                )
                with self._registered(con, "_wm_ends", table):
                    con.execute(
                        """INSERT INTO orch_run_ends SELECT run_id, status, reason, ?
                           FROM _wm_ends ON CONFLICT DO NOTHING""",
                        [now],
                    )
            self._start(con, c.runs, c.at)

    # -- the delivery log -----------------------------------------------------------------------

    def messages(
        self,
        *,
        profile_id: str | None = None,
        flow_id: str | None = None,
        statuses: Sequence[MessageStatus] = (),
        limit: int = 100,
    ) -> list[MessageRecord]:
        where, params = ["TRUE"], []
        for column, value in (("profile_id", profile_id), ("flow_id", flow_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = " AND ".join(where)
        wanted = set(statuses)
        live: list[MessageRecord] = []
        if not wanted or wanted & {"scheduled", "sending", "retrying"}:
            rows = self._read(
                f"""SELECT {_LIVE_RECORD} FROM {_LIVE_FROM}
                    WHERE {clause} AND t.kind = 'step' AND t.channel IS NOT NULL
                    ORDER BY t.due_at, t.timer_id LIMIT ?""",
                [*params, limit],
            )
            live = [r for r in map(_record, rows) if not wanted or r.status in wanted]
        done: list[MessageRecord] = []
        final = [s for s in statuses if s not in ("scheduled", "sending", "retrying")]
        if not wanted or final:
            status_clause = f" AND status IN ({', '.join('?' for _ in final)})" if final else ""
            rows = self._read(
                f"""SELECT {_RECORD} FROM orch_messages WHERE {clause}{status_clause}
                    ORDER BY updated_at DESC, message_id LIMIT ?""",
                [*params, *final, limit],
            )
            done = [_record(r) for r in rows]
        return (live + done)[:limit]

    def message(self, message_id: str) -> MessageRow | None:
        rows = self._read(
            f"SELECT {', '.join(_MESSAGES.names)} FROM orch_messages WHERE message_id = ?",
            [message_id],
        ) or self._read(
            # a send still in flight: the mail server may hand the email (and its links) to the
            # reader before the send's outcome is recorded here
            f"SELECT {_LIVE_MESSAGE} FROM {_LIVE_FROM} WHERE t.timer_id = ? "
            "AND s.timer_id IS NOT NULL",
            [message_id],
        )
        if not rows:
            return None
        data = dict(zip(_MESSAGES.names, rows[0], strict=True))
        for name in ("created_at", "updated_at", "sent_at", "due_at"):
            data[name] = _aware(data[name])
        return MessageRow(**data)

    def contacts(self, profile_id: str, *, since: datetime) -> list[Contact]:
        rows = self._read(
            """SELECT channel, sent_at, experience_id FROM orch_messages
               WHERE profile_id = ? AND status = 'sent' AND sent_at >= ?
               ORDER BY sent_at DESC""",
            [profile_id, _naive(since)],
        )
        return [
            Contact(channel=r[0], at=r[1].replace(tzinfo=UTC), experience_id=r[2]) for r in rows
        ]

    def counts(self) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        runs: dict[str, dict[str, int]] = {}
        for flow, status, n in self._read(
            """SELECT r.flow_id, coalesce(e.status, 'active'), count(*)
               FROM orch_runs r LEFT JOIN orch_run_ends e ON e.run_id = r.run_id
               GROUP BY ALL ORDER BY ALL"""
        ):
            runs.setdefault(flow, {})[status] = n
        messages: dict[str, dict[str, int]] = {}
        for flow, status, n in self._read(
            f"""SELECT flow_id, status, count(*) FROM orch_messages GROUP BY ALL
                UNION ALL
                SELECT t.flow_id, {_LIVE_STATUS}, count(*) FROM {_LIVE_FROM}
                WHERE t.kind = 'step' AND t.channel IS NOT NULL GROUP BY ALL
                ORDER BY ALL"""
        ):
            bucket = messages.setdefault(flow, {})
            bucket[status] = bucket.get(status, 0) + n
        return runs, messages

    def activity(
        self, *, since: datetime, until: datetime
    ) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], dict[str, int]]]:
        window = [_naive(since), _naive(until)]
        runs: dict[str, dict[str, int]] = {}
        for flow, status, n in self._read(
            """SELECT flow_id, 'started', count(*) FROM orch_runs
               WHERE started_at > ? AND started_at <= ? GROUP BY ALL
               UNION ALL
               SELECT r.flow_id, e.status, count(*)
               FROM orch_run_ends e JOIN orch_runs r USING (run_id)
               WHERE e.ended_at > ? AND e.ended_at <= ? GROUP BY ALL""",
            window + window,
        ):
            runs.setdefault(flow, {})[status] = n
        messages: dict[tuple[str, str], dict[str, int]] = {}
        for flow, step, status, n in self._read(
            """SELECT flow_id, step_id, status, count(*) FROM orch_messages
               WHERE updated_at > ? AND updated_at <= ? GROUP BY ALL""",
            window,
        ):
            messages.setdefault((flow, step), {})[status] = n
        return runs, messages

    # -- inbox ----------------------------------------------------------------------------------

    def inbox_add(self, rows: Sequence[InboxRow]) -> None:
        if not rows:
            return
        table = _table(
            _INBOX,
            [
                {**msgspec.structs.asdict(r), "created_at": _naive(r.created_at)}
                for r in _unique(rows, "message_id")
            ],
        )
        with self._write() as con, self._registered(con, "_wm_inbox", table):
            con.execute(
                """INSERT INTO orch_inbox SELECT *, NULL FROM _wm_inbox ON CONFLICT DO NOTHING"""
            )

    def inbox(self, profile_id: str, *, limit: int = 50) -> list[InboxMessage]:
        rows = self._read(
            """SELECT message_id, title, body, url, flow_id, created_at, read_at FROM orch_inbox
               WHERE profile_id = ? ORDER BY created_at DESC, message_id LIMIT ?""",
            [profile_id, limit],
        )
        return [
            InboxMessage(
                id=r[0],
                title=r[1],
                body=r[2],
                url=r[3],
                flow_id=r[4],
                created_at=r[5].replace(tzinfo=UTC),
                read_at=_aware(r[6]),
            )
            for r in rows
        ]

    def inbox_read(self, profile_id: str, message_id: str, *, at: datetime) -> bool:
        with self._write() as con:
            found = con.execute(
                "SELECT count(*) FROM orch_inbox WHERE profile_id = ? AND message_id = ?",
                [profile_id, message_id],
            ).fetchone()
            con.execute(
                """UPDATE orch_inbox SET read_at = ?
                   WHERE profile_id = ? AND message_id = ? AND read_at IS NULL""",
                [_naive(at), profile_id, message_id],
            )
        return bool(found and found[0])

    # -- flows saved through the admin API ------------------------------------------------------

    def saved_flows(self) -> list[tuple[str, str]]:
        rows = self._read("SELECT flow_id, text FROM orch_flows ORDER BY flow_id")
        return [(r[0], r[1]) for r in rows]

    def save_flow(self, flow_id: str, text: str, *, at: datetime) -> None:
        with self._write() as con:
            con.execute(
                "INSERT OR REPLACE INTO orch_flows VALUES (?, ?, ?)", [flow_id, text, _naive(at)]
            )

    def delete_flow(self, flow_id: str) -> bool:
        with self._write() as con:
            gone = con.execute(
                "DELETE FROM orch_flows WHERE flow_id = ? RETURNING flow_id", [flow_id]
            ).fetchall()
        return bool(gone)
