"""Decide facade: the next best experience for a customer on a channel, and why.

Other packages import only this module and ``contracts``. A ``Decider`` owns one catalog,
the learned propensities (Thompson sampling state) and a decision log; it is built once by
the runtime and shared by the API, the pipeline (feedback events) and orchestration.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.decide._audience import normalise_email, normalise_phone, page, sha256_hex
from waymark.decide._bandit import BanditState
from waymark.decide._catalog import Catalog, build_catalog, load_catalog_text
from waymark.decide._codes import CODES
from waymark.decide._contact import WINDOWS as CONTACT_WINDOWS
from waymark.decide._contact import ContactCheck, check_contact
from waymark.decide._decide import decide
from waymark.decide._feedback import feedback_from_batches, feedback_from_events, first_seen
from waymark.decide._holdout import in_holdout
from waymark.decide._memory import (
    MemoryAudienceHistory,
    MemoryCatalogStore,
    MemoryDecisionLog,
    StaticContexts,
)
from waymark.decide._models import journey_stages
from waymark.decide._rules import CHANNELS, Models
from waymark.decide._sizes import AudienceTracker
from waymark.decide._source import Source
from waymark.decide.config import CatalogDoc, Experience, Policy
from waymark.decide.contracts import (
    AudiencePage,
    AudiencesActivity,
    CatalogPerformance,
    DecideRequest,
    Decision,
    DecisionContext,
    ExperiencePerformance,
    Feedback,
)
from waymark.decide.errors import (
    CatalogInvalid,
    DecideUnavailable,
    InvalidDecideRequest,
    UnknownAudience,
    UnknownDecision,
    UnknownExperience,
    UnknownProfile,
)
from waymark.decide.ports import AudienceHistory, CatalogStore, ContextSource, DecisionLog

__all__ = [
    "CODES",
    "CONTACT_WINDOWS",
    "BanditState",
    "Catalog",
    "CatalogDoc",
    "ContactCheck",
    "Decider",
    "Experience",
    "FeedbackProcessor",
    "MemoryAudienceHistory",
    "MemoryCatalogStore",
    "MemoryDecisionLog",
    "Policy",
    "StaticContexts",
    "build_catalog",
    "check_contact",
    "in_holdout",
    "journey_stages",
    "load_catalog_text",
    "normalise_email",
    "normalise_phone",
    "sha256_hex",
    "shipped_catalog",
]

MAX_COUNT = 20
HISTORY = timedelta(days=30)
"""How far back contact history counts (the longest cap window)."""


def shipped_catalog(name: str = "learning-kits") -> str:
    """The text of an example catalog shipped in ``waymark/decide/catalogs``."""
    return (resources.files("waymark.decide") / "catalogs" / f"{name}.yaml").read_text("utf-8")


class Decider:
    """Decisions, feedback and catalog administration over one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        models: Models | None = None,
        log: DecisionLog | None = None,
        catalogs: CatalogStore | None = None,
        rng: np.random.Generator | None = None,
        contexts: ContextSource | None = None,
        audiences: AudienceHistory | None = None,
    ) -> None:
        """``models``: journey model -> ordered stage names (default: the shipped models),
        used to validate catalogs set later through the admin API. ``contexts`` resolves
        profiles and builds their contexts (the runtime's, from identity and journeys).
        ``audiences`` keeps audience joins, leaves and exports (default: in memory only)."""
        self._catalog = catalog
        self._contexts = contexts
        self._models = models if models is not None else journey_stages()
        self._state = BanditState.for_catalog(catalog)
        self._log: DecisionLog = log if log is not None else MemoryDecisionLog()
        self._catalogs: CatalogStore = catalogs if catalogs is not None else MemoryCatalogStore()
        self._rng = rng if rng is not None else np.random.default_rng()
        # the generator and the counts are not thread-safe; decisions are short
        self._lock = threading.Lock()
        self._audiences = AudienceTracker(
            history=audiences if audiences is not None else MemoryAudienceHistory()
        )

    @classmethod
    def open(
        cls,
        default_yaml: str,
        *,
        models: Models | None = None,
        log: DecisionLog | None = None,
        catalogs: CatalogStore | None = None,
        rng: np.random.Generator | None = None,
        contexts: ContextSource | None = None,
        audiences: AudienceHistory | None = None,
        name: str | None = None,
    ) -> Decider:
        """The catalog last saved through the admin API, else ``default_yaml``."""
        models = models if models is not None else journey_stages()
        stored = catalogs.load() if catalogs is not None else None
        if stored is not None:
            catalog = build_catalog(
                msgspec.json.decode(stored), models=models, source=Source("<stored catalog>")
            )
        else:
            catalog = load_catalog_text(default_yaml, models=models, name=name)
        return cls(
            catalog,
            models=models,
            log=log,
            catalogs=catalogs,
            rng=rng,
            contexts=contexts,
            audiences=audiences,
        )

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def models(self) -> Models:
        """Journey model -> ordered stage names that catalogs are checked against."""
        return self._models

    @property
    def state(self) -> BanditState:
        return self._state

    # -- decisions -------------------------------------------------------------------------

    def decide(self, ctx: DecisionContext, request: DecideRequest) -> Decision:
        """Choose, log and return the next best experiences (contact history and consumed
        experiences from the decision log are added to the context's own)."""
        if not 1 <= request.count <= MAX_COUNT:
            raise InvalidDecideRequest(f"count must be 1 to {MAX_COUNT}", field="count")
        if request.channel not in CHANNELS:
            raise InvalidDecideRequest(
                f"unknown channel {request.channel!r} ({', '.join(sorted(CHANNELS))})",
                field="channel",
            )
        contacts, consumed = self._log.history(ctx.profile_id, since=ctx.now - HISTORY)
        if contacts or consumed:
            ctx = msgspec.structs.replace(
                ctx, contacts=ctx.contacts + tuple(contacts), consumed=ctx.consumed | consumed
            )
        with self._lock:
            decision = decide(ctx, request, self._catalog, self._state, self._rng)
        self._log.save(decision)
        return decision

    def _source(self) -> ContextSource:
        if self._contexts is None:
            raise DecideUnavailable(
                "this decider has no profile source: the runtime wires identity and journeys in"
            )
        return self._contexts

    def context_for(self, reference: Mapping[str, str], *, now: datetime) -> DecisionContext:
        """The context of the profile a ``{"id": ...}`` / ``{"<identifier type>": ...}``
        reference names."""
        reference = profile_reference(reference)
        source = self._source()
        profile_id = source.resolve(reference)
        ctx = source.context(profile_id, now) if profile_id is not None else None
        if ctx is None:
            kind, value = next(iter(reference.items()))
            raise UnknownProfile(f"no profile with {kind} {value!r}", field="profile")
        return ctx

    def decide_for(
        self, reference: Mapping[str, str], request: DecideRequest, *, now: datetime
    ) -> Decision:
        """``decide`` for a referenced profile."""
        return self.decide(self.context_for(reference, now=now), request)

    def decision(self, decision_id: str) -> Decision:
        found = self._log.get(decision_id)
        if found is None:
            raise UnknownDecision(f"no decision {decision_id!r}", decision_id=decision_id)
        return found

    # -- learning --------------------------------------------------------------------------

    def _stages(self, feedback: Sequence[Feedback]) -> list[str | None]:
        """The bandit stage of each feedback: its own, else the one it was offered at."""
        logged = self._log.offer_stages(
            [(fb.decision_id, fb.experience_id) for fb in feedback if fb.stage is None]
        )
        return [fb.stage or logged.get((fb.decision_id, fb.experience_id)) for fb in feedback]

    def apply_feedback(self, feedback: Iterable[Feedback]) -> int:
        """Count feedback not counted before; returns how many were counted. Feedback whose
        decision is unknown (and that names no stage) is ignored."""
        target = self._catalog.doc.policy.arbitration.outcome
        items = list(feedback)
        known = [
            (fb, stage)
            for fb, stage in zip(items, self._stages(items), strict=True)
            if stage is not None
        ]
        fresh = self._log.mark_feedback(
            [(fb.decision_id, fb.experience_id, fb.outcome) for fb, _ in known]
        )
        counted = 0
        with self._lock:
            for (fb, stage), new in zip(known, fresh, strict=True):
                if new:
                    counted += self._state.record(fb.experience_id, stage, fb.outcome, target)
        return counted

    def observe(self, events: Iterable[Event]) -> int:
        """The pipeline's hook: learn from the feedback events among committed events."""
        return self.apply_feedback(feedback_from_events(events))

    def rebuild(self, batches: Iterable[pa.RecordBatch]) -> int:
        """Fresh counts from the whole log (``EventLog.scan``): what streaming would give on a
        fresh log store. Returns how many feedback events were counted."""
        target = self._catalog.doc.policy.arbitration.outcome
        state = BanditState.for_catalog(self._catalog)
        counted = 0
        feedback = first_seen(feedback_from_batches(batches))
        for fb, stage in zip(feedback, self._stages(feedback), strict=True):
            if stage is not None:
                counted += state.record(fb.experience_id, stage, fb.outcome, target)
        with self._lock:
            self._state = state
        return counted

    # -- catalog administration ------------------------------------------------------------

    def set_catalog(self, data: Any, *, at: datetime) -> Catalog:
        """Validate and switch to a new catalog document; counts carry over by id."""
        catalog = build_catalog(data, models=self._models)
        self._catalogs.save(
            msgspec.json.encode(catalog.doc).decode(), version=catalog.version, at=at
        )
        with self._lock:
            self._state = self._state.rebased(catalog)
            self._catalog = catalog
        return catalog

    def put_experience(self, data: Any, *, at: datetime) -> Catalog:
        """Add an experience, or replace the one with the same id."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise CatalogInvalid("an experience needs a string id", field="id")
        doc = msgspec.to_builtins(self._catalog.doc)
        others = [e for e in doc["experiences"] if e["id"] != data["id"]]
        doc["experiences"] = [*others, data]
        return self.set_catalog(doc, at=at)

    def delete_experience(self, experience_id: str, *, at: datetime) -> Catalog:
        doc = msgspec.to_builtins(self._catalog.doc)
        kept = [e for e in doc["experiences"] if e["id"] != experience_id]
        if len(kept) == len(doc["experiences"]):
            raise UnknownExperience(f"no experience {experience_id!r}")
        doc["experiences"] = kept
        return self.set_catalog(doc, at=at)

    def experience(self, experience_id: str) -> Experience:
        i = self._catalog.index.get(experience_id)
        if i is None:
            raise UnknownExperience(f"no experience {experience_id!r}")
        return self._catalog.experiences[i]

    # -- audiences -------------------------------------------------------------------------

    def performance(self, *, now: datetime, days: int) -> CatalogPerformance:
        """Each catalog experience's figures over the last ``days`` days (experiences nobody
        was offered yet show zeros; ones since removed from the catalog come last)."""
        found = self._log.performance(since=now - timedelta(days=days), until=now)
        by_id = {e.experience_id: e for e in found.experiences}
        current = [e.id for e in self._catalog.experiences]
        rows = [by_id.pop(e, ExperiencePerformance(experience_id=e)) for e in current]
        return msgspec.structs.replace(found, experiences=(*rows, *by_id.values()))

    def audience(
        self,
        name: str,
        *,
        now: datetime,
        cursor: str | None = None,
        limit: int = 1000,
        default_region: str | None = None,
    ) -> AudiencePage:
        """One page of a named audience's members as SHA-256 of normalised e-mail / phone."""
        audience = next((a for a in self._catalog.doc.audiences if a.name == name), None)
        if audience is None:
            raise UnknownAudience(f"no audience {name!r}")
        members, last = page(
            audience,
            self._source().contexts(now, events=False),
            after=_decode_cursor(cursor),
            limit=limit,
            default_region=default_region,
        )
        if last is None:
            self._audiences.exported(name, now)
        return AudiencePage(
            audience=name,
            members=tuple(members),
            next_cursor=None if last is None else _encode_cursor(last),
        )

    def audiences(self, *, now: datetime, days: int) -> AudiencesActivity:
        """Every audience's size now (counted at most once a minute, one pass over the
        profiles for all of them; blocking, so call it off an event loop), the members who
        joined and left in the last ``days`` days (kept across restarts when the decider has
        a stored ``AudienceHistory``), and its last export."""
        source = self._source()
        audiences = self._catalog.doc.audiences
        count = self._audiences.count(
            audiences, lambda: source.contexts(now, events=False), now=now
        )
        since = now - timedelta(days=days)
        return AudiencesActivity(
            counted_at=count.at,
            since=since,
            audiences=tuple(self._audiences.activity(audiences, count, since=since)),
        )

    def audiences_held(
        self, profile_ids: Collection[str]
    ) -> AbstractContextManager[dict[str, int]]:
        """Inside, no audience count runs and the last count, in memory and stored, has
        forgotten these profiles (an erasure: see ``privacy.ports.Writers``); yields the
        stored rows removed, by table."""
        return self._audiences.held(profile_ids)

    def audience_names(self) -> list[str]:
        return [a.name for a in self._catalog.doc.audiences]


