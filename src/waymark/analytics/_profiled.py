"""Events with the caller's profile column: every report takes the name of the column that
says whose each event is (identity's answer, or ``user_id`` where there is none)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from waymark.analytics.errors import InvalidInput


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def require_profile(events: pa.Table, profile: str) -> None:
    """Refuse events without the ``profile`` column, naming the field."""
    if profile not in events.column_names:
        raise InvalidInput(f"the events have no profile column {profile!r}", field="profile")


def register_events(con: duckdb.DuckDBPyConnection, events: pa.Table, *, profile: str) -> None:
    """Register ``events`` on ``con`` as the view ``ev``, with their ``profile`` column as a
    VARCHAR named ``profile``, so the reports' SQL does not depend on the caller's name."""
    con.register("raw", events)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW ev AS SELECT *, {quote(profile)}::VARCHAR AS profile FROM raw"
    )
