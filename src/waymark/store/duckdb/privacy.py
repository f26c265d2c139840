"""Privacy's store in DuckDB: the request log, the suppression list (hashes only), and a sweep
of every other table for rows naming a person.

The sweep reads the catalog instead of knowing each feature's tables, so a store added later
is covered without a change here. A row names the person when a text column equals one of the
needles or holds it as a quoted JSON string (``"value"``), so a short anonymous id does not
match inside unrelated text.

Deleted rows stay in DuckDB's freed blocks after a checkpoint; ``scrub`` rewrites every table
(``_rewrite``, crash-safe) then fills every free block with random bytes and frees them again,
so nothing of the person can be read back from the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import msgspec

from waymark.core.eventframe import to_naive_utc
from waymark.privacy.contracts import PrivacyRequest, RequestStatus
from waymark.store.duckdb._arrow import create_tables, table_exists
from waymark.store.duckdb._database import Database
from waymark.store.duckdb._rewrite import (
    BOOKKEEPING,
    PENDING,
    SCRATCH,
    checkpoint,
    rewrite_all,
)

_DDL = (
    """CREATE TABLE IF NOT EXISTS privacy_requests (
        id VARCHAR PRIMARY KEY,
        received_at TIMESTAMP NOT NULL,
        body VARCHAR NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS privacy_suppressed (digest VARCHAR PRIMARY KEY)",
    # random token ids only; the per-profile table names the person, so an erasure sweeps it
    """CREATE TABLE IF NOT EXISTS privacy_links_revoked (
        token_id VARCHAR PRIMARY KEY, revoked_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS privacy_links_not_before (
        profile_id VARCHAR PRIMARY KEY, not_before TIMESTAMP NOT NULL)""",
)
_OWN = (
    "privacy_requests",
    "privacy_suppressed",
    "privacy_links_revoked",
    "events",
    *BOOKKEEPING,
)
_TEXT = ("VARCHAR", "JSON")
_encode = msgspec.json.encode
_decoder = msgspec.json.Decoder(PrivacyRequest)


