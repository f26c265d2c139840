"""Feedback events (``Experience Viewed`` / ``Clicked`` / ``Converted``) into bandit counts.

The streaming path reads ``Event``s; the rebuild path filters Arrow batches from
``EventLog.scan`` with pyarrow compute and decodes only the matching rows' properties. Both
count each (decision, experience, outcome) once, the first time it is seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.events import Event
from waymark.decide.contracts import Feedback, Outcome

FEEDBACK_EVENTS: Final[dict[str, Outcome]] = {
    "Experience Viewed": "viewed",
    "Experience Clicked": "clicked",
    "Experience Converted": "converted",
}
_props = msgspec.json.Decoder(dict[str, Any]).decode


def _feedback(outcome: Outcome, props: dict[str, Any]) -> Feedback | None:
    decision_id, experience_id = props.get("decision_id"), props.get("experience_id")
    if not isinstance(decision_id, str) or not isinstance(experience_id, str):
        return None
    stage = props.get("stage")
    return Feedback(
        decision_id=decision_id,
        experience_id=experience_id,
        outcome=outcome,
        stage=stage if isinstance(stage, str) else None,
    )


def feedback_from_events(events: Iterable[Event]) -> list[Feedback]:
    """The feedback in a run of events (others are ignored), in order."""
    out: list[Feedback] = []
    for ev in events:
        outcome = FEEDBACK_EVENTS.get(ev.event or "") if ev.type == "track" else None
        if outcome is not None and (fb := _feedback(outcome, ev.properties)) is not None:
            out.append(fb)
    return out


def feedback_from_batches(batches: Iterable[pa.RecordBatch]) -> list[Feedback]:
    """The same as ``feedback_from_events`` over Arrow batches of ``EVENT_SCHEMA``."""
    names = pa.array(list(FEEDBACK_EVENTS))
    out: list[Feedback] = []
    for batch in batches:
        mask = pc.and_(
            pc.equal(batch.column("type"), "track"), pc.is_in(batch.column("event"), names)
        )
        picked = batch.filter(pc.fill_null(mask, False))
        if picked.num_rows == 0:
            continue
        for event, props in zip(
            picked.column("event").to_pylist(), picked.column("properties").to_pylist(), strict=True
        ):
            fb = _feedback(FEEDBACK_EVENTS[event], _props(props) if props else {})
            if fb is not None:
                out.append(fb)
    return out


def first_seen(feedback: Sequence[Feedback]) -> list[Feedback]:
    """Drop repeats of the same (decision, experience, outcome), keeping the first."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Feedback] = []
    for fb in feedback:
        key = (fb.decision_id, fb.experience_id, fb.outcome)
        if key not in seen:
            seen.add(key)
            out.append(fb)
    return out
