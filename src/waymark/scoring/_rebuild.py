"""Engagement of every profile from journey's evidence table, vectorised: the rows become
contributions (``Points.of_evidence``), then per (profile, product) one log-sum-exp and one
top-k selection with NumPy. Only the kept rows (at most k per key) become Python objects."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waymark.scoring._points import Points
from waymark.scoring._state import KeyScore, Top

State = dict[str, dict[tuple[str, str], KeyScore]]


def engagement(points: Points, evidence: pa.Table, labels: pa.Array, into: State) -> int:
    """Add one model's engagement to ``into``; returns the contributions counted.
    ``evidence`` is journey's evidence table for this model, ``labels`` each row's event label."""
    rows = points.of_evidence(evidence, labels)
    if rows.num_rows == 0:
        return 0
    rows = rows.sort_by(
        [("profile_id", "ascending"), ("product", "ascending"), ("seq", "ascending")]
    )
    keys = pc.binary_join_element_wise(rows.column("profile_id"), rows.column("product"), "\x00")
    encoded = pc.dictionary_encode(keys).combine_chunks()
    group = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_groups = len(encoded.dictionary)
    lv = rows.column("lv").to_numpy()
    seq = rows.column("seq").to_numpy()
    high = np.full(n_groups, -np.inf)
    np.maximum.at(high, group, lv)
    sums = np.zeros(n_groups)
    np.add.at(sums, group, np.exp2(lv - high[group]))
    totals = high + np.log2(sums)
    # top-k per group: largest lv first, then the earliest seq (the streaming order)
    ordered = np.lexsort((seq, -lv, group))
    g_sorted = group[ordered]
    starts = np.searchsorted(g_sorted, np.arange(n_groups))
    rank = np.arange(len(ordered)) - starts[g_sorted]
    kept = ordered[rank < points.config.explain_top]
    model = points.model.name
    profile = rows.column("profile_id").to_pylist()
    product = rows.column("product").to_pylist()
    ts = rows.column("ts").to_numpy()
    rule = rows.column("rule").to_pylist()
    shown = rows.column("evidence").to_pylist()
    stage = rows.column("stage").to_pylist()
    pts = rows.column("points").to_numpy()
    first_row = np.zeros(n_groups, dtype=np.int64)
    first_row[group[::-1]] = np.arange(len(group))[::-1]
    for g in range(n_groups):
        r = int(first_row[g])
        into.setdefault(profile[r], {})[(model, product[r])] = KeyScore(log_total=float(totals[g]))
    for r in kept.tolist():
        key = into[profile[r]][(model, product[r])]
        key.top.append(
            Top(float(lv[r]), int(seq[r]), int(ts[r]), rule[r], shown[r], stage[r], float(pts[r]))
        )
    return int(rows.num_rows)
