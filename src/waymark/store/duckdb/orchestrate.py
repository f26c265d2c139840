"""``waymark.orchestrate.ports.FlowStore`` on DuckDB: runs, timers, the delivery log, inboxes
and flows saved through the admin API.

Each write is one transaction on the shared connection; batches go in through Arrow, not row
by row. Only live timers are kept (a completed step's timer is deleted), so finding the next
due time and the due steps stays a scan of what is pending, however long Waymark has run.
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
import pyarrow.compute as pc

from waymark.core.errors import StorageError
from waymark.core.eventframe import to_naive_utc
from waymark.orchestrate.contracts import (
    InboxMessage,
    MessageRecord,
    MessageStatus,
    RunStatus,
)
from waymark.orchestrate.ports import (
    Completion,
    Contact,
    DueTimer,
    InboxRow,
    MessageRow,
    NewRun,
    NewTimer,
)
from waymark.store.duckdb._database import Database

_DDL = (
    "CREATE TABLE IF NOT EXISTS orch_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS orch_runs (
        run_id VARCHAR PRIMARY KEY, flow_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL,
        occurrence VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        context VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS orch_timers (
        timer_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, flow_id VARCHAR NOT NULL,
        step_id VARCHAR NOT NULL, run_id VARCHAR, profile_id VARCHAR, channel VARCHAR,
        due_at TIMESTAMP NOT NULL, state VARCHAR NOT NULL, attempts INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
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
_RUNS = pa.schema(
    [
        ("run_id", _S),
        ("flow_id", _S),
        ("profile_id", _S),
        ("occurrence", _S),
        ("context", _S),
        ("started_at", _TS),
        ("reentry", _S),
        ("t_timer_id", _S),
        ("t_step_id", _S),
        ("t_channel", _S),
        ("t_due_at", _TS),
    ]
)
_TIMERS = pa.schema(
    [
        ("timer_id", _S),
        ("kind", _S),
        ("flow_id", _S),
        ("step_id", _S),
        ("run_id", _S),
        ("profile_id", _S),
        ("channel", _S),
        ("due_at", _TS),
    ]
)
_MESSAGES = pa.schema(
    [
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
        ("attempts", pa.int32()),
        ("payload", _S),
        ("user_id", _S),
        ("anonymous_id", _S),
        ("experience_id", _S),
        ("decision_id", _S),
        ("created_at", _TS),
        ("updated_at", _TS),
        ("sent_at", _TS),
        ("due_at", _TS),
    ]
)
_MESSAGE_COLUMNS = ", ".join(_MESSAGES.names)
_RECORD_COLUMNS = (
    "message_id, profile_id, flow_id, step_id, run_id, channel, status, reason, target, subject, "
    "attempts, experience_id, decision_id, created_at, updated_at, sent_at, due_at"
)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _naive(value: datetime) -> datetime:
    out = to_naive_utc(value)
    assert out is not None
    return out


def _table(schema: pa.Schema, rows: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=schema)


def _timer_row(t: NewTimer) -> dict[str, Any]:
    return {
        "timer_id": t.timer_id,
        "kind": t.kind,
        "flow_id": t.flow_id,
        "step_id": t.step_id,
        "run_id": t.run_id,
        "profile_id": t.profile_id,
        "channel": t.channel,
        "due_at": _naive(t.due_at),
    }


def _message_row(m: MessageRow) -> dict[str, Any]:
    row = msgspec.structs.asdict(m)
    for name in ("created_at", "updated_at", "sent_at", "due_at"):
        row[name] = to_naive_utc(row[name])
    return row


def _unique(items: Sequence[Any], key: str) -> list[Any]:
    """The last item per key (one outcome per timer or message in a write)."""
    return list({getattr(i, key): i for i in items}.values())


class DuckDBFlowStore:
    """Orchestration state in the shared DuckDB database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        if not db.read_only:
            for ddl in _DDL:
                db.execute(ddl)

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            with self._db.transaction() as con:
                yield con
        except duckdb.Error as exc:
            raise StorageError(f"orchestration store write failed: {exc}") from None

    def _read(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            with self._db.cursor() as cur:
                return cur.execute(sql, params or []).fetchall()
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
        rows = [
            {
                "run_id": r.run_id,
                "flow_id": r.flow_id,
                "profile_id": r.profile_id,
                "occurrence": r.occurrence,
                "context": r.context,
                "started_at": _naive(r.started_at),
                "reentry": r.reentry,
                "t_timer_id": r.first.timer_id if r.first else None,
                "t_step_id": r.first.step_id if r.first else None,
                "t_channel": r.first.channel if r.first else None,
                "t_due_at": _naive(r.first.due_at) if r.first else None,
            }
            for r in unique.values()
        ]
        now = _naive(at)
        with self._registered(con, "_wm_new_runs", _table(_RUNS, rows)):
            fresh_ids = [
                row[0]
                for row in con.execute(
                    """SELECT n.run_id FROM _wm_new_runs n
                       WHERE NOT EXISTS (SELECT 1 FROM orch_runs r WHERE r.run_id = n.run_id)
                         AND NOT (n.reentry = 'once' AND EXISTS (
                             SELECT 1 FROM orch_runs r
                             WHERE r.flow_id = n.flow_id AND r.profile_id = n.profile_id))"""
                ).fetchall()
            ]
        if not fresh_ids:
            return 0
        table = _table(_RUNS, rows)
        fresh = table.filter(pc.is_in(table.column("run_id"), pa.array(fresh_ids, _S)))
        with self._registered(con, "_wm_fresh", fresh):
            replaced = con.execute(
                """UPDATE orch_runs SET status = 'replaced',
                          reason = 'a new trigger occurrence replaced it', updated_at = ?
                   WHERE status = 'active' AND (flow_id, profile_id) IN (
                       SELECT flow_id, profile_id FROM _wm_fresh WHERE reentry = 'replace')
                   RETURNING run_id""",
                [now],
            ).fetchall()
            self._drop_timers(con, [r[0] for r in replaced], now, "run replaced")
            con.execute(
                """INSERT INTO orch_runs
                   SELECT run_id, flow_id, profile_id, occurrence,
                          CASE WHEN t_timer_id IS NULL THEN 'done' ELSE 'active' END, '',
                          context, started_at, ? FROM _wm_fresh""",
                [now],
            )
            con.execute(
                """INSERT INTO orch_timers
                   SELECT t_timer_id, 'step', flow_id, t_step_id, run_id, profile_id, t_channel,
                          t_due_at, 'pending', 0, ? FROM _wm_fresh WHERE t_timer_id IS NOT NULL
                   ON CONFLICT DO NOTHING""",
                [now],
            )
        return len(fresh_ids)

    def _drop_timers(
        self, con: duckdb.DuckDBPyConnection, run_ids: Sequence[str], now: datetime, why: str
    ) -> None:
        """Timers of ended runs go; their waiting messages say why they will not be sent."""
        if not run_ids:
            return
        ids = pa.table({"run_id": pa.array(list(run_ids), _S)})
        with self._registered(con, "_wm_ended", ids):
            con.execute(
                """UPDATE orch_messages SET status = 'skipped', reason = ?, updated_at = ?,
                          due_at = NULL
                   WHERE status IN ('scheduled', 'retrying')
                     AND run_id IN (SELECT run_id FROM _wm_ended)""",
                [why, now],
            )
            con.execute("DELETE FROM orch_timers WHERE run_id IN (SELECT run_id FROM _wm_ended)")

    def cancel_runs(
        self, pairs: Sequence[tuple[str, str]], *, status: RunStatus, reason: str, at: datetime
    ) -> int:
        if not pairs:
            return 0
        now = _naive(at)
        table = pa.table(
            {
                "flow_id": pa.array([p[0] for p in pairs], _S),
                "profile_id": pa.array([p[1] for p in pairs], _S),
            }
        )
        with self._write() as con, self._registered(con, "_wm_pairs", table):
            ended = con.execute(
                """UPDATE orch_runs SET status = ?, reason = ?, updated_at = ?
                   WHERE status = 'active'
                     AND (flow_id, profile_id) IN (SELECT flow_id, profile_id FROM _wm_pairs)
                   RETURNING run_id""",
                [status, reason, now],
            ).fetchall()
            self._drop_timers(con, [r[0] for r in ended], now, f"run ended: {reason}")
        return len(ended)

    # -- timers ---------------------------------------------------------------------------------

    def _insert_timers(
        self, con: duckdb.DuckDBPyConnection, timers: Sequence[NewTimer], now: datetime
    ) -> None:
        if not timers:
            return
        table = _table(_TIMERS, [_timer_row(t) for t in _unique(timers, "timer_id")])
        with self._registered(con, "_wm_timers", table):
            con.execute(
                f"""INSERT INTO orch_timers
                    SELECT {", ".join(_TIMERS.names)}, 'pending', 0, ? FROM _wm_timers
                    ON CONFLICT DO NOTHING""",
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
                      t.run_id, t.profile_id, r.context, r.started_at, m.payload
               FROM (SELECT * FROM orch_timers WHERE due_at <= ?
                     ORDER BY due_at, timer_id LIMIT ?) t
               LEFT JOIN orch_runs r ON r.run_id = t.run_id
               LEFT JOIN orch_messages m
                      ON m.message_id = t.timer_id AND m.status IN ('sending', 'retrying')
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
                run_context=r[9],
                run_started_at=_aware(r[10]),
                payload=r[11],
            )
            for r in rows
        ]

    # -- delivery -------------------------------------------------------------------------------

    def _upsert_messages(
        self, con: duckdb.DuckDBPyConnection, messages: Sequence[MessageRow]
    ) -> None:
        if not messages:
            return
        table = _table(_MESSAGES, [_message_row(m) for m in _unique(messages, "message_id")])
        keep = ("payload", "user_id", "anonymous_id", "experience_id", "decision_id")
        # a partial row (a re-send knows only the key) must not erase what the first attempt
        # recorded; created_at is the first attempt's
        updates = ", ".join(
            [
                f"{c} = excluded.{c}"
                for c in ("status", "reason", "attempts", "updated_at", "sent_at", "due_at")
            ]
            + [f"{c} = coalesce(excluded.{c}, orch_messages.{c})" for c in keep]
            + [
                f"{c} = CASE WHEN excluded.{c} = '' THEN orch_messages.{c} ELSE excluded.{c} END"
                for c in ("target", "subject")
            ]
        )
        with self._registered(con, "_wm_messages", table):
            con.execute(
                f"""INSERT INTO orch_messages SELECT {_MESSAGE_COLUMNS} FROM _wm_messages
                    ON CONFLICT (message_id) DO UPDATE SET {updates}"""
            )

    def record_sending(self, messages: Sequence[MessageRow]) -> None:
        if not messages:
            return
        ids = pa.table({"timer_id": pa.array([m.message_id for m in messages], _S)})
        with self._write() as con:
            self._upsert_messages(con, messages)
            with self._registered(con, "_wm_sending", ids):
                con.execute(
                    """UPDATE orch_timers SET state = 'sending'
                       WHERE timer_id IN (SELECT timer_id FROM _wm_sending)"""
                )

    def complete(self, completion: Completion) -> None:
        c = completion
        now = _naive(c.at)
        with self._write() as con:
            self._upsert_messages(con, c.messages)
            if c.done:
                done = pa.table({"timer_id": pa.array([d.timer_id for d in c.done], _S)})
                with self._registered(con, "_wm_done", done):
                    con.execute(
                        "DELETE FROM orch_timers WHERE timer_id IN (SELECT timer_id FROM _wm_done)"
                    )
            if c.rescheduled:
                rows = [
                    {"timer_id": r.timer_id, "due_at": _naive(r.due_at), "attempts": r.attempts}
                    for r in _unique(c.rescheduled, "timer_id")
                ]
                table = pa.Table.from_pylist(
                    rows,
                    schema=pa.schema([("timer_id", _S), ("due_at", _TS), ("attempts", pa.int32())]),
                )
                with self._registered(con, "_wm_resched", table):
                    con.execute(
                        """UPDATE orch_timers SET due_at = r.due_at, attempts = r.attempts,
                                  state = 'pending'
                           FROM _wm_resched r WHERE orch_timers.timer_id = r.timer_id"""
                    )
            nexts = [d.next for d in c.done if d.next is not None]
            self._insert_timers(con, [*nexts, *c.timers], now)
            finished = [d for d in c.done if d.finish is not None and d.run_id is not None]
            if finished:
                table = pa.Table.from_pylist(
                    [
                        {"run_id": d.run_id, "status": d.finish, "reason": d.reason}
                        for d in finished
                    ],
                    schema=pa.schema([("run_id", _S), ("status", _S), ("reason", _S)]),
                )
                with self._registered(con, "_wm_finished", table):
                    con.execute(
                        """UPDATE orch_runs SET status = f.status, reason = f.reason,
                                  updated_at = ?
                           FROM _wm_finished f
                           WHERE orch_runs.run_id = f.run_id AND orch_runs.status = 'active'""",
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
        if profile_id is not None:
            where.append("profile_id = ?")
            params.append(profile_id)
        if flow_id is not None:
            where.append("flow_id = ?")
            params.append(flow_id)
        scheduled: list[MessageRecord] = []
        if not statuses or "scheduled" in statuses:
            scheduled = self._scheduled(
                " AND ".join(f"t.{w}" if w != "TRUE" else w for w in where), params, limit
            )
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        rows = self._read(
            f"""SELECT {_RECORD_COLUMNS} FROM orch_messages WHERE {" AND ".join(where)}
                ORDER BY updated_at DESC, message_id LIMIT ?""",
            [*params, limit],
        )
        return (scheduled + [_record(r) for r in rows])[:limit]

    def _scheduled(self, where: str, params: list[Any], limit: int) -> list[MessageRecord]:
        """Send steps not yet tried: timers of send steps with no message row yet."""
        rows = self._read(
            f"""SELECT t.timer_id, t.profile_id, t.flow_id, t.step_id, t.run_id, t.channel,
                       t.created_at, t.due_at
                FROM orch_timers t
                WHERE {where} AND t.kind = 'step' AND t.channel IS NOT NULL
                  AND t.state = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM orch_messages m WHERE m.message_id = t.timer_id)
                ORDER BY t.due_at, t.timer_id LIMIT ?""",
            [*params, limit],
        )
        return [
            MessageRecord(
                message_id=r[0],
                profile_id=r[1],
                flow_id=r[2],
                step_id=r[3],
                run_id=r[4],
                channel=r[5],
                status="scheduled",
                created_at=r[6].replace(tzinfo=UTC),
                updated_at=r[6].replace(tzinfo=UTC),
                due_at=r[7].replace(tzinfo=UTC),
            )
            for r in rows
        ]

    def message(self, message_id: str) -> MessageRow | None:
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM orch_messages WHERE message_id = ?", [message_id]
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
            "SELECT flow_id, status, count(*) FROM orch_runs GROUP BY ALL ORDER BY ALL"
        ):
            runs.setdefault(flow, {})[status] = n
        messages: dict[str, dict[str, int]] = {}
        for flow, status, n in self._read(
            """SELECT flow_id, status, count(*) FROM orch_messages GROUP BY ALL
               UNION ALL
               SELECT t.flow_id, 'scheduled', count(*) FROM orch_timers t
               WHERE t.kind = 'step' AND t.channel IS NOT NULL AND t.state = 'pending'
                 AND NOT EXISTS (SELECT 1 FROM orch_messages m WHERE m.message_id = t.timer_id)
               GROUP BY ALL
               ORDER BY ALL"""
        ):
            bucket = messages.setdefault(flow, {})
            bucket[status] = bucket.get(status, 0) + n
        return runs, messages

    # -- inbox ----------------------------------------------------------------------------------

    def inbox_add(self, rows: Sequence[InboxRow]) -> None:
        if not rows:
            return
        table = pa.Table.from_pylist(
            [
                {**msgspec.structs.asdict(r), "created_at": _naive(r.created_at)}
                for r in _unique(rows, "message_id")
            ],
            schema=pa.schema(
                [
                    ("message_id", _S),
                    ("profile_id", _S),
                    ("flow_id", _S),
                    ("title", _S),
                    ("body", _S),
                    ("url", _S),
                    ("created_at", _TS),
                ]
            ),
        )
        with self._write() as con, self._registered(con, "_wm_inbox", table):
            con.execute(
                """INSERT INTO orch_inbox
                   SELECT message_id, profile_id, flow_id, title, body, url, created_at, NULL
                   FROM _wm_inbox ON CONFLICT DO NOTHING"""
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
        return [
            (r[0], r[1])
            for r in self._read("SELECT flow_id, text FROM orch_flows ORDER BY flow_id")
        ]

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
