"""Stage moves: a from → to matrix and Sankey links (entries, steps forward, skips, moves
back), and the paths customers took before their first purchase."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from waymark.analytics._stages import register
from waymark.analytics.config import purchase_stage
from waymark.analytics.contracts import (
    ENTRY,
    MoveKind,
    PathCount,
    TransitionLink,
    TransitionsReport,
)
from waymark.journey.contracts import JourneyModel

_LINKS = """
SELECT f.pos AS from_pos, m.pos AS to_pos, count(*) AS n
FROM t JOIN m ON m.stage = t.to_stage LEFT JOIN m AS f ON f.stage = t.from_stage
GROUP BY ALL ORDER BY from_pos NULLS FIRST, to_pos
"""

_PATHS = """
WITH n AS (
    SELECT profile_id, product, to_stage,
        row_number() OVER (PARTITION BY profile_id, product ORDER BY "at", seq) AS i
    FROM t
),
firsts AS (
    SELECT profile_id, product, min(i) AS bought FROM n WHERE to_stage = $purchase GROUP BY ALL
)
SELECT path, count(*) AS c FROM (
    SELECT n.profile_id, n.product, list(n.to_stage ORDER BY n.i) AS path
    FROM n JOIN firsts USING (profile_id, product)
    WHERE n.i < firsts.bought
    GROUP BY ALL
)
GROUP BY path ORDER BY c DESC, path LIMIT $limit
"""


def _kind(from_pos: int | None, to_pos: int) -> MoveKind:
    if from_pos is None:
        return "enter"
    if to_pos == from_pos + 1:
        return "forward"
    return "skip" if to_pos > from_pos else "back"


def transitions(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    transitions_table: pa.Table,
    states: pa.Table,
    *,
    product: str | None,
    paths: int = 10,
) -> TransitionsReport:
    register(con, model, transitions_table, states, product=product)
    names = list(model.stage_names)
    n = len(names)
    matrix = [[0] * n for _ in range(n + 1)]
    links: list[TransitionLink] = []
    for from_pos, to_pos, count in con.execute(_LINKS).fetchall():
        matrix[0 if from_pos is None else from_pos + 1][to_pos] = count
        links.append(
            TransitionLink(
                from_=ENTRY if from_pos is None else names[from_pos],
                to=names[to_pos],
                count=count,
                kind=_kind(from_pos, to_pos),
            )
        )
    rows = con.execute(_PATHS, {"purchase": purchase_stage(model), "limit": paths}).fetchall()
    return TransitionsReport(
        model=model.name,
        product=product,
        stages=names,
        links=links,
        matrix=matrix,
        paths_to_purchase=[PathCount(path=list(path), count=count) for path, count in rows],
    )
