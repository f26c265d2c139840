"""From what happened (committed events, stage changes, audience joins, calendar dates) to the
runs it starts. Pure: the same input always gives the same runs with the same ids, so feeding
an event twice (after a restart) starts nothing new."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from waymark.core.events import Event
from waymark.journey.contracts import StageChanged
from waymark.orchestrate._conditions import Scope, all_hold, lookup, needs_profile
from waymark.orchestrate._flow import Flow, FlowSet
from waymark.orchestrate._keys import calendar_timer, run_id, step_key
from waymark.orchestrate.contracts import AudienceJoined, ProfileView
from waymark.orchestrate.ports import NewRun, NewTimer
from waymark.scoring.contracts import ScoreLabelChanged

_encode = msgspec.json.Encoder().encode
ProfileOf = Callable[[str], ProfileView | None]


def channel_of(flow: Flow, step_id: str | None) -> str | None:
    step = flow.step(step_id) if step_id else None
    return step.send.channel if step is not None and step.send is not None else None


def new_run(
    flow: Flow,
    profile_id: str,
    occurrence: str,
    at: datetime,
    *,
    kind: str,
    trigger: dict[str, Any],
    product: str | None,
) -> NewRun:
    """A run that starts at ``at`` (the trigger's time): its first step is due after the
    trigger's delay and any waits before it."""
    rid = run_id(flow.id, profile_id, occurrence)
    step, waits = flow.first()
    text = _encode({"kind": kind, "trigger": trigger, "product": product}).decode()
    first = None
    if step is not None:
        first = NewTimer(
            timer_id=step_key(rid, step),
            flow_id=flow.id,
            step_id=step,
            due_at=at + flow.delay + waits,
            run_id=rid,
            profile_id=profile_id,
            channel=channel_of(flow, step),
            context=text,
            started_at=at,
        )
    return NewRun(
        run_id=rid,
        flow_id=flow.id,
        profile_id=profile_id,
        occurrence=occurrence,
        started_at=at,
        context=text,
        reentry=flow.doc.reentry,
        first=first,
    )


def product_of(properties: dict[str, Any]) -> str | None:
    pid = properties.get("product_id")
    if isinstance(pid, str):
        return pid
    items = properties.get("products")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        first = items[0].get("product_id")
        return first if isinstance(first, str) else None
    return None


def event_fields(ev: Event) -> dict[str, Any]:
    return {
        "name": ev.label,
        "type": ev.type,
        "properties": ev.properties,
        "channel": ev.channel,
        "timestamp": ev.timestamp.isoformat(),
        "message_id": ev.message_id,
        "source": ev.source,
    }


class _Profiles:
    """Profiles fetched at most once per batch."""

    def __init__(self, get: ProfileOf) -> None:
        self._get = get
        self._seen: dict[str, ProfileView | None] = {}

    def __call__(self, profile_id: str) -> ProfileView | None:
        if profile_id not in self._seen:
            self._seen[profile_id] = self._get(profile_id)
        return self._seen[profile_id]


def _passes(flow: Flow, profile_id: str, scope: Scope, profiles: _Profiles) -> bool:
    where = flow.doc.trigger.where
    profile = profiles(profile_id) if needs_profile(where) else None
    return all_hold(where, profile, scope)


def as_moment(value: Any, at: str, zone: str) -> datetime | None:
    """A trait's date (``2026-01-25``, a datetime, or ISO text) as an aware moment; a plain
    date takes the time of day ``at`` in ``zone``."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                date.fromisoformat(text)
                if len(text) == 10
                else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        hh, mm = (int(p) for p in at.split(":"))
        return datetime.combine(value, time(hh, mm), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return None


def from_events(
    events: Iterable[Event],
    flows: FlowSet,
    *,
    profile_of_event: Callable[[Event], str | None],
    get_profile: ProfileOf,
    now: datetime,
) -> tuple[list[NewRun], list[tuple[str, str]]]:
    """Runs started by these events, and (flow, profile) pairs whose active runs they end."""
    runs: list[NewRun] = []
    exits: list[tuple[str, str]] = []
    profiles = _Profiles(get_profile)
    for ev in events:
        label = ev.label
        started = flows.by_event.get(label, ())
        ending = flows.exits.get(label, ())
        dated = [
            f
            for trait in (ev.traits if ev.type == "identify" and flows.by_trait else ())
            for f in flows.by_trait.get(trait, ())
        ]
        if not (started or ending or dated):
            continue
        pid = profile_of_event(ev)
        if pid is None:
            continue
        for flow in ending:
            exits.append((flow.id, pid))
            # a run this batch started before the exit event ends too
            runs = [r for r in runs if not (r.flow_id == flow.id and r.profile_id == pid)]
        fields = event_fields(ev)
        product = product_of(ev.properties)
        scope = Scope(trigger=fields, product=product, started_at=ev.timestamp, now=now)
        for flow in started:
            if _passes(flow, pid, scope, profiles):
                runs.append(
                    new_run(
                        flow,
                        pid,
                        f"{ev.source}/{ev.message_id}",
                        ev.timestamp,
                        kind="event",
                        trigger=fields,
                        product=product,
                    )
                )
        for flow in dated:
            runs.extend(_trait_date(flow, pid, ev, scope, profiles))
    return runs, exits


def _trait_date(
    flow: Flow, pid: str, ev: Event, scope: Scope, profiles: _Profiles
) -> Iterator[NewRun]:
    spec = flow.doc.trigger.date
    assert spec is not None
    assert spec.trait is not None
    moment = as_moment(lookup(ev.traits, spec.trait), spec.at, spec.timezone)
    if moment is None or not _passes(flow, pid, scope, profiles):
        return
    fields = {"trait": spec.trait, "date": moment.isoformat()}
    yield new_run(
        flow,
        pid,
        f"{spec.trait}={moment.isoformat()}",
        moment + flow.offset,
        kind="date",
        trigger=fields,
        product=None,
    )


def from_stage_changes(
    changes: Iterable[StageChanged], flows: FlowSet, *, get_profile: ProfileOf, now: datetime
) -> list[NewRun]:
    runs: list[NewRun] = []
    profiles = _Profiles(get_profile)
    for ch in changes:
        for flow in flows.by_model.get(ch.model, ()):
            spec = flow.doc.trigger.stage
            assert spec is not None
            if (
                (spec.product is not None and spec.product != ch.product)
                or (spec.enter is not None and spec.enter != ch.to_stage)
                or (spec.leave is not None and spec.leave != ch.from_stage)
                or (spec.direction is not None and spec.direction != ch.direction)
            ):
                continue
            fields = {
                "model": ch.model,
                "product": ch.product,
                "from": ch.from_stage,
                "to": ch.to_stage,
                "direction": ch.direction,
                "furthest": ch.furthest,
            }
            scope = Scope(trigger=fields, product=ch.product, started_at=ch.at, now=now)
            if not _passes(flow, ch.profile_id, scope, profiles):
                continue
            occurrence = f"{ch.model}/{ch.product}/{ch.from_stage}>{ch.to_stage}/{ch.message_id}"
            runs.append(
                new_run(
                    flow,
                    ch.profile_id,
                    occurrence,
                    ch.at,
                    kind="stage",
                    trigger=fields,
                    product=ch.product,
                )
            )
    return runs


def from_audience(
    joins: Iterable[AudienceJoined], flows: FlowSet, *, get_profile: ProfileOf, now: datetime
) -> list[NewRun]:
    runs: list[NewRun] = []
    profiles = _Profiles(get_profile)
    for j in joins:
        for flow in flows.by_audience.get(j.audience, ()):
            fields = {"audience": j.audience}
            scope = Scope(trigger=fields, product=None, started_at=j.at, now=now)
            if _passes(flow, j.profile_id, scope, profiles):
                occurrence = f"{j.audience}/{j.occurrence or j.at.isoformat()}"
                runs.append(
                    new_run(
                        flow,
                        j.profile_id,
                        occurrence,
                        j.at,
                        kind="audience",
                        trigger=fields,
                        product=None,
                    )
                )
    return runs


def from_label_changes(
    changes: Iterable[ScoreLabelChanged], flows: FlowSet, *, get_profile: ProfileOf, now: datetime
) -> list[NewRun]:
    """Runs for lead-label crossings. The change's occurrence (subject, product, label and
    crossing number) makes the run id, so a crossing replayed after a restart starts nothing
    new and the sales system hears of it once."""
    runs: list[NewRun] = []
    profiles = _Profiles(get_profile)
    for ch in changes:
        if ch.new is None:
            continue
        for flow in flows.by_label.get(ch.new, ()):
            spec = flow.doc.trigger.score_label
            assert spec is not None
            if (
                spec.subject != ch.subject
                or (spec.product is not None and spec.product != ch.product)
                or (spec.model is not None and spec.model != ch.model)
            ):
                continue
            fields = {
                "subject": ch.subject,
                "id": ch.id,
                "account": ch.id if ch.subject == "account" else None,
                "model": ch.model,
                "product": ch.product,
                "from": ch.old,
                "to": ch.new,
            }
            scope = Scope(trigger=fields, product=ch.product, started_at=ch.at, now=now)
            if not _passes(flow, ch.profile_id, scope, profiles):
                continue
            runs.append(
                new_run(
                    flow,
                    ch.profile_id,
                    ch.occurrence,
                    ch.at,
                    kind="score_label",
                    trigger=fields,
                    product=ch.product,
                )
            )
    return runs


def next_calendar(flow: Flow, after: datetime) -> NewTimer:
    """The calendar timer for the first occurrence of the flow's date after ``after``."""
    spec = flow.doc.trigger.date
    assert spec is not None
    assert spec.every_year is not None
    month, day = (int(p) for p in spec.every_year.split("-"))
    hh, mm = (int(p) for p in spec.at.split(":"))
    zone = ZoneInfo(spec.timezone)
    year = after.astimezone(zone).year
    while True:
        local = datetime(year, month, day, hh, mm, tzinfo=zone)
        moment = local.astimezone(UTC) + flow.offset
        if moment > after:
            break
        year += 1
    return NewTimer(
        timer_id=calendar_timer(flow.id, local.date().isoformat()),
        flow_id=flow.id,
        step_id=local.date().isoformat(),
        due_at=moment,
        kind="calendar",
    )


def from_calendar(
    flow: Flow,
    when: datetime,
    day: str,
    profile_ids: Iterable[str],
    *,
    get_profile: ProfileOf,
    now: datetime,
) -> list[NewRun]:
    """Runs for every profile the calendar flow's conditions select on its date."""
    fields = {"date": day}
    scope = Scope(trigger=fields, product=None, started_at=when, now=now)
    profiles = _Profiles(get_profile)
    return [
        new_run(flow, pid, f"date/{day}", when, kind="date", trigger=fields, product=None)
        for pid in profile_ids
        if _passes(flow, pid, scope, profiles)
    ]


def earliest_due(runs: Sequence[NewRun]) -> datetime | None:
    dues = [r.first.due_at for r in runs if r.first is not None]
    return min(dues) if dues else None
