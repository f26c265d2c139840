"""In-memory implementations of decide's ports: the reference for tests and embedding."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import msgspec

from waymark.decide.contracts import (
    CatalogPerformance,
    ContactRecord,
    Decision,
    DecisionContext,
    ExperiencePerformance,
    GroupOutcomes,
)
from waymark.decide.ports import AudienceChange, AudienceCount, FeedbackKey, History


class MemoryDecisionLog:
    def __init__(self) -> None:
        self._decisions: dict[str, Decision] = {}
        self._by_profile: dict[str, list[Decision]] = {}
        self._feedback: set[FeedbackKey] = set()
        self._consumed: dict[str, set[str]] = {}

    def save(self, decision: Decision) -> None:
        self._decisions[decision.decision_id] = decision
        self._by_profile.setdefault(decision.profile_id, []).append(decision)

    def get(self, decision_id: str) -> Decision | None:
        return self._decisions.get(decision_id)

    def mark_feedback(self, keys: Sequence[FeedbackKey]) -> list[bool]:
        fresh: list[bool] = []
        for key in keys:
            new = key not in self._feedback
            fresh.append(new)
            if not new:
                continue
            self._feedback.add(key)
            decision = self._decisions.get(key[0])
            if decision is not None and key[2] != "viewed":
                self._consumed.setdefault(decision.profile_id, set()).add(key[1])
        return fresh

    def offer_stages(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for decision_id, experience_id in keys:
            decision = self._decisions.get(decision_id)
            for chosen in decision.experiences if decision is not None else ():
                if chosen.id == experience_id:
                    out[(decision_id, experience_id)] = chosen.stage
        return out

    def history(self, profile_id: str, *, since: datetime) -> History:
        contacts = [
            ContactRecord(experience_id=c.id, channel=d.channel, at=d.at)
            for d in self._by_profile.get(profile_id, ())
            if d.at >= since
            for c in d.experiences
        ]
        return History(contacts, frozenset(self._consumed.get(profile_id, ())))

    def performance(self, *, since: datetime, until: datetime) -> CatalogPerformance:
        # the reference backend: a plain walk over every decision, one counter per figure
        window = {k: d for k, d in self._decisions.items() if since < d.at <= until}
        considered: Counter[str] = Counter()
        eligible: Counter[str] = Counter()
        excluded: dict[str, Counter[str]] = {}
        got: Counter[tuple[str, bool, str]] = Counter()
        for d in window.values():
            eligible.update(c.experience_id for c in d.candidates)
            considered.update(
                {c.experience_id for c in d.candidates} | {x.experience_id for x in d.excluded}
            )
            for x in d.excluded:
                excluded.setdefault(x.experience_id, Counter())[x.policy] += 1
            got.update((c.id, d.holdout, "chosen") for c in d.experiences)
        for decision_id, experience_id, outcome in self._feedback:
            fed = window.get(decision_id)
            if fed is not None:
                got[(experience_id, fed.holdout, outcome)] += 1

        def group(e: str, holdout: bool) -> GroupOutcomes:
            return GroupOutcomes(
                **{k: got[(e, holdout, k)] for k in ("chosen", "viewed", "clicked", "converted")}
            )

        seen = sorted({*considered, *(e for e, _, _ in got)})
        return CatalogPerformance(
            since=since,
            until=until,
            decisions=len(window),
            holdout_decisions=sum(d.holdout for d in window.values()),
            experiences=tuple(
                ExperiencePerformance(
                    experience_id=e,
                    considered=considered[e],
                    eligible=eligible[e],
                    excluded=dict(sorted(excluded.get(e, Counter()).items())),
                    treated=group(e, False),
                    holdout=group(e, True),
                )
                for e in seen
            ),
        )

    def __len__(self) -> int:
        return len(self._decisions)


class MemoryCatalogStore:
    def __init__(self) -> None:
        self._doc: str | None = None

    def load(self) -> str | None:
        return self._doc

    def save(self, document: str, *, version: str, at: datetime) -> None:
        self._doc = document


class MemoryAudienceHistory:
    """Audience history for as long as the process lives (the Decider's default)."""

    def __init__(self) -> None:
        self._count: AudienceCount | None = None
        self._changes: list[AudienceChange] = []
        self._exports: dict[str, datetime] = {}
        # counts and exports arrive on worker threads while the dashboard reads
        self._lock = threading.Lock()

    def record_count(
        self, count: AudienceCount, changes: Sequence[AudienceChange], *, forget_before: datetime
    ) -> None:
        # as a store of member rows would: an audience nobody is in has none
        kept = AudienceCount(count.at, {k: v for k, v in count.members.items() if v})
        with self._lock:
            self._count = kept
            self._changes = [c for c in (*self._changes, *changes) if c.at >= forget_before]

    def last_count(self) -> AudienceCount | None:
        with self._lock:
            return self._count

    def forget(self, profile_ids: Sequence[str]) -> int:
        gone = frozenset(profile_ids)
        with self._lock:
            if self._count is None:
                return 0
            before = self._count.members
            members = {k: v - gone for k, v in before.items()}
            self._count = AudienceCount(self._count.at, {k: v for k, v in members.items() if v})
            return sum(len(v & gone) for v in before.values())

    def changes(self, *, since: datetime) -> list[AudienceChange]:
        with self._lock:
            found = [c for c in self._changes if c.at >= since]
        return sorted(found, key=lambda c: (c.at, c.audience))

    def record_export(self, audience: str, at: datetime) -> None:
        with self._lock:
            self._exports[audience] = at

    def exports(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._exports)


class StaticContexts:
    """A fixed set of contexts (tests, the demo before identity and journeys are wired)."""

    def __init__(self, contexts: list[DecisionContext]) -> None:
        self._by_id = {c.profile_id: c for c in contexts}
        self._by_identifier = {
            (kind, value): c.profile_id
            for c in contexts
            for kind, values in c.identifiers.items()
            for value in values
        }

    def resolve(self, reference: Mapping[str, str]) -> str | None:
        if "id" in reference:
            return reference["id"] if reference["id"] in self._by_id else None
        for kind, value in reference.items():
            found = self._by_identifier.get((kind, value))
            if found is not None:
                return found
        return None

    def context(self, profile_id: str, now: datetime) -> DecisionContext | None:
        ctx = self._by_id.get(profile_id)
        if ctx is None:
            return None
        return msgspec.structs.replace(ctx, now=now)

    def contexts(self, now: datetime, *, events: bool = True) -> Iterator[DecisionContext]:
        for pid in sorted(self._by_id):
            yield self._by_id[pid]
