"""From events (and stage transitions) to funnel rows: one DuckDB query, vectorised.

Each event in the date range becomes a row with its profile, time, a bit mask of the steps it
matches and a bit mask of the exclusions it matches. A stage step is matched by the event that
caused the stage entry (joined on the log ``seq``), so "entered purchase" is the very event
that moved the customer and a strict mode sees one event, not two. Profiles (and breakdown
values) get dense integer codes in the same query so the sort can pack them into 64 bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from waymark.analytics._accounts import ACCOUNT_BREAKDOWN, account_join
from waymark.analytics._conditions import Sql, event_condition, field_ref, stage_condition
from waymark.analytics._profiled import quote, require_profile
from waymark.analytics.contracts import NONE_LABEL, FunnelQuery
from waymark.analytics.errors import InvalidQuery
from waymark.core.eventframe import to_naive_utc

ACTION_TYPES: Final = ("track", "page", "screen")
"""The calls ``strict_order`` counts as the customer doing something else between steps;
identify, group and alias calls are bookkeeping and do not break a chain."""
PROFILE_BREAKDOWNS: Final = {
    "first_touch_source": "json_extract_string(e.campaign, '$.source')",
    "first_touch_channel": "e.channel",
}
NAMED_BREAKDOWNS: Final = {"channel": "channel", "campaign": "campaign.name"}


@dataclass(frozen=True)
class Frame:
    """Unsorted funnel rows, one per event (and breakdown value)."""

    profile: NDArray[np.int64]
    ts: NDArray[np.int64]
    mask: NDArray[np.uint64]
    xmask: NDArray[np.uint64]
    value: NDArray[np.int64]
    action: NDArray[np.bool_]
    """Whether the event is a customer action (``ACTION_TYPES``), for ``strict_order``."""
    labels: list[str]
    """Breakdown value of each ``value`` code (``[""]`` without a breakdown)."""


def _bits(conditions: list[Sql]) -> Sql:
    if not conditions:
        return Sql("0::UBIGINT")
    out = Sql("(")
    for i, cond in enumerate(conditions):
        sep = Sql(" | ") if i else Sql("")
        out = out + sep + Sql("(CASE WHEN ") + cond + Sql(f" THEN {1 << i}::UBIGINT ELSE 0 END)")
    return out + Sql(")")


def _breakdown_expr(name: str) -> str:
    """SQL for an event-level breakdown value (on alias ``e``)."""
    ref = field_ref(NAMED_BREAKDOWNS.get(name, name), field_name="breakdown")
    if ref.path is None:
        return f"e.{ref.column}"
    return f"json_extract_string(e.{ref.column}, '{ref.path.replace(chr(39), chr(39) * 2)}')"


def build_frame(
    con: duckdb.DuckDBPyConnection,
    query: FunnelQuery,
    events: pa.Table,
    *,
    profile: str,
    transitions: pa.Table | None,
    breakdown: bool,
) -> Frame:
    """Run the row query on ``con`` (a cursor of its own: the inputs are registered on it).
    ``breakdown`` False ignores ``query.breakdown``."""
    require_profile(events, profile)
    stage_steps = [(i, s) for i, s in enumerate(query.steps) if s.is_stage]
    if stage_steps and transitions is None:
        raise InvalidQuery(
            "stage steps need the journey history, which is not available here",
            field=f"steps[{stage_steps[0][0]}].stage",
        )
    strict_order = query.mode == "strict_order"
    by = query.breakdown if breakdown else None
    by_product = by == "product"
    p = f"e.{quote(profile)}"

    event_bits = _bits(
        [
            event_condition(
                "e", event=s.event, type_=s.type, where=s.where, field_name=f"steps[{i}]"
            )
            if not s.is_stage
            else Sql("FALSE")
            for i, s in enumerate(query.steps)
        ]
    )
    excl_bits = _bits(
        [
            event_condition(
                "e", event=x.event, type_=x.type, where=x.where, field_name=f"exclusions[{i}]"
            )
            for i, x in enumerate(query.exclusions)
        ]
    )
    filters = Sql(f"{p} IS NOT NULL")
    if query.from_ is not None:
        filters = filters + Sql(" AND e.timestamp >= ?", [to_naive_utc(query.from_)])
    if query.to is not None:
        filters = filters + Sql(" AND e.timestamp < ?", [to_naive_utc(query.to)])

    if by_product:
        # every product the event names; an event naming none still has a row, under (none)
        products = (
            "list_distinct(CASE WHEN json_extract_string(e.properties, '$.product_id') IS NOT NULL"
            " THEN [json_extract_string(e.properties, '$.product_id')]"
            " WHEN json_type(e.properties, '$.products') = 'ARRAY'"
            " THEN json_extract_string(e.properties, '$.products[*].product_id')"
            " ELSE [] END)"
        )
        value = f"CASE WHEN len({products}) > 0 THEN {products} ELSE [NULL::VARCHAR] END"
    elif by is None:
        value = "NULL::VARCHAR"
    elif by in PROFILE_BREAKDOWNS:
        value = "ft.value"
    elif by == ACCOUNT_BREAKDOWN:
        value = "acc.account"
    else:
        value = _breakdown_expr(by)

    ctes = Sql("")
    joins = Sql("")
    mask = event_bits
    if stage_steps:
        stage_bits = _bits(
            [
                stage_condition(
                    "t",
                    stage=s.stage or "",
                    model=s.model or "",
                    where=s.where,
                    field_name=f"steps[{i}]",
                )
                if s.is_stage
                else Sql("FALSE")
                for i, s in enumerate(query.steps)
            ]
        )
        keys = "seq, product" if by_product else "seq"
        ctes = Sql(f"st AS (SELECT {keys}, bit_or(") + stage_bits
        ctes = ctes + Sql(f") AS smask FROM transitions t GROUP BY {keys} HAVING smask <> 0), ")
        joins = joins + Sql(" LEFT JOIN st ON st.seq = e.seq")
        mask = Sql("(") + mask + Sql(" | coalesce(st.smask, 0::UBIGINT))")
        if by_product:
            # the stage entry is for one product; other events keep their own products
            value = f"CASE WHEN st.product IS NOT NULL THEN [st.product] ELSE {value} END"
    if by in PROFILE_BREAKDOWNS:
        # first touch over every event given, not just the date range
        first = PROFILE_BREAKDOWNS[by]
        joins = joins + Sql(
            f" LEFT JOIN (SELECT {p}::VARCHAR AS profile, "
            f"arg_min({first}, (e.timestamp, {first})) AS value FROM events e "
            f"WHERE {p} IS NOT NULL AND {first} IS NOT NULL GROUP BY 1) ft "
            f"ON ft.profile = {p}::VARCHAR"
        )
    if by == ACCOUNT_BREAKDOWN:
        joins = joins + Sql(account_join(p))
    if by_product:
        value = f"unnest({value})"
    keep = "mask <> 0 OR xmask <> 0"
    if strict_order:
        keep += f" OR type IN {ACTION_TYPES}"
    sql = Sql("WITH ") + ctes + Sql(f"r AS MATERIALIZED (SELECT * FROM (SELECT {p}::VARCHAR AS ")
    sql = sql + Sql("profile, e.timestamp AS at, e.type AS type, ") + mask + Sql(" AS mask, ")
    sql = sql + excl_bits + Sql(f" AS xmask, {value} AS value FROM events e")
    sql = sql + joins + Sql(" WHERE ") + filters + Sql(f") WHERE {keep}), ")
    sql = sql + Sql(
        "codes AS (SELECT profile, (row_number() OVER () - 1)::BIGINT AS code "
        "FROM (SELECT DISTINCT profile FROM r)) "
        "SELECT c.code AS profile, epoch_us(r.at) AS ts, r.mask, r.xmask, "
        f"coalesce(r.value, '{NONE_LABEL}') AS value, r.type IN {ACTION_TYPES} AS action "
        "FROM r JOIN codes c USING (profile)"
    )
    con.register("events", events)
    if transitions is not None and stage_steps:
        con.register("transitions", transitions)
    out = con.sql(sql.text, params=sql.params).to_arrow_table()
    values = out.column("value").combine_chunks().dictionary_encode()
    labels = [str(v) for v in values.dictionary.to_pylist()]
    return Frame(
        profile=_numpy(out, "profile", np.int64),
        ts=_numpy(out, "ts", np.int64),
        mask=_numpy(out, "mask", np.uint64),
        xmask=_numpy(out, "xmask", np.uint64),
        value=values.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        action=_numpy(out, "action", np.bool_),
        labels=labels or [NONE_LABEL],
    )


def _numpy(table: pa.Table, name: str, dtype: type[np.generic]) -> NDArray[Any]:
    return np.asarray(table.column(name).to_numpy(), dtype=dtype)
