"""A small simulated population run through ingest, identity and the journey engine, as the
runtime does: the events (with each one's resolved profile) and the engine's states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import pyarrow as pa

from waymark.core.eventframe import events_to_arrow
from waymark.identity.api import IdentityService
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import JourneyEngine
from waymark.journey.contracts import JourneyModel, JourneyState
from waymark.sim.api import load_preset, simulate


@dataclass(frozen=True)
class World:
    model: JourneyModel
    events: pa.Table
    """``EVENT_SCHEMA`` plus ``profile_id`` (the survivor after merges)."""
    states: list[JourneyState]
    end: datetime


def simulated_world(*, customers: int = 300, days: int = 60, seed: int = 3) -> World:
    preset = load_preset("learning-kits")
    population = simulate(preset, customers=customers, products=3, days=days, seed=seed)
    model = preset.plan.model
    service = IdentityService(preset.identity)
    engine = JourneyEngine([model])
    encode = msgspec.json.Encoder().encode
    received = datetime(2030, 1, 1, tzinfo=UTC)
    tables: list[pa.Table] = []
    raw_profiles: list[str | None] = []
    seq = 0
    for chunk in population.messages():
        records = [RawRecord(line=seq + i + 1, raw=encode(m)) for i, m in enumerate(chunk)]
        parsed = parse_records(records, source="sim", received_at=received, limits=IngestLimits())
        events = [msgspec.structs.replace(e, seq=seq + i + 1) for i, e in enumerate(parsed.events)]
        seq += len(events)
        resolution = service.observe(events)
        owned = [(e, p) for e, p in zip(events, resolution.profile_ids, strict=True) if p]
        engine.observe([e for e, _ in owned], [p for _, p in owned])
        for merge in resolution.merges:
            if merge.profile_id and merge.other_id:
                engine.merge(merge.profile_id, merge.other_id)
        tables.append(events_to_arrow(events))
        raw_profiles.extend(resolution.profile_ids)
    # every event under its profile's survivor, as the engine keys its states
    profiles = [engine.resolve(p) if p else None for p in raw_profiles]
    table = pa.concat_tables(tables).append_column("profile_id", pa.array(profiles, pa.string()))
    end = max(e for e in table.column("timestamp").to_pylist()).replace(tzinfo=UTC)
    return World(model=model, events=table, states=list(engine.all_states()), end=end)
