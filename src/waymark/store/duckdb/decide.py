"""Decide's ports on DuckDB: the decision log (offers and counted feedback), the catalog
last set through the admin API, and the audience history (joins, leaves, exports).

A decision is stored whole as msgspec JSON (it is read back whole, to explain it), plus one
row per offered experience so contact history is a plain query. Decisions are written behind:
``save`` only buffers, and a timer thread inserts the buffer with one Arrow insert after
``max_delay_s`` (at once when ``flush_every`` decisions wait): a DuckDB commit costs
milliseconds, a decision must not. Reads see buffered decisions; ``flush`` writes now and
``close`` stops the timer and flushes (the owner must call it at shutdown). A crash loses at
most the buffer, which nothing else depends on (decisions are derived records; the event log
is the source of truth).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import msgspec
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.core.eventframe import to_naive_utc
from waymark.decide.contracts import (
    CatalogPerformance,
    ContactRecord,
    Decision,
    ExperiencePerformance,
    GroupOutcomes,
)
from waymark.decide.ports import AudienceChange, AudienceCount, FeedbackKey, History
from waymark.store.duckdb._arrow import create_tables, insert_rows, read_arrow
from waymark.store.duckdb._database import Database

_DDL = (
    """
    CREATE TABLE IF NOT EXISTS decide_decisions (
        decision_id VARCHAR PRIMARY KEY,
        profile_id VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL,
        holdout BOOLEAN NOT NULL,
        body VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS decide_offers (
        decision_id VARCHAR NOT NULL,
        profile_id VARCHAR NOT NULL,
        experience_id VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL,
        stage VARCHAR NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS decide_offers_profile ON decide_offers (profile_id)",
    """
    CREATE TABLE IF NOT EXISTS decide_feedback (
        decision_id VARCHAR NOT NULL,
        experience_id VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        profile_id VARCHAR,
        PRIMARY KEY (decision_id, experience_id, outcome)
    )
    """,
    "CREATE INDEX IF NOT EXISTS decide_feedback_profile ON decide_feedback (profile_id)",
    """
    CREATE TABLE IF NOT EXISTS decide_catalog (
        version VARCHAR NOT NULL,
        saved_at TIMESTAMP NOT NULL,
        document VARCHAR NOT NULL
    )
    """,
)
_TS = pa.timestamp("us")
_DECISIONS = pa.schema(
    [
        ("decision_id", pa.string()),
        ("profile_id", pa.string()),
        ("channel", pa.string()),
        ("decided_at", _TS),
        ("holdout", pa.bool_()),
        ("body", pa.string()),
    ]
)
_OFFERS = pa.schema(
    [
        ("decision_id", pa.string()),
        ("profile_id", pa.string()),
        ("experience_id", pa.string()),
        ("channel", pa.string()),
        ("decided_at", _TS),
        ("stage", pa.string()),
    ]
)
_KEYS = pa.schema([("decision_id", pa.string()), ("experience_id", pa.string())])
_FEEDBACK = pa.schema(
    [
        ("decision_id", pa.string()),
        ("experience_id", pa.string()),
        ("outcome", pa.string()),
        ("profile_id", pa.string()),
    ]
)
log = logging.getLogger("waymark.store.decide")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Decision).decode


