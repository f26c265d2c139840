"""Journey state as Arrow tables: what the rebuild produces and the store persists.

Three tables, each with a ``model`` column: ``states`` (one row per profile, product and
model), ``transitions`` (the history, numbered per journey) and ``evidence`` (what the stage
machine was fed, so a profile can be refolded after a late event or a merge without the log).
One converter per direction and type lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any, Final

import pyarrow as pa

from waymark.journey._machine import Evidence, ProfileMachine
from waymark.journey.contracts import JourneyState, Transition

_TS: Final = pa.timestamp("us")

STATES: Final = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("furthest", pa.string(), nullable=False),
        pa.field("entered_at", _TS, nullable=False),
        pa.field("last_evidence_at", _TS, nullable=False),
        pa.field("purchased_at", _TS),
        pa.field("level", pa.string()),
    ]
)
TRANSITIONS: Final = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("n", pa.int32(), nullable=False),
        pa.field("from_stage", pa.string()),
        pa.field("to_stage", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
    ]
)
EVIDENCE: Final = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("ts", pa.int64(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("pos", pa.int32(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("mask", pa.int64(), nullable=False),
        pa.field("levels", pa.string()),
        pa.field("purchase", pa.bool_(), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
    ]
)
"""``ts`` in microseconds since the epoch; ``levels`` as ``stage:level,...`` (rarely set)."""


def encode_levels(levels: tuple[tuple[int, int], ...]) -> str | None:
    """Levels as text (``"0:2"``): rare, so kept out of the hot columns."""
    return ",".join(f"{s}:{lv}" for s, lv in levels) if levels else None


def decode_levels(text: str | None) -> tuple[tuple[int, int], ...]:
    if not text:
        return ()
    pairs = (part.split(":") for part in text.split(","))
    return tuple((int(s), int(lv)) for s, lv in pairs)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


# -- engine -> tables ----------------------------------------------------------------------------


def machine_rows(
    profile_id: str, machines: Sequence[ProfileMachine]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(states, transitions, evidence) rows of one profile, for persistence."""
    states: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for machine in machines:
        model = machine.rules.model.name
        for state in machine.states(profile_id):
            row = state_row(state)
            states.append(row)
            transitions.extend(transition_rows(state))
        evidence.extend(evidence_row(model, profile_id, item) for item in machine.evidence)
    return states, transitions, evidence


def state_row(state: JourneyState) -> dict[str, Any]:
    return {
        "model": state.model,
        "profile_id": state.profile_id,
        "product": state.product,
        "stage": state.stage,
        "furthest": state.furthest,
        "entered_at": _naive(state.entered_at),
        "last_evidence_at": _naive(state.last_evidence_at),
        "purchased_at": _naive(state.purchased_at) if state.purchased_at else None,
        "level": state.level,
    }


def transition_rows(state: JourneyState) -> list[dict[str, Any]]:
    return [
        {
            "model": state.model,
            "profile_id": state.profile_id,
            "product": state.product,
            "n": n,
            "from_stage": t.from_stage,
            "to_stage": t.to_stage,
            "at": _naive(t.at),
            "seq": t.seq,
            "message_id": t.message_id,
        }
        for n, t in enumerate(state.history)
    ]


def evidence_row(model: str, profile_id: str, item: Evidence) -> dict[str, Any]:
    return {
        "model": model,
        "profile_id": profile_id,
        "ts": item.ts,
        "seq": item.seq,
        "pos": item.pos,
        "product": item.product,
        "mask": item.mask,
        "levels": encode_levels(item.levels),
        "purchase": item.purchase,
        "message_id": item.message_id,
    }


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None)


def rows_to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()


# -- tables -> contracts and engine ----------------------------------------------------------------


def evidence_items(table: pa.Table) -> Iterable[tuple[str, str, Evidence]]:
    """(model, profile_id, evidence) for every row."""
    columns = [
        table.column(name).to_pylist()
        for name in (
            "model",
            "profile_id",
            "ts",
            "seq",
            "pos",
            "product",
            "mask",
            "levels",
            "purchase",
            "message_id",
        )
    ]
    for model, profile, ts, seq, pos, product, mask, levels, purchase, message_id in zip(
        *columns, strict=True
    ):
        yield (
            model,
            profile,
            Evidence(ts, seq, pos, product, mask, decode_levels(levels), purchase, message_id),
        )


def states_from_tables(states: pa.Table, transitions: pa.Table) -> list[JourneyState]:
    """Contracts from stored or rebuilt rows (transitions in any order)."""
    history: dict[tuple[str, str, str], list[tuple[int, Transition]]] = {}
    for row in transitions.to_pylist():
        key = (row["model"], row["profile_id"], row["product"])
        history.setdefault(key, []).append(
            (
                row["n"],
                Transition(
                    from_stage=row["from_stage"],
                    to_stage=row["to_stage"],
                    at=row["at"].replace(tzinfo=UTC),
                    seq=row["seq"],
                    message_id=row["message_id"],
                ),
            )
        )
    out: list[JourneyState] = []
    for row in states.to_pylist():
        key = (row["model"], row["profile_id"], row["product"])
        steps = sorted(history.get(key, []), key=lambda item: item[0])
        out.append(
            JourneyState(
                model=row["model"],
                profile_id=row["profile_id"],
                product=row["product"],
                stage=row["stage"],
                furthest=row["furthest"],
                entered_at=row["entered_at"].replace(tzinfo=UTC),
                last_evidence_at=row["last_evidence_at"].replace(tzinfo=UTC),
                purchased_at=(
                    row["purchased_at"].replace(tzinfo=UTC) if row["purchased_at"] else None
                ),
                level=row["level"],
                history=tuple(t for _, t in steps),
            )
        )
    return out
