"""A preset checked against its journey model and turned into the tables the generator draws
from: which events show each stage, which are neutral, and the transition probabilities.

This is where "the events carry the stage signal the engine reads" is made true: every signal
comes from the model's own evidence rules (or from a tracking-plan entry the model reads as
evidence of exactly that stage), and every neutral event is one the model reads as no evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from waymark.journey.contracts import JourneyModel
from waymark.sim._evidence import Reading, Template, reading, satisfying
from waymark.sim.config import SimConfig, TrackingSpec
from waymark.sim.errors import PresetError

Path = tuple[str | int, ...]
Fail = Callable[[Path, str], PresetError]

EXIT: Final = "exit"
CONTENT: Final = "content"
PRODUCT_PLACEHOLDER: Final = "product"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StagePlan:
    signals: tuple[Template, ...]
    cum: FloatArray
    """Cumulative weights of ``signals`` (last element 1)."""


@dataclass(frozen=True)
class NeutralPlan:
    """Neutral activity of one phase: a channel from the channel mix, then an event of it."""

    channels: tuple[str, ...]
    channel_cum: FloatArray
    templates: tuple[tuple[Template, ...], ...]
    """Per channel."""
    cums: tuple[FloatArray, ...]


@dataclass(frozen=True)
class Plan:
    """Everything the generator needs, checked."""

    model: JourneyModel
    stages: tuple[str, ...]
    post: npt.NDArray[np.bool_]
    """Per stage: post-purchase phase."""
    purchase_stage: int
    """The pre-purchase stage a purchase belongs to (where orders are placed)."""
    entry_cum: FloatArray
    next_cum: FloatArray
    """[stage, outcome] cumulative; outcome ``len(stages)`` is exit."""
    dwell: FloatArray
    activity: FloatArray
    reinforce: FloatArray
    signup: FloatArray
    """Per stage: chance of signing up on entering it."""
    per_stage: tuple[StagePlan, ...]
    neutral: tuple[NeutralPlan, NeutralPlan]
    """Neutral activity before and after purchase."""
    neutral_product: tuple[frozenset[str], ...]
    """Per phase: keys of neutral templates that may name the product (no evidence either way)."""
    purchase: Template
    shipped: Template | None
    delivered: Template | None
    """Order delivery: the entry signal of a post-purchase stage when it reads as that stage."""
    delivered_stage: int
    refund: Template | None
    signed_up: Template | None
    referral_entry_cum: FloatArray
    back_after_days: float
    delivery_days: tuple[float, float]
    returns: float


def cumulative(weights: Sequence[float]) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    out: FloatArray = np.cumsum(w) / w.sum()
    return out


def check_weights(weights: Mapping[str, float] | Sequence[float], path: Path, fail: Fail) -> None:
    values = list(weights.values()) if isinstance(weights, Mapping) else list(weights)
    if not values:
        raise fail(path, "needs at least one weight")
    for i, value in enumerate(values):
        if value < 0 or math.isnan(value):
            key: str | int = list(weights)[i] if isinstance(weights, Mapping) else i
            raise fail((*path, key), f"weights must be 0 or more, got {value}")
    if sum(values) <= 0:
        raise fail(path, "weights must not all be 0")


def check_share(value: float, path: Path, fail: Fail) -> None:
    if not 0.0 <= value <= 1.0:
        raise fail(path, f"must be a share between 0 and 1, got {value}")


def _template(key: str, spec: TrackingSpec, extra: Mapping[str, object] | None = None) -> Template:
    props = dict(spec.properties)
    if extra:
        props.update(extra)
    if spec.type == "track":
        return Template(
            key=key,
            type="track",
            event=spec.event or key,
            channel=spec.channel,
            properties=props,
            referral=spec.referral,
        )
    return Template(
        key=key,
        type=spec.type,
        name=spec.name or key,
        channel=spec.channel,
        properties=props,
        referral=spec.referral,
    )


def with_product(template: Template) -> Template:
    return Template(
        key=template.key,
        type=template.type,
        event=template.event,
        name=template.name,
        channel=template.channel,
        properties={**template.properties, "product_id": PRODUCT_PLACEHOLDER},
        referral=template.referral,
    )


class _Builder:
    def __init__(self, config: SimConfig, model: JourneyModel, fail: Fail) -> None:
        self.config = config
        self.model = model
        self.fail = fail
        self.stages = model.stage_names
        self.jpath: Path = ("journeys", model.name)
        if model.name not in config.journeys:
            raise fail(
                ("journeys",),
                f"has no settings for model {model.name!r} "
                f"(it has: {', '.join(config.journeys) or 'none'})",
            )
        self.journey = config.journeys[model.name]
        self.post = np.array([s.phase == "post_purchase" for s in model.stages], dtype=np.bool_)
        self.by_event: dict[str, tuple[str, TrackingSpec]] = {}
        for key, spec in config.tracking.items():
            if spec.type == "track":
                self.by_event.setdefault(spec.event or key, (key, spec))
            elif not (spec.name or key):
                raise fail(("tracking", key, "name"), "a page or screen needs a name")

    def stage_index(self, name: str, path: Path, *, phase: str | None = None) -> int:
        if name not in self.stages:
            raise self.fail(
                path,
                f"{name!r} is not a stage of model {self.model.name!r} ({', '.join(self.stages)})",
            )
        i = self.stages.index(name)
        if phase == "pre_purchase" and self.post[i]:
            raise self.fail(path, f"{name!r} is after purchase; people enter before purchase")
        return i

    def reads_as(self, template: Template) -> Reading:
        return reading(self.model, with_product(template))

    def qualifies(self, r: Reading, stage: int) -> bool:
        if self.post[stage]:
            return {s for s in r.stages if self.post[s]} == {stage}
        return r.stages == frozenset({stage}) and not r.purchase

    def explain(self, r: Reading) -> str:
        names = sorted(self.stages[s] for s in r.stages)
        shown = ", ".join(names) if names else "no stage"
        return f"model {self.model.name!r} reads it as evidence of {shown}" + (
            " and as a purchase" if r.purchase else ""
        )

    def content(self, stage: int) -> Template:
        titles = self.config.content.get(self.stages[stage], ())
        return Template(
            key=f"{CONTENT}:{self.stages[stage]}",
            type="page",
            name=titles[0] if titles else f"{self.model.stages[stage].title}",
            channel="web",
            properties={self.model.content.stage_property: self.stages[stage]},
        )

    def candidates(self, stage: int) -> list[Template]:
        """Every template the model reads as evidence of exactly this stage."""
        found: dict[tuple[object, ...], Template] = {}
        for rule in self.model.stages[stage].evidence:
            props = satisfying(rule)
            if props is None:
                continue
            labels = rule.events or rule.names
            for label in labels:
                key, spec = self.by_event.get(label, (label, TrackingSpec()))
                if rule.names:
                    spec = TrackingSpec(
                        type="screen" if rule.type == "screen" else "page",
                        name=label,
                        channel=spec.channel,
                    )
                template = _template(key, spec, props)
                if self.qualifies(self.reads_as(template), stage):
                    found.setdefault((template.event, template.name, key), template)
        for key, spec in self.config.tracking.items():
            template = _template(key, spec)
            if self.qualifies(self.reads_as(template), stage):
                found.setdefault((template.event, template.name, key), template)
        return list(found.values())

    def stage_plan(self, stage: int) -> StagePlan:
        name = self.stages[stage]
        spec = self.journey.stages[name]
        path: Path = (*self.jpath, "stages", name, "signals")
        content_share = self.journey.content_share
        if spec.signals:
            check_weights(spec.signals, path, self.fail)
            templates: list[Template] = []
            weights: list[float] = []
            for key, weight in spec.signals.items():
                if key == CONTENT:
                    templates.append(self.content(stage))
                elif key in self.config.tracking:
                    template = _template(key, self.config.tracking[key])
                    r = self.reads_as(template)
                    if not self.qualifies(r, stage):
                        raise self.fail(
                            (*path, key), f"is no signal of {name!r} alone: {self.explain(r)}"
                        )
                    templates.append(template)
                else:
                    raise self.fail((*path, key), "is not an entry of tracking (or 'content')")
                weights.append(weight)
            return StagePlan(tuple(templates), cumulative(weights))
        found = self.candidates(stage)
        if not found:
            return StagePlan((self.content(stage),), cumulative([1.0]))
        share = (1.0 - content_share) / len(found)
        return StagePlan(
            (*found, self.content(stage)), cumulative([share] * len(found) + [content_share])
        )

    def transitions(self, purchase_stage: int) -> FloatArray:
        n = len(self.stages)
        table = np.zeros((n, n + 1), dtype=np.float64)
        for name, spec in self.journey.stages.items():
            s = self.stage_index(name, (*self.jpath, "stages", name))
            path: Path = (*self.jpath, "stages", name, "next")
            check_weights(spec.next, path, self.fail)
            if spec.dwell_days <= 0:
                raise self.fail((*self.jpath, "stages", name, "dwell_days"), "must be more than 0")
            if spec.activity_per_day < 0:
                raise self.fail(
                    (*self.jpath, "stages", name, "activity_per_day"), "must be 0 or more"
                )
            check_share(spec.reinforce, (*self.jpath, "stages", name, "reinforce"), self.fail)
            for target, weight in spec.next.items():
                if target == EXIT:
                    table[s, n] = weight
                    continue
                t = self.stage_index(target, (*path, target))
                if t == s:
                    raise self.fail((*path, target), "a stage cannot move to itself")
                if self.post[t] and not self.post[s] and s != purchase_stage:
                    raise self.fail(
                        (*path, target),
                        f"only {self.stages[purchase_stage]!r} (where orders are placed) leads "
                        "into the post-purchase stages",
                    )
                if self.post[s] and not self.post[t]:
                    raise self.fail(
                        (*path, target),
                        "after a purchase the model never moves a customer back before it",
                    )
                table[s, t] = weight
        for name in self.stages:
            if name not in self.journey.stages:
                raise self.fail((*self.jpath, "stages"), f"has no settings for stage {name!r}")
        out: FloatArray = np.cumsum(table, axis=1) / table.sum(axis=1, keepdims=True)
        return out

    def tracked(self, event: str) -> Template | None:
        if event not in self.by_event:
            return None
        key, spec = self.by_event[event]
        return _template(key, spec)

    def purchase(self) -> tuple[Template, int]:
        for rule in self.model.purchase:
            props = satisfying(rule)
            if props is None or not rule.events:
                continue
            key, spec = self.by_event.get(rule.events[0], (rule.events[0], TrackingSpec()))
            template = _template(key, spec, props)
            r = self.reads_as(template)
            pre = sorted(s for s in r.stages if not self.post[s])
            if r.purchase and len(pre) <= 1 and not any(self.post[s] for s in r.stages):
                last_pre = int(np.flatnonzero(~self.post)[-1])
                return template, pre[0] if pre else last_pre
        raise self.fail(
            ("model",),
            f"model {self.model.name!r} has no purchase rule the simulator can send "
            "(a track event read as a purchase and at most one pre-purchase stage)",
        )

    def neutral(self, phase: str) -> tuple[NeutralPlan, frozenset[str]]:
        weights = getattr(self.config.neutral, phase)
        path: Path = ("neutral", phase)
        check_weights(weights, path, self.fail)
        templates: list[Template] = []
        productful: set[str] = set()
        for key in weights:
            if key not in self.config.tracking:
                raise self.fail((*path, key), "is not an entry of tracking")
            template = _template(key, self.config.tracking[key])
            bare = reading(self.model, template)
            if bare.stages or bare.purchase:
                raise self.fail((*path, key), f"is not neutral: {self.explain(bare)}")
            named = self.reads_as(template)
            if not named.stages and not named.purchase:
                productful.add(key)
            templates.append(template)
        mix: dict[str, float] = getattr(self.config.channels, phase)
        per_channel: list[tuple[Template, ...]] = []
        cums: list[FloatArray] = []
        for channel in mix:
            chosen = [
                (t, weights[t.key])
                for t in templates
                if t.channel == channel or (t.channel == "client" and channel in ("web", "mobile"))
            ]
            if not chosen or sum(w for _, w in chosen) <= 0:
                raise self.fail(
                    ("channels", phase, channel),
                    f"no entry of neutral.{phase} is sent through {channel!r}",
                )
            per_channel.append(tuple(t for t, _ in chosen))
            cums.append(cumulative([w for _, w in chosen]))
        plan = NeutralPlan(
            channels=tuple(mix),
            channel_cum=cumulative(list(mix.values())),
            templates=tuple(per_channel),
            cums=tuple(cums),
        )
        return plan, frozenset(productful)


def build(config: SimConfig, model: JourneyModel, fail: Fail) -> Plan:
    """Check ``config`` against ``model`` and build the generator's tables."""
    b = _Builder(config, model, fail)
    ids = [p.id for p in config.products]
    if not ids:
        raise fail(("products",), "needs at least one product")
    for i, product in enumerate(config.products):
        if product.id in ids[:i]:
            raise fail(("products", i, "id"), f"product {product.id!r} is listed twice")
        if product.price < 0:
            raise fail(("products", i, "price"), "must be 0 or more")
        if product.weight <= 0:
            raise fail(("products", i, "weight"), "must be more than 0")
    people = config.people
    check_weights(people.products, ("people", "products"), fail)
    check_weights(people.devices, ("people", "devices"), fail)
    for field in ("app", "second_device_login", "phone", "facebook", "facebook_login"):
        check_share(getattr(people, field), ("people", field), fail)
    if not 0 < people.arrival_spread <= 1:
        raise fail(("people", "arrival_spread"), "must be more than 0 and at most 1")
    if people.next_product_days <= 0:
        raise fail(("people", "next_product_days"), "must be more than 0")
    journey = b.journey
    jpath = b.jpath
    signup = np.zeros(len(b.stages), dtype=np.float64)
    for name, share in journey.signup.items():
        i = b.stage_index(name, (*jpath, "signup", name), phase="pre_purchase")
        check_share(share, (*jpath, "signup", name), fail)
        signup[i] = share
    for phase in ("pre_purchase", "post_purchase"):
        check_weights(getattr(config.channels, phase), ("channels", phase), fail)
    for field in msgspec_fields(config.adversarial):
        check_share(getattr(config.adversarial, field), ("adversarial", field), fail)
    check_share(journey.content_share, (*jpath, "content_share"), fail)
    check_share(journey.returns, (*jpath, "returns"), fail)
    low, high = journey.delivery_days
    if not 0 <= low <= high:
        raise fail((*jpath, "delivery_days"), "needs 0 <= first <= second")
    check_weights(journey.entry, (*jpath, "entry"), fail)
    entry = np.zeros(len(b.stages), dtype=np.float64)
    for name, weight in journey.entry.items():
        entry[b.stage_index(name, (*jpath, "entry", name), phase="pre_purchase")] = weight
    referral_entry = entry
    if journey.referral_entry:
        check_weights(journey.referral_entry, (*jpath, "referral_entry"), fail)
        referral_entry = np.zeros(len(b.stages), dtype=np.float64)
        for name, weight in journey.referral_entry.items():
            i = b.stage_index(name, (*jpath, "referral_entry", name), phase="pre_purchase")
            referral_entry[i] = weight
    check_share(config.referrals.join, ("referrals", "join"), fail)
    if config.referrals.invites < 0:
        raise fail(("referrals", "invites"), "must be 0 or more")
    if config.referrals.lag_days <= 0:
        raise fail(("referrals", "lag_days"), "must be more than 0")
    purchase, purchase_stage = b.purchase()
    next_cum = b.transitions(purchase_stage)
    stage_specs = [journey.stages[name] for name in b.stages]
    per_stage = tuple(b.stage_plan(s) for s in range(len(b.stages)))
    shipped = b.tracked("Order Shipped")
    if shipped is not None and not b.reads_as(shipped).stages <= {purchase_stage}:
        shipped = None
    delivered = b.tracked("Order Delivered")
    delivered_stage = -1
    if delivered is not None:
        r = b.reads_as(delivered)
        post = [s for s in r.stages if b.post[s]]
        delivered_stage = post[0] if len(post) == 1 and len(r.stages) == 1 else -1
        if delivered_stage < 0:
            delivered = None
    refund = b.tracked("Order Refunded")
    if refund is not None and (b.reads_as(refund).stages or b.reads_as(refund).purchase):
        refund = None
    signed_up = b.tracked("Signed Up")
    neutral_pre, pre_p = b.neutral("pre_purchase")
    neutral_post, post_p = b.neutral("post_purchase")
    return Plan(
        model=model,
        stages=b.stages,
        post=b.post,
        purchase_stage=purchase_stage,
        entry_cum=cumulative(list(entry)),
        next_cum=next_cum,
        dwell=np.array([s.dwell_days for s in stage_specs]),
        activity=np.array([s.activity_per_day for s in stage_specs]),
        reinforce=np.array([s.reinforce for s in stage_specs]),
        signup=signup,
        per_stage=per_stage,
        neutral=(neutral_pre, neutral_post),
        neutral_product=(pre_p, post_p),
        purchase=purchase,
        shipped=shipped,
        delivered=delivered,
        delivered_stage=delivered_stage,
        refund=refund,
        signed_up=signed_up,
        referral_entry_cum=cumulative(list(referral_entry)),
        back_after_days=model.moving_back.after.total_seconds() / 86400.0,
        delivery_days=journey.delivery_days,
        returns=journey.returns,
    )


def msgspec_fields(struct: object) -> tuple[str, ...]:
    return tuple(getattr(struct, "__struct_fields__", ()))
