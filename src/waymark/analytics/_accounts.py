"""Accounts in the reports: the funnel broken down by the account of the person (from the
log's group calls, in the funnel's own query), and the account hourglass: accounts counted
per stage per product, with each account's members per stage. DuckDB over Arrow."""

from __future__ import annotations

from typing import Final

import duckdb
import pyarrow as pa

from waymark.accounts.contracts import (
    AccountBreakdown,
    AccountHourglass,
    AccountProductHourglass,
    AccountStageCount,
)
from waymark.journey.contracts import JourneyModel

ACCOUNT_BREAKDOWN: Final = "account"
"""The funnel breakdown by account: an event counts under each account its person joined
through a group call (``(none)`` when none)."""


def account_join(profile: str) -> str:
    """SQL joining each event (alias ``e``, profile expression ``profile``) to its person's
    accounts as ``acc.account``; memberships are every (profile, groupId) of group calls."""
    return (
        f" LEFT JOIN (SELECT DISTINCT {profile}::VARCHAR AS profile, e.group_id AS account "
        f"FROM events e WHERE e.type = 'group' AND e.group_id IS NOT NULL "
        f"AND {profile} IS NOT NULL) acc ON acc.profile = {profile}::VARCHAR"
    )


_MEMBER_STAGES: Final = """
SELECT DISTINCT m.account, s.product, s.stage, s.profile_id
FROM (SELECT DISTINCT profile_id::VARCHAR AS profile, group_id AS account FROM events
      WHERE type = 'group' AND group_id IS NOT NULL AND profile_id IS NOT NULL) m
JOIN states s ON s.profile_id = m.profile AND s.model = $model
"""


def account_hourglass(
    model: JourneyModel,
    account_stages: pa.Table,
    events: pa.Table,
    states: pa.Table,
    *,
    product: str | None = None,
) -> AccountHourglass:
    """``account_stages``: ``account_id``, ``product``, ``stage``, ``furthest`` (the accounts'
    own journeys); ``events`` with ``profile_id``; ``states``: people's journeys
    (``schemas.STATE_SCHEMA``)."""
    order = {s.name: i for i, s in enumerate(model.stages)}
    con = duckdb.connect()
    try:
        con.register("events", events)
        con.register("states", states)
        con.register("accounts", account_stages)
        members = con.execute(
            "SELECT account, product, stage, count(*) FROM (" + _MEMBER_STAGES + ") "
            "GROUP BY ALL ORDER BY ALL",
            {"model": model.name},
        ).fetchall()
        accounts = con.execute(
            "SELECT account_id, product, stage, furthest FROM accounts ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    if product is not None:
        members = [r for r in members if r[1] == product]
        accounts = [r for r in accounts if r[1] == product]
    products = sorted({r[1] for r in accounts} | {r[1] for r in members})
    stage_of = {(a, p): s for a, p, s, _ in accounts}
    per_account: dict[tuple[str, str], dict[str, int]] = {}
    for account, prod, stage, count in members:
        per_account.setdefault((account, prod), {})[stage] = int(count)
    for a, p, _, _ in accounts:
        per_account.setdefault((a, p), {})
    out: list[AccountProductHourglass] = []
    for prod in products:
        rows = [r for r in accounts if r[1] == prod]
        member_rows = [r for r in members if r[1] == prod]
        out.append(
            AccountProductHourglass(
                product=prod,
                accounts=len(rows),
                stages=tuple(
                    AccountStageCount(
                        stage=s.name,
                        accounts=sum(1 for r in rows if r[2] == s.name),
                        reached=sum(1 for r in rows if order[r[3]] >= order[s.name]),
                        members=sum(int(r[3]) for r in member_rows if r[2] == s.name),
                    )
                    for s in model.stages
                ),
            )
        )
    return AccountHourglass(
        model=model.name,
        products=tuple(out),
        by_account=tuple(
            AccountBreakdown(
                account_id=a,
                product=p,
                stage=stage_of.get((a, p)),
                members=dict(sorted(m.items(), key=lambda kv: order[kv[0]])),
            )
            for (a, p), m in sorted(per_account.items())
        ),
    )
