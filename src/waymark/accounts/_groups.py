"""The rebuild's view of group calls: memberships and account traits aggregated in DuckDB over
the group events of the log (Arrow), with the same last-write-wins order as streaming
(event time, then seq)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.accounts._tables import JOURNEYS, MEMBERS, ROLES, TRAITS
from waymark.accounts.ports import AccountTables


def group_events(batches: Iterable[tuple[pa.RecordBatch, pa.Array]]) -> pa.Table:
    """The group calls with an account id and a profile: ``seq``, ``timestamp``,
    ``account_id``, ``profile_id``, ``traits``."""
    parts: list[pa.Table] = []
    for batch, profiles in batches:
        keep = pc.and_(
            pc.equal(batch.column("type"), "group"), pc.is_valid(batch.column("group_id"))
        )
        if not pc.any(keep).as_py():
            continue
        parts.append(
            pa.table(
                {
                    "seq": batch.column("seq").filter(keep),
                    "timestamp": batch.column("timestamp").filter(keep),
                    "account_id": batch.column("group_id").filter(keep),
                    "profile_id": profiles.filter(keep),
                    "traits": batch.column("traits").filter(keep),
                }
            )
        )
    if not parts:
        return pa.table(
            {
                "seq": pa.array([], pa.int64()),
                "timestamp": pa.array([], pa.timestamp("us")),
                "account_id": pa.array([], pa.string()),
                "profile_id": pa.array([], pa.string()),
                "traits": pa.array([], pa.string()),
            }
        )
    return pa.concat_tables(parts)


def _role_value(keys: tuple[str, ...]) -> str:
    """SQL for the first group role key holding non-blank text (as streaming's
    ``RoleMapper.group_value``)."""
    if not keys:
        return "CAST(NULL AS VARCHAR)"
    parts = []
    for key in keys:
        path = "'$.\"" + key.replace("'", "''") + "\"'"
        parts.append(
            f"CASE WHEN json_type(traits, {path}) = 'VARCHAR' "
            f"AND trim(json_extract_string(traits, {path})) <> '' "
            f"THEN json_extract_string(traits, {path}) END"
        )
    return f"coalesce({', '.join(parts)})"


def group_tables(groups: pa.Table, role_keys: tuple[str, ...]) -> AccountTables:
    """Members, the roles their group calls stated, and traits of every account (journeys
    empty: derived afterwards)."""
    con = duckdb.connect()
    try:
        con.register("g", groups)
        con.execute(f"CREATE TEMP VIEW r AS SELECT *, {_role_value(role_keys)} AS role FROM g")
        members = con.sql(
            """
            SELECT account_id, profile_id, min("timestamp") AS joined_at,
                   arg_max(role, ("timestamp", seq)) FILTER (WHERE role IS NOT NULL) AS group_role,
                   arg_max("timestamp", ("timestamp", seq)) FILTER (WHERE role IS NOT NULL)
                       AS role_at,
                   arg_max(seq, ("timestamp", seq)) FILTER (WHERE role IS NOT NULL) AS role_seq
            FROM r GROUP BY account_id, profile_id
            """
        ).to_arrow_table()
        roles = con.sql(
            """
            SELECT account_id, profile_id, role, "timestamp" AS "at", seq
            FROM r WHERE role IS NOT NULL
            """
        ).to_arrow_table()
        skip = ", ".join("'" + k.replace("'", "''") + "'" for k in role_keys) or "NULL"
        traits = con.sql(
            f"""
            SELECT account_id, e.key AS key,
                   CAST(arg_max(e.value, ("timestamp", seq)) AS VARCHAR) AS value,
                   arg_max("timestamp", ("timestamp", seq)) AS at,
                   arg_max(seq, ("timestamp", seq)) AS seq
            FROM g, json_each(g.traits) AS e
            WHERE g.traits IS NOT NULL AND e.key NOT IN ({skip})
            GROUP BY account_id, e.key
            """
        ).to_arrow_table()
    finally:
        con.close()
    return AccountTables(
        members.select(MEMBERS.names).cast(MEMBERS),
        traits.select(TRAITS.names).cast(TRAITS),
        JOURNEYS.empty_table(),
        roles.select(ROLES.names).cast(ROLES),
    )
