"""Rebuild everything derived from the log: identity (vectorised components plus replay of
conflicting ones), then journeys over the events with their final profiles, then accounts
(group calls aggregated, journeys derived from the rebuilt members), then lead scores from the
journeys' evidence (with the rebuilt memberships), then decide's bandit counts. Streaming
resumes from the log's last seq afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.ports import EventLog
from waymark.identity.api import attach_profiles
from waymark.runtime.services import Services


class RebuildSummary(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    profiles: int
    merges: int
    refused_merges: int
    unattributed_events: int
    journey_states: int
    journey_transitions: int
    feedback_events: int
    accounts: int = 0
    score_contributions: int = 0
    identity_seconds: float
    journeys_seconds: float
    total_seconds: float


def _placed(
    event_log: EventLog, assignment: pa.Table, until: int, *, only: str | None = None
) -> Iterator[tuple[pa.RecordBatch, pa.Array]]:
    """Events with their final profiles (those of call type ``only`` when given)."""
    for scanned in event_log.scan(until_seq=until):
        batch = scanned if only is None else scanned.filter(pc.equal(scanned["type"], only))
        if batch.num_rows == 0:
            continue
        profiles = attach_profiles(batch, assignment)
        keep = pc.is_valid(profiles)
        yield batch.filter(keep), profiles.filter(keep)


def _labelled(event_log: EventLog, until: int) -> Iterator[pa.RecordBatch]:
    """The log's columns scoring names events by (its rules are on event and page names)."""
    for batch in event_log.scan(until_seq=until):
        yield batch.select(["seq", "type", "event", "name"])


def rebuild_derived(
    services: Services, *, say: Callable[[str], None] = lambda _: None
) -> RebuildSummary:
    identity, journeys = services.identity, services.journeys
    if identity is None or journeys is None:
        raise RuntimeError("rebuild needs the identity and journey services")
    started = time.perf_counter()
    say("identity: resolving every identifier in the log")
    report, assignment = identity.rebuild(services.event_log)
    identity_done = time.perf_counter()
    until = identity.checkpoint()
    say(f"journeys: placing {report.events:,} events on {len(journeys.models)} models")
    rebuilt = journeys.rebuild(_placed(services.event_log, assignment, until), checkpoint=until)
    journeys_done = time.perf_counter()
    accounts = 0
    if services.accounts is not None:
        say("accounts: memberships from group calls, stages from members")
        accounts = services.accounts.rebuild(
            _placed(services.event_log, assignment, until, only="group"), checkpoint=until
        )
    scored = 0
    if services.scoring is not None:
        say("scoring: lead scores from the journeys' evidence")
        scored = services.scoring.rebuild(
            rebuilt.evidence, _labelled(services.event_log, until), checkpoint=until
        )
    if services.analytics is not None:
        # its snapshot is keyed on the log's high-water mark, which a deletion leaves alone
        services.analytics.sources.invalidate()
    feedback = 0
    if services.decide is not None:
        say("decide: recounting feedback")
        feedback = services.decide.rebuild(services.event_log.scan(until_seq=until))
    return RebuildSummary(
        events=report.events,
        profiles=report.profiles,
        merges=report.merges,
        refused_merges=report.refused,
        unattributed_events=report.unattributed_events,
        journey_states=rebuilt.states.num_rows,
        journey_transitions=rebuilt.transitions.num_rows,
        feedback_events=feedback,
        accounts=accounts,
        score_contributions=scored,
        identity_seconds=identity_done - started,
        journeys_seconds=journeys_done - identity_done,
        total_seconds=time.perf_counter() - started,
    )
