"""Scoring state as Arrow tables, the form the store keeps: one converter per direction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final

import msgspec
import pyarrow as pa

from waymark.scoring._state import KeyScore, Top

SCORES: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("log_total", pa.float64(), nullable=False),
        pa.field("top", pa.string(), nullable=False),
    ]
)
"""``top``: the kept contributions as JSON ``[[lv, seq, ts, rule, evidence, stage, points]]``."""
LABELS: Final = pa.schema(
    [
        pa.field("subject", pa.string(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("label", pa.string()),
        pa.field("crossings", pa.int64(), nullable=False),
    ]
)
"""The last label of every subject, and how many label changes it has had (the change's
occurrence number, so a replayed change has the same idempotency key)."""

Keyed = Mapping[tuple[str, str], KeyScore]
LabelKey = tuple[str, str, str, str]
"""(subject, id, model, product)"""
LabelState = tuple[str | None, int]

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(list[tuple[float, int, int, str, str, str, float]]).decode


def scores_table(states: Iterable[tuple[str, Keyed]]) -> pa.Table:
    rows: dict[str, list[object]] = {name: [] for name in SCORES.names}
    for profile_id, keyed in states:
        for (model, product), key in sorted(keyed.items()):
            rows["profile_id"].append(profile_id)
            rows["model"].append(model)
            rows["product"].append(product)
            rows["log_total"].append(key.log_total)
            rows["top"].append(_encode([list(t) for t in key.top]).decode())
    return pa.Table.from_pydict(rows, schema=SCORES)


def scores_from_table(table: pa.Table) -> Iterator[tuple[str, str, str, KeyScore]]:
    cols = [table.column(n).to_pylist() for n in SCORES.names]
    for profile_id, model, product, log_total, top in zip(*cols, strict=True):
        tops = [Top(*t) for t in _decode(top)]
        yield profile_id, model, product, KeyScore(log_total=log_total, top=tops)


def labels_table(labels: Mapping[LabelKey, LabelState]) -> pa.Table:
    keys = sorted(labels)
    return pa.Table.from_pydict(
        {
            "subject": [k[0] for k in keys],
            "id": [k[1] for k in keys],
            "model": [k[2] for k in keys],
            "product": [k[3] for k in keys],
            "label": [labels[k][0] for k in keys],
            "crossings": [labels[k][1] for k in keys],
        },
        schema=LABELS,
    )


def labels_from_table(table: pa.Table) -> dict[LabelKey, LabelState]:
    cols = [table.column(n).to_pylist() for n in LABELS.names]
    return {(s, i, m, p): (lab, n) for s, i, m, p, lab, n in zip(*cols, strict=True)}
