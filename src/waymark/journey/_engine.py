"""The streaming stage engine: committed events (with the profile identity resolved for each)
in, stage changes out. State stays in memory; the runtime persists it through the port."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Literal

from waymark.core.events import Event
from waymark.journey._machine import (
    NONE,
    Evidence,
    KeyState,
    ModelRules,
    ProfileMachine,
    Step,
    from_us,
    to_us,
)
from waymark.journey._match import ModelMatcher
from waymark.journey.contracts import JourneyModel, JourneyState, ProductConfig, StageChanged
from waymark.journey.errors import ModelError

Loader = Callable[[Sequence[str]], Mapping[str, Sequence[tuple[str, Evidence]]]]
"""Persisted evidence of profiles: ``{profile_id: [(model name, evidence), ...]}``."""


class StreamingEngine:
    """Places every profile on every configured model, event by event.

    Late events (earlier than evidence already applied) and identity merges refold the
    profile from its evidence, so the result is always what replaying the profile's events in
    time order gives: what the batch rebuild computes.
    """

    def __init__(self, models: Sequence[JourneyModel], *, loader: Loader | None = None) -> None:
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ModelError(
                "two models with the same name", file="(engine)", line=None, field="models"
            )
        self.models = tuple(models)
        self._rules = [ModelRules(m) for m in models]
        self._matchers = [ModelMatcher(m) for m in models]
        self._profiles: dict[str, list[ProfileMachine]] = {}
        self._alias: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._loader = loader
        self._looked_up: set[str] = set()

    # -- input ---------------------------------------------------------------------------------

    def observe(self, events: Sequence[Event], profile_ids: Sequence[str]) -> list[StageChanged]:
        """Apply committed events (in seq order) whose profiles identity resolved."""
        if len(events) != len(profile_ids):
            raise ValueError("observe needs one profile id per event")
        changes: list[StageChanged] = []
        late: set[tuple[str, int]] = set()
        if self._loader is not None:
            self._load([self.resolve(p) for p in set(profile_ids)])
        alias = self._alias
        for event, raw_id in zip(events, profile_ids, strict=True):
            profile_id = self.resolve(raw_id) if raw_id in alias else raw_id
            machines: list[ProfileMachine] | None = None
            ts = -1
            products: dict[ProductConfig, list[str]] = {}
            for m, matcher in enumerate(self._matchers):
                found = matcher.evidence(event)
                if found is None:
                    continue
                # models usually share where products are named: read them once per event
                names = products.get(matcher.product_config)
                if names is None:
                    names = products[matcher.product_config] = matcher.products(event)
                if not names:
                    continue
                if machines is None:
                    machines = self._machines(profile_id)
                    ts = to_us(event.timestamp)
                    self._dirty.add(profile_id)
                machine = machines[m]
                mask, levels, purchase = found
                seq, message_id = event.seq, event.message_id
                items = [
                    Evidence(ts, seq, pos, name, mask, levels, purchase, message_id)
                    for pos, name in enumerate(names)
                ]
                if (profile_id, m) in late:
                    machine.evidence.extend(items)
                    continue
                for n, item in enumerate(items):
                    key = machine.keys.get(item.product)
                    before = len(key.history) if key is not None else 0
                    if not machine.add(item):
                        late.add((profile_id, m))
                        machine.evidence.extend(items[n + 1 :])
                        break
                    key = machine.keys[item.product]
                    if len(key.history) > before:
                        for step in key.history[before:]:
                            changes.append(self._change(m, profile_id, item.product, key, step))
        for profile_id, m in sorted(late):
            changes.extend(self._refold(profile_id, m, ProfileMachine.refold))
        return changes

    def merge(self, survivor: str, absorbed: str) -> list[StageChanged]:
        """Identity merged ``absorbed`` into ``survivor``: the survivor's journeys become those
        of the union of both histories, in time order. Later events still labelled with the
        absorbed id are placed on the survivor."""
        survivor, absorbed = self.resolve(survivor), self.resolve(absorbed)
        if survivor == absorbed:
            return []
        self._load([survivor, absorbed])
        self._alias[absorbed] = survivor
        gone = self._profiles.pop(absorbed, None)
        self._removed.add(absorbed)
        self._dirty.discard(absorbed)
        if gone is None:
            return []
        self._machines(survivor)
        self._dirty.add(survivor)
        changes: list[StageChanged] = []
        for m, other in enumerate(gone):
            changes.extend(self._refold(survivor, m, partial(ProfileMachine.absorb, other=other)))
        return changes

    def load(self, profile_ids: Iterable[str]) -> None:
        """Bring these profiles (or their survivors) into memory now, in one store read: what
        ``observe`` and ``merge`` would load one call at a time."""
        self._load({self.resolve(p) for p in profile_ids})

    def _load(self, profile_ids: Iterable[str]) -> None:
        """Bring persisted profiles into memory before they are touched (after a restart or a
        rebuild, a profile's evidence is in the store until its next event)."""
        if self._loader is None:
            return
        wanted = [p for p in profile_ids if p not in self._profiles and p not in self._looked_up]
        if not wanted:
            return
        self._looked_up.update(wanted)
        loaded = self._loader(wanted)
        for profile_id, items in loaded.items():
            for model, item in items:
                self.restore(profile_id, model, [item])
            for machine in self._profiles.get(profile_id, []):
                machine.refold()

    def forget(self) -> None:
        """Drop every profile from memory (they are in the store; the loader brings them back
        when touched), e.g. after a rebuild replaced the store's contents."""
        self._profiles.clear()
        self._looked_up.clear()
        self._dirty.clear()
        self._removed.clear()

    def known(self, profile_id: str) -> bool:
        """True when memory has the whole truth about a profile: it is loaded, or the store
        was asked for it and had nothing (only this engine writes the store, and ``forget``
        clears this), so readers need not ask the store again."""
        survivor = self.resolve(profile_id)
        return survivor in self._profiles or survivor in self._looked_up

    def restore(self, profile_id: str, model: str, evidence: Iterable[Evidence]) -> None:
        """Load persisted evidence (after a restart); call ``refold_all`` when done."""
        m = next((i for i, x in enumerate(self.models) if x.name == model), None)
        if m is None:
            return  # a model no longer configured: its stored evidence is ignored
        self._machines(profile_id)[m].evidence.extend(evidence)

    def restore_many(self, items: Iterable[tuple[str, str, Evidence]]) -> None:
        """Load (model, profile_id, evidence) rows, then refold every profile."""
        for model, profile_id, item in items:
            self.restore(profile_id, model, [item])
        self.refold_all()

    def machines(self, profile_id: str) -> list[ProfileMachine]:
        """A loaded profile's machines, one per model (empty when not loaded)."""
        return self._profiles.get(self.resolve(profile_id), [])

    def refold_all(self) -> None:
        for machines in self._profiles.values():
            for machine in machines:
                machine.refold()

    def resolve(self, profile_id: str) -> str:
        """The surviving profile id (following merges)."""
        seen = profile_id
        while seen in self._alias:
            seen = self._alias[seen]
        if seen != profile_id:
            self._alias[profile_id] = seen
        return seen

    # -- reading -------------------------------------------------------------------------------

    def states(self, profile_id: str) -> list[JourneyState]:
        """Every journey of a profile (an absorbed id answers for its survivor)."""
        survivor = self.resolve(profile_id)
        machines = self._profiles.get(survivor, [])
        return [s for machine in machines for s in machine.states(survivor)]

    def stages(self, profile_id: str) -> list[tuple[str, str, str]]:
        """(model, product, current stage) of every journey of a profile."""
        machines = self._profiles.get(self.resolve(profile_id), [])
        return [s for machine in machines for s in machine.stages()]

    def all_states(self) -> Iterator[JourneyState]:
        for profile_id, machines in self._profiles.items():
            for machine in machines:
                yield from machine.states(profile_id)

    def evidence(self, profile_id: str) -> Iterator[tuple[str, Evidence]]:
        """(model name, evidence) for one profile, for persistence."""
        for machine in self._profiles.get(profile_id, []):
            for item in machine.evidence:
                yield machine.rules.model.name, item

    def take_changed(self) -> tuple[set[str], set[str]]:
        """Profiles changed and profiles removed (merged away) since the last call."""
        dirty, removed = self._dirty, self._removed
        self._dirty, self._removed = set(), set()
        return dirty, removed - dirty

    def profile_count(self) -> int:
        return len(self._profiles)

    # -- internals -----------------------------------------------------------------------------

    def _machines(self, profile_id: str) -> list[ProfileMachine]:
        machines = self._profiles.get(profile_id)
        if machines is None:
            machines = self._profiles[profile_id] = [ProfileMachine(r) for r in self._rules]
        return machines

    def _refold(
        self, profile_id: str, m: int, action: Callable[[ProfileMachine], None]
    ) -> list[StageChanged]:
        machine = self._profiles[profile_id][m]
        before = {p: (k.stage, k.furthest) for p, k in machine.keys.items()}
        action(machine)
        out: list[StageChanged] = []
        for product, key in machine.keys.items():
            if key.stage != NONE and before.get(product, (NONE, NONE))[0] != key.stage:
                step = key.history[-1]
                out.append(
                    self._change(
                        m,
                        profile_id,
                        product,
                        key,
                        Step(before.get(product, (NONE, NONE))[0], key.stage, *step[2:]),
                    )
                )
        return out

    def _change(
        self, m: int, profile_id: str, product: str, key: KeyState, step: Step
    ) -> StageChanged:
        rules = self._rules[m]
        names = rules.names
        direction: Literal["enter", "forward", "back"]
        if step.from_stage == NONE:
            direction = "enter"
        elif step.to_stage > step.from_stage:
            direction = "forward"
        else:
            direction = "back"
        return StageChanged(
            model=rules.model.name,
            profile_id=profile_id,
            product=product,
            from_stage=names[step.from_stage] if step.from_stage != NONE else None,
            to_stage=names[step.to_stage],
            phase=rules.model.stages[step.to_stage].phase,
            direction=direction,
            furthest=names[max(key.furthest, step.to_stage)],
            at=from_us(step.ts),
            seq=step.seq,
            message_id=step.message_id,
        )
