"""The stage machine: one profile's evidence, in time order, becomes its journey per product.

Streaming and batch rebuild both end here, so they cannot disagree on the rules:

- Evidence is applied in (timestamp, seq, position in the event) order.
- A purchase of a product marks that product purchased (and, for the brand journey ``*``, any
  purchase counts). Without one, post-purchase stages of that product are not eligible.
- Among the stages an event is evidence of (and eligible for), the latest in model order wins:
  a specific rule ("Order Completed" with an upsell order type) beats a general one.
- The first evidence enters the journey at its stage; later stages move forward (skipping is
  fine); earlier stages move back only after ``moving_back.after`` without evidence of the
  current stage or a later one; after a purchase, pre-purchase evidence never moves back out of
  the post-purchase phase.

Times are integer microseconds since the epoch (UTC) inside; contracts get ``datetime``s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, NamedTuple

from waymark.journey.contracts import BRAND, JourneyModel, JourneyState, Transition

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
NONE: Final = -1


def to_us(when: datetime) -> int:
    """A datetime (aware, or naive UTC) as microseconds since the epoch."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class Evidence(NamedTuple):
    """One event's evidence for one product key (sortable: time, seq, position)."""

    ts: int
    seq: int
    pos: int
    product: str
    mask: int
    levels: tuple[tuple[int, int], ...]
    purchase: bool
    message_id: str


class Step(NamedTuple):
    """A transition as the machine records it: stage positions, NONE for "not in journey"."""

    from_stage: int
    to_stage: int
    ts: int
    seq: int
    message_id: str


@dataclass(slots=True)
class KeyState:
    """Where one profile stands for one product (mutable while folding)."""

    stage: int = NONE
    furthest: int = NONE
    entered: int = 0
    last_current: int = 0
    """Last evidence of the current stage or a later one (moving back waits on it)."""
    last_evidence: int = 0
    purchased: int = NONE
    level: int = NONE
    history: list[Step] = field(default_factory=list)


class ModelRules:
    """A model reduced to what the machine needs, computed once."""

    def __init__(self, model: JourneyModel) -> None:
        self.model = model
        self.names = model.stage_names
        self.pre_mask = sum(1 << i for i, s in enumerate(model.stages) if s.phase == "pre_purchase")
        self.first_post = next(
            (i for i, s in enumerate(model.stages) if s.phase == "post_purchase"), len(self.names)
        )
        self.back_after = model.moving_back.after // timedelta(microseconds=1)


class ProfileMachine:
    """All of one profile's journeys on one model, and the evidence they were built from."""

    __slots__ = ("any_purchase", "evidence", "keys", "rules")

    def __init__(self, rules: ModelRules) -> None:
        self.rules = rules
        self.evidence: list[Evidence] = []
        self.keys: dict[str, KeyState] = {}
        self.any_purchase = NONE

    def add(self, item: Evidence) -> bool:
        """Record and apply one piece of evidence. Returns False when it arrived out of order
        (the caller then calls ``refold``)."""
        in_order = not self.evidence or item >= self.evidence[-1]
        self.evidence.append(item)
        if in_order:
            self._apply(item)
        return in_order

    def refold(self) -> None:
        """Rebuild every key from the evidence, sorted (after late events or a merge)."""
        self.evidence.sort()
        self.keys = {}
        self.any_purchase = NONE
        for item in self.evidence:
            self._apply(item)

    def absorb(self, other: ProfileMachine) -> None:
        """Take another profile's evidence (an identity merge) and refold."""
        self.evidence.extend(other.evidence)
        self.refold()

    def _apply(self, item: Evidence) -> None:
        # the hot path of streaming: fields unpacked once, no calls but the dict lookups
        ts, seq, _, product, raw, levels, purchase, message_id = item
        rules = self.rules
        key = self.keys.get(product)
        if key is None:
            key = self.keys[product] = KeyState()
        if purchase:
            if key.purchased == NONE:
                key.purchased = ts
            if self.any_purchase == NONE:
                self.any_purchase = ts
        if not raw:
            return
        if ts > key.last_evidence:  # noqa: PLR1730
            key.last_evidence = ts
        purchased = key.purchased != NONE or (product == BRAND and self.any_purchase != NONE)
        mask = raw if purchased else raw & rules.pre_mask
        if not mask:
            return
        target = mask.bit_length() - 1
        level = NONE
        for s, lv in levels:
            if s == target:
                level = lv
        current = key.stage
        if current == NONE or target > current:
            pass
        elif target == current:
            key.last_current = ts
            if level > key.level:  # noqa: PLR1730
                key.level = level
            return
        elif (purchased and current >= rules.first_post and target < rules.first_post) or (
            ts - key.last_current < rules.back_after
        ):
            return  # owners stay post-purchase; moving back waits for a quiet time
        key.history.append(Step(current, target, ts, seq, message_id))
        key.stage = target
        if target > key.furthest:  # noqa: PLR1730
            key.furthest = target
        key.entered = key.last_current = ts
        key.level = level

    def stages(self) -> list[tuple[str, str, str]]:
        """(model, product, current stage) of the placed keys: the cheap read for features
        that need only where a customer stands (lead scoring's labels), not the history."""
        names = self.rules.names
        model = self.rules.model.name
        return [(model, p, names[key.stage]) for p, key in self.keys.items() if key.stage != NONE]

    def states(self, profile_id: str) -> list[JourneyState]:
        """The placed keys as contracts."""
        return [
            to_state(
                self.rules,
                profile_id,
                product,
                key,
                # the brand journey counts any purchase as its own: the first one
                key.purchased if product != BRAND else self.any_purchase,
            )
            for product, key in self.keys.items()
            if key.stage != NONE
        ]


def to_state(
    rules: ModelRules, profile_id: str, product: str, key: KeyState, purchased: int
) -> JourneyState:
    model = rules.model
    names = rules.names
    level = model.stages[key.stage].levels[key.level].name if key.level != NONE else None
    return JourneyState(
        model=model.name,
        profile_id=profile_id,
        product=product,
        stage=names[key.stage],
        furthest=names[key.furthest],
        entered_at=from_us(key.entered),
        last_evidence_at=from_us(key.last_evidence),
        purchased_at=from_us(purchased) if purchased != NONE else None,
        level=level,
        history=tuple(
            Transition(
                from_stage=names[s.from_stage] if s.from_stage != NONE else None,
                to_stage=names[s.to_stage],
                at=from_us(s.ts),
                seq=s.seq,
                message_id=s.message_id,
            )
            for s in key.history
        ),
    )