class DuckDBDecisionLog:
    """``waymark.decide.ports.DecisionLog`` on DuckDB, with write-behind batching."""

    def __init__(
        self,
        db: Database,
        *,
        flush_every: int = 256,
        max_delay_s: float = 0.5,
        cache_profiles: int = 50_000,
    ) -> None:
        self._db = db
        self._flush_every = flush_every
        self._max_delay = max_delay_s
        self._pending: dict[str, Decision] = {}
        self._writing: dict[str, Decision] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False
        # recent history of recently seen profiles: a point query costs ~1 ms in DuckDB, and a
        # profile usually gets several decisions in a row (page after page)
        self._cache: OrderedDict[str, _Recent] = OrderedDict()
        self._cache_size = cache_profiles
        create_tables(db, _DDL, "decision")
        # profiles that have any history at all: most decisions are for people decide has
        # never offered anything, and for them no query is needed
        self._known: set[str] = {
            r[0]
            for r in db.cursor()
            .execute(
                "SELECT DISTINCT profile_id FROM decide_offers UNION "
                "SELECT DISTINCT profile_id FROM decide_feedback WHERE profile_id IS NOT NULL"
            )
            .fetchall()
        }

    def save(self, decision: Decision) -> None:
        with self._lock:
            self._pending[decision.decision_id] = decision
            offered = [
                ContactRecord(experience_id=c.id, channel=decision.channel, at=decision.at)
                for c in decision.experiences
            ]
            cached = self._cache.get(decision.profile_id)
            if cached is not None:
                cached.contacts.extend(offered)
            elif offered and decision.profile_id not in self._known:
                # a first offer: this is the profile's whole history, no query will be needed
                self._remember(decision.profile_id, _Recent(_EPOCH, offered, set()))
            if offered:
                self._known.add(decision.profile_id)
            if self._timer is None and not self._closed:
                # one short-lived timer per batch rather than a resident thread: nothing of
                # the store outlives the process's last decision by more than max_delay_s
                soon = len(self._pending) >= self._flush_every
                self._timer = threading.Timer(0 if soon else self._max_delay, self._timed_flush)
                self._timer.daemon = True
                self._timer.start()

    def _timed_flush(self) -> None:
        try:
            self.flush()
        except StorageError:
            # they stay pending: the next save schedules another try, close() raises
            log.exception("decide: writing decisions failed")
        with self._lock:
            self._timer = None

    def flush(self) -> None:
        """Write every pending decision now (also waits for a write in progress)."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._writing = batch
            try:
                self._write(list(batch.values()))
            except duckdb.Error as exc:
                with self._lock:
                    self._pending = batch | self._pending
                raise StorageError(f"could not write decisions: {exc}") from None
            finally:
                with self._lock:
                    self._writing = {}

    def close(self) -> None:
        """Stop the timer and write what is pending."""
        with self._lock:
            self._closed = True
            timer = self._timer
        if timer is not None:
            timer.cancel()
        self.flush()

    def _write(self, batch: list[Decision]) -> None:
        if not batch:
            return
        decisions = pa.Table.from_pylist(
            [
                {
                    "decision_id": d.decision_id,
                    "profile_id": d.profile_id,
                    "channel": d.channel,
                    "decided_at": to_naive_utc(d.at),
                    "holdout": d.holdout,
                    "body": _encode(d).decode(),
                }
                for d in batch
            ],
            schema=_DECISIONS,
        )
        offers = pa.Table.from_pylist(
            [
                {
                    "decision_id": d.decision_id,
                    "profile_id": d.profile_id,
                    "experience_id": c.id,
                    "channel": d.channel,
                    "decided_at": to_naive_utc(d.at),
                    "stage": c.stage,
                }
                for d in batch
                for c in d.experiences
            ],
            schema=_OFFERS,
        )
        with self._db.transaction() as con:
            con.register("pending_decisions", decisions)
            con.register("pending_offers", offers)
            try:
                con.execute("INSERT INTO decide_decisions SELECT * FROM pending_decisions")
                con.execute("INSERT INTO decide_offers SELECT * FROM pending_offers")
            finally:
                con.unregister("pending_decisions")
                con.unregister("pending_offers")

    def get(self, decision_id: str) -> Decision | None:
        with self._lock:
            pending = self._pending.get(decision_id) or self._writing.get(decision_id)
        if pending is not None:
            return pending
        row = (
            self._db.cursor()
            .execute("SELECT body FROM decide_decisions WHERE decision_id = ?", [decision_id])
            .fetchone()
        )
        return None if row is None else _decode(row[0])

    def mark_feedback(self, keys: Sequence[FeedbackKey]) -> list[bool]:
        if not keys:
            return []
        # feedback rows carry the decision's profile, so its decision must be written first
        self.flush()
        table = pa.Table.from_pylist(
            [
                {"decision_id": d, "experience_id": e, "outcome": o, "profile_id": None}
                for d, e, o in dict.fromkeys(keys)
            ],
            schema=_FEEDBACK,
        )
        with self._db.transaction() as con:
            con.register("new_feedback", table)
            try:
                rows = con.execute(
                    """
                    INSERT INTO decide_feedback
                    SELECT f.decision_id, f.experience_id, f.outcome, d.profile_id
                    FROM new_feedback f LEFT JOIN decide_decisions d USING (decision_id)
                    ON CONFLICT DO NOTHING
                    RETURNING decision_id, experience_id, outcome, profile_id
                    """
                ).fetchall()
            finally:
                con.unregister("new_feedback")
        inserted = {(d, e, o) for d, e, o, _ in rows}
        with self._lock:
            for _, e, o, profile_id in rows:
                cached = self._cache.get(profile_id) if profile_id else None
                if cached is not None and o != "viewed":
                    cached.consumed.add(e)
        fresh: list[bool] = []
        for key in keys:
            fresh.append(key in inserted)
            inserted.discard(key)
        return fresh

    def offer_stages(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        with self._lock:
            for d in (*self._pending.values(), *self._writing.values()):
                out.update({(d.decision_id, c.id): c.stage for c in d.experiences})
        wanted = [k for k in dict.fromkeys(keys) if k not in out]
        if wanted:
            table = pa.Table.from_pylist(
                [{"decision_id": d, "experience_id": e} for d, e in wanted], schema=_KEYS
            )
            con = self._db.cursor()
            con.register("wanted_offers", table)
            try:
                rows = con.execute(
                    "SELECT o.decision_id, o.experience_id, o.stage FROM decide_offers o "
                    "JOIN wanted_offers w USING (decision_id, experience_id)"
                ).fetchall()
            finally:
                con.unregister("wanted_offers")
            out.update({(d, e): stage for d, e, stage in rows})
        return {k: out[k] for k in keys if k in out}

    def performance(self, *, since: datetime, until: datetime) -> CatalogPerformance:
        self.flush()
        window = {"since": to_naive_utc(since), "until": to_naive_utc(until)}
        con = self._db.cursor()
        totals = con.execute(_TOTALS, window).fetchone()
        rows = con.execute(_PERFORMANCE, window).fetchall()
        decisions, holdout = totals if totals is not None else (0, 0)
        return CatalogPerformance(
            since=since,
            until=until,
            decisions=decisions,
            holdout_decisions=holdout,
            experiences=_performance(rows),
        )

    def _remember(self, profile_id: str, recent: _Recent) -> None:
        self._cache[profile_id] = recent
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def history(self, profile_id: str, *, since: datetime) -> History:
        with self._lock:
            if profile_id not in self._known:
                return History([], frozenset())
            cached = self._cache.get(profile_id)
            if cached is not None and cached.since <= since:
                self._cache.move_to_end(profile_id)
                return History(
                    [c for c in cached.contacts if c.at >= since], frozenset(cached.consumed)
                )
        rows = (
            self._db.cursor()
            .execute(
                """
                SELECT experience_id, channel, decided_at FROM decide_offers
                WHERE profile_id = ? AND decided_at >= ?
                UNION ALL
                SELECT DISTINCT experience_id, NULL, NULL FROM decide_feedback
                WHERE profile_id = ? AND outcome <> 'viewed'
                """,
                [profile_id, to_naive_utc(since), profile_id],
            )
            .fetchall()
        )
        contacts = [
            ContactRecord(experience_id=e, channel=c, at=at.replace(tzinfo=UTC))
            for e, c, at in rows
            if c is not None
        ]
        consumed = {e for e, c, _ in rows if c is None}
        with self._lock:
            contacts += [
                ContactRecord(experience_id=c.id, channel=d.channel, at=d.at)
                for d in (*self._pending.values(), *self._writing.values())
                if d.profile_id == profile_id and d.at >= since
                for c in d.experiences
            ]
            self._remember(profile_id, _Recent(since, list(contacts), set(consumed)))
        return History(contacts, frozenset(consumed))


_PERFORMANCE = """
WITH d AS (
    SELECT decision_id, holdout, body FROM decide_decisions
    WHERE decided_at > $since AND decided_at <= $until
),
looked AS (
    SELECT decision_id,
           unnest(json_extract_string(body, '$.candidates[*].experience_id')) AS e,
           NULL::VARCHAR AS code
    FROM d
    UNION ALL
    SELECT decision_id,
           unnest(json_extract_string(body, '$.excluded[*].experience_id')),
           unnest(json_extract_string(body, '$.excluded[*].policy'))
    FROM d
)
SELECT e, 'considered', NULL, NULL, count(DISTINCT decision_id) FROM looked GROUP BY e
UNION ALL
SELECT e, 'eligible', NULL, NULL, count(*) FROM looked WHERE code IS NULL GROUP BY e
UNION ALL
SELECT e, 'excluded', code, NULL, count(*) FROM looked WHERE code IS NOT NULL GROUP BY e, code
UNION ALL
SELECT o.experience_id, 'outcome', 'chosen', d.holdout, count(*)
FROM decide_offers o JOIN d USING (decision_id) GROUP BY ALL
UNION ALL
SELECT f.experience_id, 'outcome', f.outcome, d.holdout, count(*)
FROM decide_feedback f JOIN d USING (decision_id) GROUP BY ALL
"""
_TOTALS = """
SELECT count(*), count(*) FILTER (WHERE holdout) FROM decide_decisions
WHERE decided_at > $since AND decided_at <= $until
"""


def _performance(
    rows: list[tuple[str, str, str | None, bool | None, int]],
) -> tuple[ExperiencePerformance, ...]:
    """Long rows (experience, figure, key, holdout, count) from ``_PERFORMANCE`` into one
    record per experience (rows are aggregates: experiences x codes, never decisions)."""
    figures: dict[str, dict[str, int]] = {}
    excluded: dict[str, dict[str, int]] = {}
    groups: dict[tuple[str, bool], dict[str, int]] = {}
    for e, figure, key, holdout, n in rows:
        if figure == "excluded" and key is not None:
            excluded.setdefault(e, {})[key] = n
        elif figure == "outcome" and key is not None:
            groups.setdefault((e, bool(holdout)), {})[key] = n
        else:
            figures.setdefault(e, {})[figure] = n
    seen = sorted({*figures, *excluded, *(e for e, _ in groups)})
    return tuple(
        ExperiencePerformance(
            experience_id=e,
            considered=figures.get(e, {}).get("considered", 0),
            eligible=figures.get(e, {}).get("eligible", 0),
            excluded=dict(sorted(excluded.get(e, {}).items())),
            treated=GroupOutcomes(**groups.get((e, False), {})),
            holdout=GroupOutcomes(**groups.get((e, True), {})),
        )
        for e in seen
    )


@dataclass
class _Recent:
    """A cached history: complete for offers since ``since``."""

    since: datetime
    contacts: list[ContactRecord]
    consumed: set[str]


class DuckDBCatalogStore:
    """``waymark.decide.ports.CatalogStore`` on DuckDB: every saved version is kept."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "decision")

    def load(self) -> str | None:
        row = (
            self._db.cursor()
            .execute(
                "SELECT document FROM decide_catalog ORDER BY saved_at DESC, rowid DESC LIMIT 1"
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def save(self, document: str, *, version: str, at: datetime) -> None:
        with self._db.transaction() as con:
            con.execute(
                "INSERT INTO decide_catalog VALUES (?, ?, ?)", [version, to_naive_utc(at), document]
            )


_AUDIENCE_DDL = (
    """
    CREATE TABLE IF NOT EXISTS decide_audience_counts (counted_at TIMESTAMP NOT NULL)
    """,
    # one row per member, not a list per audience: privacy's sweep matches whole text values,
    # so it finds (and deletes just) the rows naming an erased person
    """
    CREATE TABLE IF NOT EXISTS decide_audience_members (
        audience VARCHAR NOT NULL,
        profile_id VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS decide_audience_changes (
        "at" TIMESTAMP NOT NULL,
        audience VARCHAR NOT NULL,
        added BIGINT NOT NULL,
        removed BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS decide_audience_exports (
        audience VARCHAR PRIMARY KEY,
        exported_at TIMESTAMP NOT NULL
    )
    """,
)
_MEMBERS = pa.schema([("audience", pa.string()), ("profile_id", pa.string())])
_CHANGES = pa.schema(
    [("at", _TS), ("audience", pa.string()), ("added", pa.int64()), ("removed", pa.int64())]
)
_EXPORTS = pa.schema([("audience", pa.string()), ("exported_at", _TS)])
_COUNTED = pa.schema([("counted_at", _TS)])


class DuckDBAudienceHistory:
    """``waymark.decide.ports.AudienceHistory`` on DuckDB. A count's members are compared
    with the stored ones in SQL and only the difference is written: the stored members are
    always exactly the last count's, and the write lock (which ingest's commits wait on) is
    held for ~50 ms at 150,000 members rather than ~300 ms for a rewrite of them all."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _AUDIENCE_DDL, "audience history")

    def record_count(
        self, count: AudienceCount, changes: Sequence[AudienceChange], *, forget_before: datetime
    ) -> None:
        members = _member_rows(count.members)
        found = pa.Table.from_pylist(
            [c._asdict() | {"at": to_naive_utc(c.at)} for c in changes], schema=_CHANGES
        )
        try:
            with self._db.transaction() as con:
                con.execute("DELETE FROM decide_audience_counts")
                con.execute(
                    "INSERT INTO decide_audience_counts VALUES (?)", [to_naive_utc(count.at)]
                )
                con.register("_members", members)
                try:
                    con.execute(
                        "DELETE FROM decide_audience_members m WHERE NOT EXISTS (SELECT 1 "
                        "FROM _members n WHERE n.audience = m.audience "
                        "AND n.profile_id = m.profile_id)"
                    )
                    con.execute(
                        "INSERT INTO decide_audience_members SELECT n.audience, n.profile_id "
                        "FROM _members n ANTI JOIN decide_audience_members m "
                        "USING (audience, profile_id)"
                    )
                finally:
                    con.unregister("_members")
                insert_rows(con, "decide_audience_changes", _CHANGES, found)
                con.execute(
                    'DELETE FROM decide_audience_changes WHERE "at" < ?',
                    [to_naive_utc(forget_before)],
                )
        except duckdb.Error as exc:
            raise StorageError(f"could not record the audience count: {exc}") from None

    def last_count(self) -> AudienceCount | None:
        counted = self._read(
            "SELECT counted_at FROM decide_audience_counts", "decide_audience_counts", _COUNTED
        )
        if counted.num_rows == 0:
            return None
        rows = self._read(
            "SELECT audience, profile_id FROM decide_audience_members",
            "decide_audience_members",
            _MEMBERS,
        )
        members: dict[str, set[str]] = {}
        for audience, profile_id in zip(
            rows.column("audience").to_pylist(), rows.column("profile_id").to_pylist(), strict=True
        ):
            members.setdefault(audience, set()).add(profile_id)
        at = counted.column("counted_at")[0].as_py().replace(tzinfo=UTC)
        return AudienceCount(at, {k: frozenset(v) for k, v in members.items()})

    def changes(self, *, since: datetime) -> list[AudienceChange]:
        rows = self._read(
            'SELECT "at", audience, added, removed FROM decide_audience_changes '
            'WHERE "at" >= $since ORDER BY "at", audience',
            "decide_audience_changes",
            _CHANGES,
            {"since": to_naive_utc(since)},
        )
        return [
            AudienceChange(r["at"].replace(tzinfo=UTC), r["audience"], r["added"], r["removed"])
            for r in rows.to_pylist()
        ]

    def forget(self, profile_ids: Sequence[str]) -> int:
        if not profile_ids:
            return 0
        try:
            with self._db.transaction() as con:
                row = con.execute(
                    "DELETE FROM decide_audience_members WHERE profile_id IN (SELECT unnest($ids))",
                    {"ids": list(profile_ids)},
                ).fetchone()
        except duckdb.Error as exc:
            raise StorageError(f"could not forget audience members: {exc}") from None
        return int(row[0]) if row else 0

    def record_export(self, audience: str, at: datetime) -> None:
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO decide_audience_exports VALUES (?, ?)",
                [audience, to_naive_utc(at)],
            )
        except duckdb.Error as exc:
            raise StorageError(f"could not record the export of {audience!r}: {exc}") from None

    def exports(self) -> dict[str, datetime]:
        rows = self._read(
            "SELECT audience, exported_at FROM decide_audience_exports",
            "decide_audience_exports",
            _EXPORTS,
        )
        return {r["audience"]: r["exported_at"].replace(tzinfo=UTC) for r in rows.to_pylist()}

    def _read(
        self, sql: str, table: str, schema: pa.Schema, params: dict[str, object] | None = None
    ) -> pa.Table:
        return read_arrow(
            self._db, sql, guard=table, what="the audience history", params=params, schema=schema
        )


def _member_rows(members: Mapping[str, frozenset[str]]) -> pa.Table:
    pairs = [(name, pid) for name, ids in members.items() for pid in ids]
    return pa.table(
        {"audience": [a for a, _ in pairs], "profile_id": [p for _, p in pairs]}, schema=_MEMBERS
    )