class DuckDBPrivacyStore:
    """``privacy.ports.PrivacyStore`` on DuckDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "privacy")

    # -- request log ---------------------------------------------------------------------------

    def save_request(self, request: PrivacyRequest) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO privacy_requests VALUES (?, ?, ?)",
            [request.id, to_naive_utc(request.received_at), _encode(request).decode()],
        )

    def request(self, request_id: str) -> PrivacyRequest | None:
        row = (
            self._db.cursor()
            .execute("SELECT body FROM privacy_requests WHERE id = ?", [request_id])
            .fetchone()
        )
        return None if row is None else _decoder.decode(row[0])

    def requests(
        self, *, status: RequestStatus | None = None, limit: int | None = 100
    ) -> list[PrivacyRequest]:
        # the status lives in the JSON body: the log is small (one row per request)
        rows = (
            self._db.cursor()
            .execute(
                "SELECT body FROM privacy_requests "
                "WHERE $status IS NULL OR json_extract_string(body, '$.status') = $status "
                "ORDER BY received_at DESC, id LIMIT $limit",
                {"status": status, "limit": limit},
            )
            .fetchall()
        )
        return [_decoder.decode(r[0]) for r in rows]

    # -- suppression ---------------------------------------------------------------------------

    def suppressed(self) -> list[str]:
        try:
            rows = self._db.cursor().execute("SELECT digest FROM privacy_suppressed").fetchall()
        except duckdb.CatalogException:  # a read-only open of data from before privacy
            return []
        return [str(r[0]) for r in rows]

    def suppress(self, hashes: Sequence[str]) -> None:
        with self._db.transaction() as con:
            for digest in hashes:
                con.execute("INSERT OR IGNORE INTO privacy_suppressed VALUES (?)", [digest])

    def unsuppress(self, hashes: Sequence[str]) -> None:
        with self._db.transaction() as con:
            con.execute("DELETE FROM privacy_suppressed WHERE list_contains(?, digest)", [hashes])

    # -- preference-centre links ---------------------------------------------------------------

    def revoke_link(self, token_id: str, *, at: datetime) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO privacy_links_revoked VALUES (?, ?)",
            [token_id, to_naive_utc(at)],
        )

    def link_revoked(self, token_id: str) -> bool:
        row = (
            self._db.cursor()
            .execute("SELECT 1 FROM privacy_links_revoked WHERE token_id = ?", [token_id])
            .fetchone()
        )
        return row is not None

    def set_links_not_before(self, profile_id: str, at: datetime) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO privacy_links_not_before VALUES (?, ?)",
            [profile_id, to_naive_utc(at)],
        )

    def links_not_before(self, profile_id: str) -> datetime | None:
        row = (
            self._db.cursor()
            .execute(
                "SELECT not_before FROM privacy_links_not_before WHERE profile_id = ?",
                [profile_id],
            )
            .fetchone()
        )
        return None if row is None else row[0].replace(tzinfo=UTC)

    # -- the sweep -----------------------------------------------------------------------------

    def _targets(self) -> dict[str, list[str]]:
        rows = (
            self._db.cursor()
            .execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'JSON') "
                "ORDER BY table_name, ordinal_position"
            )
            .fetchall()
        )
        out: dict[str, list[str]] = {}
        for table, column in rows:
            if table not in _OWN:
                out.setdefault(str(table), []).append(str(column))
        return out

    @staticmethod
    def _where(columns: list[str]) -> str:
        tests = [
            f'(list_contains($n, "{c}") OR len(list_filter($q, lambda x: contains("{c}", x))) > 0)'
            for c in columns
        ]
        return " OR ".join(tests)

    @staticmethod
    def _params(needles: Sequence[str]) -> dict[str, object]:
        return {"n": list(needles), "q": [_quoted(n) for n in needles]}

    def records(self, needles: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not needles:
            return {}
        out: dict[str, list[dict[str, Any]]] = {}
        con = self._db.cursor()
        for table, columns in self._targets().items():
            cur = con.execute(
                f'SELECT * FROM "{table}" WHERE {self._where(columns)}', self._params(needles)
            )
            names = [d[0] for d in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            if rows:
                out[table] = [{k: _plain(v) for k, v in r.items()} for r in rows]
        return out

    def erase(self, needles: Sequence[str]) -> dict[str, int]:
        if not needles:
            return {}
        counts: dict[str, int] = {}
        with self._db.transaction() as con:
            for table, columns in self._targets().items():
                row = con.execute(
                    f'DELETE FROM "{table}" WHERE {self._where(columns)}', self._params(needles)
                ).fetchone()
                if row and int(row[0]):
                    counts[table] = int(row[0])
        return counts

    def scrub_pending(self) -> bool:
        """Whether a scrub failed or was interrupted (``DuckDBStore`` runs it again at open)."""
        if not table_exists(self._db, PENDING):
            return False
        row = self._db.cursor().execute(f"SELECT count(*) FROM {PENDING}").fetchone()
        return bool(row and int(row[0]))

    def scrub(self, *, max_rounds: int = 8) -> None:
        with self._db.write_lock:
            con = self._db.cursor()
            con.execute(f"CREATE TABLE IF NOT EXISTS {PENDING} (since TIMESTAMP)")
            con.execute(
                f"INSERT INTO {PENDING} SELECT now()::TIMESTAMP "
                f"WHERE NOT EXISTS (SELECT 1 FROM {PENDING})"
            )
            rewrite_all(con)
            checkpoint(con)
            con.execute(f"CREATE OR REPLACE TABLE {SCRATCH} (b BLOB)")
            for _ in range(max_rounds):
                row = con.execute(
                    "SELECT free_blocks, block_size FROM pragma_database_size()"
                ).fetchone()
                if row is None or int(row[0]) == 0:
                    break
                # random text compresses badly, so each row fills its share of a block
                con.execute(
                    f"INSERT INTO {SCRATCH} SELECT (random()::VARCHAR || random()::VARCHAR)"
                    "::BLOB FROM range(?)",
                    [int(row[0]) * int(row[1]) // 16],
                )
                checkpoint(con)
            con.execute(f"DROP TABLE {SCRATCH}")
            con.execute(f"DELETE FROM {PENDING}")
            checkpoint(con)


def _quoted(needle: str) -> str:
    return _encode(needle).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return value
