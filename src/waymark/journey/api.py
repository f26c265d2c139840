"""Journey facade: models as configuration, and where each customer stands on them.

Other packages import only this module and ``waymark.journey.contracts``.

- ``load_model`` / ``load_model_text``: a validated, frozen ``JourneyModel``.
- ``evidence_of``: what one event is evidence of on a model (per product).
- ``JourneyEngine``: the in-memory streaming engine (``observe(events, profile_ids)``,
  ``merge(survivor, absorbed)``, ``states``); ``rebuild``: the vectorised batch twin.
- ``JourneyService``: the engine with persistence (``JourneyStore``), stage-change listeners,
  identity wiring (``on_resolved``) and the reads the API and CLI answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.clock import Clock, SystemClock
from waymark.core.events import Event
from waymark.core.listeners import notify
from waymark.journey._engine import StreamingEngine as JourneyEngine
from waymark.journey._loader import duration as yaml_duration
from waymark.journey._loader import load_text
from waymark.journey._loader import number as yaml_number
from waymark.journey._machine import Evidence, to_us
from waymark.journey._match import ModelMatcher
from waymark.journey._models import SHIPPED, load
from waymark.journey._rebuild import Rebuilt, rebuild
from waymark.journey._status import STATUSES, status_codes, status_of
from waymark.journey._tables import (
    EVIDENCE,
    STATES,
    TRANSITIONS,
    evidence_items,
    machine_rows,
    rows_to_table,
    states_from_tables,
)
from waymark.journey._yamlnodes import Node as YamlNode
from waymark.journey._yamlnodes import items as yaml_items
from waymark.journey._yamlnodes import mapping as yaml_mapping
from waymark.journey._yamlnodes import name as yaml_name
from waymark.journey._yamlnodes import optional as yaml_optional
from waymark.journey._yamlnodes import parse as parse_yaml
from waymark.journey._yamlnodes import read as read_yaml_file
from waymark.journey._yamlnodes import required as yaml_required
from waymark.journey._yamlnodes import text as yaml_text
from waymark.journey._yamlnodes import texts as yaml_texts
from waymark.journey.config import (
    CONFIG_FILENAME,
    JourneyConfig,
    config_for,
    load_journey_config,
)
from waymark.journey.contracts import (
    BRAND,
    JourneyModel,
    JourneyState,
    JourneyView,
    StageChanged,
    StageCount,
    StageCounts,
    Status,
)
from waymark.journey.errors import ModelNotFound
from waymark.journey.ports import JourneyStore

__all__ = [
    "BRAND",
    "CONFIG_FILENAME",
    "EVIDENCE_SCHEMA",
    "SHIPPED_MODELS",
    "STATES_SCHEMA",
    "TRANSITIONS_SCHEMA",
    "EvidenceHit",
    "EvidenceMatcher",
    "JourneyConfig",
    "JourneyEngine",
    "JourneyService",
    "JourneyStore",
    "Rebuilt",
    "Status",
    "YamlNode",
    "config_for",
    "evidence_of",
    "load_journey_config",
    "load_model",
    "load_model_text",
    "parse_yaml",
    "read_yaml_file",
    "rebuild",
    "states_from_tables",
    "status_of",
    "yaml_duration",
    "yaml_items",
    "yaml_mapping",
    "yaml_name",
    "yaml_number",
    "yaml_optional",
    "yaml_required",
    "yaml_text",
    "yaml_texts",
]

log = logging.getLogger(__name__)

SHIPPED_MODELS = SHIPPED
STATES_SCHEMA = STATES
TRANSITIONS_SCHEMA = TRANSITIONS
EVIDENCE_SCHEMA = EVIDENCE

StageListener = Callable[[list[StageChanged]], None]


def load_model(name_or_path: str | Path) -> JourneyModel:
    """A validated, frozen model: a shipped one by name (``hourglass``, ``value-journey``,
    ``buy-own-advocate``) or a company's own YAML file by path.

    Raises ``ModelError`` (``journey.model_invalid``, naming file, line and field) for a bad
    model and ``ModelNotFound`` when there is no such model.
    """
    return load(name_or_path)


def load_model_text(text: str, *, file: str = "<text>") -> JourneyModel:
    """A model from YAML text (``file`` names it in error messages)."""
    return load_text(text, file=file)


class EvidenceHit(msgspec.Struct, frozen=True, kw_only=True):
    """What one event shows for one product: the stages it is evidence of (before the
    purchase rule is applied), their levels, and whether it is a purchase."""

    product: str
    stages: tuple[str, ...]
    levels: tuple[tuple[str, str], ...] = ()
    purchase: bool = False


class EvidenceMatcher:
    """A model's evidence rules compiled once, for other features that weigh events by the
    stage they are evidence of (lead scoring) without a second matcher."""

    def __init__(self, model: JourneyModel) -> None:
        self.model = model
        self._matcher = ModelMatcher(model)
        # stage masks and level sets are few per model; naming them once each spares lead
        # scoring a walk over the model's stages for every event it weighs
        self._stages: dict[int, tuple[str, ...]] = {}
        self._levels: dict[tuple[tuple[int, int], ...], tuple[tuple[str, str], ...]] = {}

    def __call__(self, event: Event) -> list[EvidenceHit]:
        """The evidence one event gives, per product (empty when none)."""
        stages = self._stages
        return [
            EvidenceHit(
                product=hit.product,
                stages=stages.get(hit.mask) or self._stage_names(hit.mask),
                levels=self._level_names(hit.levels) if hit.levels else (),
                purchase=hit.purchase,
            )
            for hit in self._matcher.match(event)
        ]

    def _stage_names(self, mask: int) -> tuple[str, ...]:
        names = self._stages.get(mask)
        if names is None:
            stages = self.model.stages
            names = self._stages[mask] = tuple(
                s.name for i, s in enumerate(stages) if mask >> i & 1
            )
        return names

    def _level_names(self, levels: tuple[tuple[int, int], ...]) -> tuple[tuple[str, str], ...]:
        names = self._levels.get(levels)
        if names is None:
            stages = self.model.stages
            names = tuple((stages[s].name, stages[s].levels[lv].name) for s, lv in levels)
            if len(self._levels) < 4096:  # level sets are bounded by the model; a cap anyway
                self._levels[levels] = names
        return names


def evidence_of(model: JourneyModel, event: Event) -> list[EvidenceHit]:
    """The evidence one event gives on a model, per product (empty when none)."""
    return EvidenceMatcher(model)(event)


def _view(model: JourneyModel, state: JourneyState, as_of: datetime) -> JourneyView:
    return JourneyView(
        model=state.model,
        product=state.product,
        stage=state.stage,
        phase=model.stages[model.stage_index(state.stage)].phase,
        furthest=state.furthest,
        since=state.entered_at,
        status=status_of(model, state.stage, state.entered_at, state.last_evidence_at, as_of),
        level=state.level,
        purchased_at=state.purchased_at,
        history=state.history,
    )


class JourneyService:
    """Stage placement for a set of models, streaming, persisted and rebuildable.

    Feed it from identity: ``identity.subscribe(journeys.on_resolved)`` (merges first, then the
    events with their final profiles). Events at or before the stored checkpoint are skipped,
    so replays after a restart change nothing. ``flush`` persists what changed (profiles
    touched since the last flush) with the checkpoint; profiles not in memory are loaded from
    the store when an event touches them.
    """

    name = "journeys"

    def __init__(
        self,
        models: Sequence[JourneyModel],
        *,
        store: JourneyStore | None = None,
        clock: Clock | None = None,
        flush_every: int = 200_000,
    ) -> None:
        self.models = tuple(models)
        self._by_name = {m.name: m for m in self.models}
        self._store = store
        self._clock = clock or SystemClock()
        self._flush_every = flush_every
        self._unflushed = 0
        self._lock = threading.RLock()
        self._flushing = threading.Lock()
        self._listeners: list[StageListener] = []
        self._checkpoint = store.checkpoint() if store is not None else 0
        self._saved = self._checkpoint
        self._engine = JourneyEngine(self.models, loader=self._load if store else None)

    # -- streaming -----------------------------------------------------------------------------

    def subscribe(self, listener: StageListener) -> None:
        """Call ``listener(changes)`` with the stage changes of every ``observe``/``merge``."""
        self._listeners.append(listener)

    def on_resolved(self, events: Sequence[Event], resolution: Any) -> None:
        """Identity's listener: ``resolution`` has ``merges`` (``profile_id`` survived,
        ``other_id`` absorbed) and ``final_profile_ids`` (one per event, None when the event
        named nobody)."""
        merges = [
            (m.profile_id, m.other_id) for m in resolution.merges if m.profile_id and m.other_id
        ]
        placed = [(e, p) for e, p in zip(events, resolution.final_profile_ids, strict=True) if p]
        if merges and self._store is not None:
            # each merge would read both profiles' stored evidence in its own query (a
            # millisecond or more each in DuckDB); read every profile the batch will load at
            # once: the same profiles, and nothing writes the store in between
            fresh = (p for e, p in placed if e.seq > self._checkpoint or e.seq == 0)
            with self._lock:
                self._engine.load([*(p for pair in merges for p in pair), *fresh])
        for survivor, absorbed in merges:
            self.merge(survivor, absorbed)
        self.observe([e for e, _ in placed], [p for _, p in placed])

    def observe(self, events: Sequence[Event], profile_ids: Sequence[str]) -> list[StageChanged]:
        """Place committed events (seq order) on every model; returns the stage changes."""
        fresh = [
            (e, p)
            for e, p in zip(events, profile_ids, strict=True)
            if e.seq > self._checkpoint or e.seq == 0
        ]
        with self._lock:
            changes = self._engine.observe([e for e, _ in fresh], [p for _, p in fresh])
            if events:
                self._checkpoint = max(self._checkpoint, *(e.seq for e in events))
        self._notify(changes)
        self._unflushed += len(fresh)
        if self._store is not None and self._unflushed >= self._flush_every:
            self.flush()
        return changes

    def merge(self, survivor: str, absorbed: str) -> list[StageChanged]:
        """Identity merged two profiles: the survivor's journeys replay both histories."""
        with self._lock:
            changes = self._engine.merge(survivor, absorbed)
        self._notify(changes)
        return changes

    def _notify(self, changes: list[StageChanged]) -> None:
        notify(self._listeners, changes, log=log, failed="a stage-change listener failed")

    def checkpoint(self) -> int:
        return self._checkpoint

    def flush(self) -> None:
        """Persist the profiles changed since the last flush, with the checkpoint."""
        if self._store is None:
            return
        with self._flushing:
            with self._lock:
                dirty, removed = self._engine.take_changed()
                if not dirty and not removed and self._checkpoint == self._saved:
                    return  # nothing to write (and read-only stores stay untouched)
                states: list[dict[str, Any]] = []
                transitions: list[dict[str, Any]] = []
                evidence: list[dict[str, Any]] = []
                for profile_id in dirty:
                    s, t, e = machine_rows(profile_id, self._engine.machines(profile_id))
                    states += s
                    transitions += t
                    evidence += e
                checkpoint = self._checkpoint
            self._store.save(
                profiles=sorted(dirty | removed),
                states=rows_to_table(states, STATES),
                transitions=rows_to_table(transitions, TRANSITIONS),
                evidence=rows_to_table(evidence, EVIDENCE),
                checkpoint=checkpoint,
            )
            self._unflushed = 0
            self._saved = checkpoint

    def _load(self, profile_ids: Sequence[str]) -> Mapping[str, Sequence[tuple[str, Evidence]]]:
        assert self._store is not None
        out: dict[str, list[tuple[str, Evidence]]] = {}
        for model, profile_id, item in evidence_items(self._store.evidence(profile_ids)):
            out.setdefault(profile_id, []).append((model, item))
        return out

    # -- batch ---------------------------------------------------------------------------------

    def rebuild(
        self, batches: Iterable[tuple[pa.RecordBatch, pa.Array]], *, checkpoint: int
    ) -> Rebuilt:
        """Recompute every journey from the log (batches with each event's final profile),
        replace the stored state, and continue streaming from ``checkpoint``."""
        result = rebuild(self.models, batches)
        with self._lock:
            if self._store is not None:
                self._store.replace_all(
                    states=result.states,
                    transitions=result.transitions,
                    evidence=result.evidence,
                    checkpoint=checkpoint,
                )
                self._engine.forget()
            else:
                self._engine = JourneyEngine(self.models)
                self._engine.restore_many(evidence_items(result.evidence))
            self._checkpoint = checkpoint
            self._saved = checkpoint if self._store is not None else 0
            self._unflushed = 0
        return result

    # -- reading -------------------------------------------------------------------------------

    def model(self, name: str) -> JourneyModel:
        try:
            return self._by_name[name]
        except KeyError:
            raise ModelNotFound(
                f"no journey model {name!r}; running: {', '.join(self._by_name)}"
            ) from None

    def states(self, profile_id: str) -> list[JourneyState]:
        """Every journey of a profile (from memory, or from the store when not loaded)."""
        with self._lock:
            # a profile the engine looked up and found nothing for has no stored journeys:
            # accounts and scoring read every member's stages per batch, and most members have
            # none, so asking DuckDB each time (milliseconds a read) was most of the streaming cost
            if self._store is None or self._engine.known(profile_id):
                return self._engine.states(profile_id)
            profile_id = self._engine.resolve(profile_id)
        return states_from_tables(*self._store.journeys(profile_id))

    def current_stages(self, profile_id: str) -> dict[tuple[str, str], str]:
        """(model, product) -> current stage, without building histories (read per event by
        lead scoring)."""
        with self._lock:
            if self._store is None or self._engine.known(profile_id):
                return {(m, p): stage for m, p, stage in self._engine.stages(profile_id)}
        return {(s.model, s.product): s.stage for s in self.states(profile_id)}

    def journeys(self, profile_id: str, *, as_of: datetime | None = None) -> list[JourneyView]:
        """Per model and product: stage, furthest, since, status (as of now or ``as_of``),
        history; in model order, then product."""
        when = as_of or self._clock.now()
        order = {m.name: i for i, m in enumerate(self.models)}
        states = sorted(
            (s for s in self.states(profile_id) if s.model in self._by_name),
            key=lambda s: (order[s.model], s.product),
        )
        return [_view(self._by_name[s.model], s, when) for s in states]

    def current_journeys(self, *, as_of: datetime | None = None) -> dict[str, list[JourneyView]]:
        """Every profile's journeys as ``journeys`` gives them but without their histories,
        read in one go (a point read per profile costs milliseconds in DuckDB: walks over every
        profile, such as audience counts, use this)."""
        when = as_of or self._clock.now()
        if self._store is not None:
            self.flush()  # the store then holds what memory holds
            states = states_from_tables(self._store.states(), TRANSITIONS.empty_table())
        else:
            with self._lock:
                states = [msgspec.structs.replace(s, history=()) for s in self._engine.all_states()]
        order = {m.name: i for i, m in enumerate(self.models)}
        out: dict[str, list[JourneyView]] = {}
        for s in sorted(
            (s for s in states if s.model in self._by_name),
            key=lambda s: (s.profile_id, order[s.model], s.product),
        ):
            out.setdefault(s.profile_id, []).append(_view(self._by_name[s.model], s, when))
        return out

    def counts(
        self, model: str, *, product: str | None = None, as_of: datetime | None = None
    ) -> StageCounts:
        """How many journeys are at each stage, by status."""
        chosen = self.model(model)
        when = as_of or self._clock.now()
        if self._store is not None:
            self.flush()
            table = self._store.current(model, product)
            stage_names = table.column("stage")
            entered = pc.cast(table.column("entered_at"), pa.int64()).to_numpy()
            last = pc.cast(table.column("last_evidence_at"), pa.int64()).to_numpy()
        else:
            with self._lock:
                rows = [
                    s
                    for s in self._engine.all_states()
                    if s.model == model and (product is None or s.product == product)
                ]
            stage_names = pa.array([s.stage for s in rows], pa.string())
            entered = np.array([to_us(s.entered_at) for s in rows], dtype=np.int64)
            last = np.array([to_us(s.last_evidence_at) for s in rows], dtype=np.int64)
        positions = {s.name: i for i, s in enumerate(chosen.stages)}
        stage = np.array([positions[s] for s in stage_names.to_pylist()], dtype=np.int64)
        codes = status_codes(chosen, stage, entered, last, when)
        counts = np.zeros((len(chosen.stages), len(STATUSES)), dtype=np.int64)
        np.add.at(counts, (stage, codes.astype(np.int64)), 1)
        return StageCounts(
            model=model,
            product=product,
            as_of=when,
            counts=tuple(
                StageCount(stage=s.name, status=status, count=int(counts[i, j]))
                for i, s in enumerate(chosen.stages)
                for j, status in enumerate(STATUSES)
            ),
        )

    def stages_as_of(self, model: str, when: datetime) -> pa.Table:
        """Where every journey of a model stood at ``when``: ``profile_id``, ``product``,
        ``stage`` (journeys not yet entered are absent). For ground-truth checks per day."""
        self.model(model)
        if self._store is not None:
            self.flush()
            return self._store.stages_as_of(model, when)
        with self._lock:
            rows = [
                (s.profile_id, s.product, t.to_stage)
                for s in self._engine.all_states()
                if s.model == model
                for t in [next((t for t in reversed(s.history) if t.at <= when), None)]
                if t is not None
            ]
        rows.sort()
        return pa.table(
            {
                "profile_id": pa.array([r[0] for r in rows], pa.string()),
                "product": pa.array([r[1] for r in rows], pa.string()),
                "stage": pa.array([r[2] for r in rows], pa.string()),
            }
        )

    def products(self, model: str) -> list[str]:
        self.model(model)
        if self._store is not None:
            self.flush()
            return self._store.products(model)
        with self._lock:
            return sorted({s.product for s in self._engine.all_states() if s.model == model})
