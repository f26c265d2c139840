"""Stage moves: a from → to matrix and Sankey links (entries, steps forward, skips, moves
back), and the paths customers took before their first purchase."""

from __future__ import annotations

import duckdb

from waymark.analytics._coded import register_coded
from waymark.analytics._journey_data import JourneyData
from waymark.analytics._journey_stats import grouped, paths_before
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
SELECT from_pos, to_pos, count(*) AS n FROM t WHERE to_pos >= 0
GROUP BY ALL ORDER BY from_pos, to_pos
"""

_PATHS = """
SELECT path, count(*) AS c FROM (SELECT jid, list(to_pos ORDER BY i) AS path FROM p GROUP BY jid)
GROUP BY path ORDER BY c DESC, path LIMIT $limit
"""


def _kind(from_pos: int, to_pos: int) -> MoveKind:
    if from_pos < 0:
        return "enter"
    if to_pos == from_pos + 1:
        return "forward"
    return "skip" if to_pos > from_pos else "back"


def transitions(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    journeys: JourneyData,
    *,
    product: str | None,
    paths: int = 10,
) -> TransitionsReport:
    coded = register_coded(con, model, journeys, product=product)
    names = list(model.stage_names)
    n = len(names)
    matrix = [[0] * n for _ in range(n + 1)]
    links: list[TransitionLink] = []
    for from_pos, to_pos, count in con.execute(_LINKS).fetchall():
        matrix[from_pos + 1][to_pos] = count  # from_pos -1: entered the journey
        links.append(
            TransitionLink(
                from_=ENTRY if from_pos < 0 else names[from_pos],
                to=names[to_pos],
                count=count,
                kind=_kind(from_pos, to_pos),
            )
        )
    purchase = model.stage_index(purchase_stage(model))
    con.register("p", paths_before(grouped(coded.transitions), purchase))
    rows = con.execute(_PATHS, {"limit": paths}).fetchall()
    return TransitionsReport(
        model=model.name,
        product=product,
        stages=names,
        links=links,
        matrix=matrix,
        paths_to_purchase=[
            PathCount(path=[names[p] for p in path], count=count) for path, count in rows
        ],
    )
