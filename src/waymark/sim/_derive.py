"""Waymark's own derived state for a simulated population: the messages go through ingest's
normalisation, the streaming identity graph and the streaming stage engine, exactly as committed
events do in the runtime, and come out as what ``compare`` reads.

Events are processed chunk by chunk (nothing holds the whole log); identity merges re-place
the absorbed profile's journeys on the survivor, as the runtime's pipeline does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from waymark.identity.api import IdentityConfig, IdentityService
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import JourneyEngine
from waymark.journey.contracts import JourneyModel
from waymark.sim._check import stage_table
from waymark.sim._messages import Message
from waymark.sim.contracts import GroundTruth, StageTable
from waymark.sim.errors import TruthError


@dataclass(frozen=True)
class Derived:
    """What Waymark derived: every true identifier's profile, and the stage table."""

    profile_of: dict[tuple[str, str], str]
    stages: StageTable
    events: int
    profiles: int
    merges: int
    refused: int
    seconds: dict[str, float]
    """Seconds spent in ingest parsing, identity and journeys."""


def derive(
    chunks: Iterable[list[Message]],
    truth: GroundTruth,
    *,
    model: JourneyModel,
    identity: IdentityConfig,
    received_at: datetime,
    progress: Callable[[int], None] | None = None,
) -> Derived:
    """Run the messages through ingest, identity and journeys; read back what ``compare``
    needs for ``truth``."""
    encode = msgspec.json.Encoder().encode
    limits = IngestLimits()
    service = IdentityService(identity)
    engine = JourneyEngine([model])
    seq = 0
    merges = refused = 0
    spent = {"ingest": 0.0, "identity": 0.0, "journeys": 0.0}
    for chunk in chunks:
        began = time.perf_counter()
        records = [RawRecord(line=seq + i + 1, raw=encode(m)) for i, m in enumerate(chunk)]
        parsed = parse_records(records, source="sim", received_at=received_at, limits=limits)
        if parsed.rejected:
            first = parsed.rejected[0]
            raise TruthError(f"ingest refused simulated message {first.index}: {first.message}")
        events = [msgspec.structs.replace(e, seq=seq + i + 1) for i, e in enumerate(parsed.events)]
        seq += len(events)
        middle = time.perf_counter()
        resolution = service.observe(events)
        placed = time.perf_counter()
        owned = [(e, p) for e, p in zip(events, resolution.profile_ids, strict=True) if p]
        engine.observe([e for e, _ in owned], [p for _, p in owned])
        for merge in resolution.merges:
            if merge.profile_id and merge.other_id:
                engine.merge(merge.profile_id, merge.other_id)
        merges += len(resolution.merges)
        refused += len(resolution.refused)
        done = time.perf_counter()
        spent["ingest"] += middle - began
        spent["identity"] += placed - middle
        spent["journeys"] += done - placed
        if progress is not None:
            progress(len(chunk))
    began = time.perf_counter()
    profile_of: dict[tuple[str, str], str] = {}
    wanted = [(i.kind, i.value) for i in truth.identifiers]
    wanted += [(p.home_kind, p.home_value) for p in truth.people]
    known = set(identity.names)
    for kind, value in wanted:
        if kind not in known or (kind, value) in profile_of:
            continue
        pid = service.resolve(kind, value)
        live = service.canonical(pid) if pid is not None else None
        if live is not None:
            profile_of[(kind, value)] = engine.resolve(live)
    histories = {
        (s.profile_id, s.product): [(t.at, t.to_stage) for t in s.history]
        for s in engine.all_states()
    }
    start = datetime.combine(truth.start, datetime.min.time(), tzinfo=UTC)
    table = stage_table(truth.stages, histories, start=start, days=truth.days)
    spent["read"] = time.perf_counter() - began
    return Derived(
        profile_of=profile_of,
        stages=table,
        events=seq,
        profiles=int(service.stats["profiles"]),
        merges=merges,
        refused=refused,
        seconds=spent,
    )
