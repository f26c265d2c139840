"""Waymark's own derived state for a simulated population: the messages go through ingest's
normalisation, the streaming identity graph and the streaming stage engine, exactly as committed
events do in the runtime, and come out as what ``compare`` reads.

Events are processed chunk by chunk (nothing holds the whole log); the journey service listens
to the identity service's resolutions, as in the runtime, so merges re-place the absorbed
profile's journeys on the survivor. Stages per day come from the journeys' transition histories.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from waymark.identity.api import IdentityConfig, IdentityService
from waymark.ingest.api import IngestLimits, RawRecord, parse_records
from waymark.journey.api import JourneyService
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
    """Seconds spent in ingest parsing, identity and journeys, and reading back."""


def derive(
    chunks: Iterable[list[Message]],
    truth: GroundTruth,
    *,
    model: JourneyModel,
    identity: IdentityConfig,
    received_at: datetime,
    progress: Callable[[int], None] | None = None,
) -> Derived:
    """Run the messages through ingest, identity and journeys (wired as the runtime wires
    them: journeys listen to identity's resolutions); read back what ``compare`` needs."""
    encode = msgspec.json.Encoder().encode
    limits = IngestLimits()
    service = IdentityService(identity)
    journeys = JourneyService([model])
    service.subscribe(journeys.on_resolved)
    seq = 0
    merges = refused = 0
    spent = {"ingest": 0.0, "identity and journeys": 0.0}
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
        merges += len(resolution.merges)
        refused += len(resolution.refused)
        spent["ingest"] += middle - began
        spent["identity and journeys"] += time.perf_counter() - middle
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
            profile_of[(kind, value)] = live
    homes = {
        profile_of[(p.home_kind, p.home_value)]
        for p in truth.people
        if (p.home_kind, p.home_value) in profile_of
    }
    table = _stage_table(journeys, model.name, truth, homes)
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


def _stage_table(
    journeys: JourneyService, model: str, truth: GroundTruth, homes: set[str]
) -> StageTable:
    """Stage per (profile, product) at the end of each day, from the transition history of the
    journeys of every person's home profile (the only profiles ``compare`` reads).

    ``JourneyService.stages_as_of`` answers the same per day, but rebuilds every journey state
    on each call, which at 100k customers over 90 days costs minutes; one pass over the
    histories costs seconds."""
    start = datetime.combine(truth.start, datetime.min.time(), tzinfo=UTC)
    histories = {
        (state.profile_id, state.product): [(t.at, t.to_stage) for t in state.history]
        for profile in sorted(homes)
        for state in journeys.states(profile)
        if state.model == model
    }
    return stage_table(truth.stages, histories, start=start, days=truth.days)