class FeedbackProcessor:
    """The runtime pipeline's view of a Decider (``runtime.pipeline.Processor``): feedback
    events in committed order.

    Counts live in memory; building the processor rebuilds them from the whole log (one
    vectorised scan) and starts its checkpoint at the log's end, so a restart neither loses
    counts nor counts twice (the decision log remembers what streaming already counted).
    """

    name = "decide"

    def __init__(self, decider: Decider, event_log: EventLog) -> None:
        self._decider = decider
        self._seq = event_log.max_seq()
        decider.rebuild(event_log.scan(until_seq=self._seq))

    def checkpoint(self) -> int:
        return self._seq

    def process(self, events: Sequence[Event]) -> None:
        fresh = [e for e in events if e.seq > self._seq]
        if fresh:
            self._decider.observe(fresh)
            self._seq = fresh[-1].seq

    def flush(self) -> None:
        """Nothing to persist: counts are rebuilt from the log at start."""


def _encode_cursor(profile_id: str) -> str:
    return base64.urlsafe_b64encode(profile_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidDecideRequest("cursor is not one this API gave out", field="cursor") from None


def profile_reference(reference: Mapping[str, str]) -> Mapping[str, str]:
    """Check a ``{"id": ...}`` / ``{"<identifier type>": "<value>"}`` profile reference."""
    if len(reference) != 1:
        raise InvalidDecideRequest(
            'profile must have exactly one key: {"id": ...} or {"<identifier type>": ...}',
            field="profile",
        )
    return reference
