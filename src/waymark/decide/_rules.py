"""Catalog validation as registered rules: each has a code and yields (field path, message).

Adding a rule is one function in ``RULES`` and one test. Shapes are checked before these run
(msgspec), so rules only look at meaning: known channels, models, stages and products, unique
ids, sane numbers and windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

from waymark.core.events import Channel
from waymark.decide.config import NO_STAGE, Caps, CatalogDoc, Prior, TraitCondition

Models = Mapping[str, Sequence[str]]
Problem = tuple[tuple[str | int, ...], str]

CHANNELS = frozenset(c.value for c in Channel)
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Rule(NamedTuple):
    code: str
    check: Callable[[CatalogDoc, Models], Iterator[Problem]]


def _ids(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, exp in enumerate(doc.experiences):
        if not _ID.match(exp.id):
            yield (
                ("experiences", i, "id"),
                (f"{exp.id!r} is not a valid id: lower-case letters, digits, '-', '_', '.'"),
            )
        if exp.id in seen:
            yield ("experiences", i, "id"), f"duplicate experience id {exp.id!r}"
        seen.add(exp.id)
    names: set[str] = set()
    for i, aud in enumerate(doc.audiences):
        if not _ID.match(aud.name):
            yield ("audiences", i, "name"), f"{aud.name!r} is not a valid audience name"
        if aud.name in names:
            yield ("audiences", i, "name"), f"duplicate audience name {aud.name!r}"
        names.add(aud.name)


def _channels(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    known = ", ".join(sorted(CHANNELS))
    for i, exp in enumerate(doc.experiences):
        if not exp.channels:
            yield ("experiences", i, "channels"), "at least one channel is needed"
        for j, ch in enumerate(exp.channels):
            if ch not in CHANNELS:
                yield ("experiences", i, "channels", j), f"unknown channel {ch!r} ({known})"
    contact = doc.policy.contact
    for j, ch in enumerate(contact.total_channels):
        if ch not in CHANNELS:
            yield ("policy", "contact", "total_channels", j), f"unknown channel {ch!r}"
    for ch in contact.channels:
        if ch not in CHANNELS:
            yield ("policy", "contact", "channels", ch), f"unknown channel {ch!r}"
    if contact.quiet_hours is not None:
        for j, ch in enumerate(contact.quiet_hours.channels):
            if ch not in CHANNELS:
                yield ("policy", "contact", "quiet_hours", "channels", j), f"unknown channel {ch!r}"
    for j, ch in enumerate(doc.policy.consent.required):
        if ch not in CHANNELS:
            yield ("policy", "consent", "required", j), f"unknown channel {ch!r}"


def _stage_map(
    path: tuple[str | int, ...], stages: Mapping[str, Sequence[str]], models: Models
) -> Iterator[Problem]:
    for model, names in stages.items():
        if model not in models:
            yield (*path, model), f"unknown journey model {model!r} ({', '.join(models)})"
            continue
        allowed = {*models[model], NO_STAGE}
        for j, name in enumerate(names):
            if name not in allowed:
                yield (
                    (*path, model, j),
                    (
                        f"{name!r} is not a stage of {model} ({', '.join(models[model])}, or "
                        f"{NO_STAGE!r} for not placed yet)"
                    ),
                )


def _stages(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    for i, exp in enumerate(doc.experiences):
        yield from _stage_map(("experiences", i, "stages"), exp.stages, models)
    for i, aud in enumerate(doc.audiences):
        yield from _stage_map(("audiences", i, "stages"), aud.stages, models)
    acq = doc.policy.suppression.acquisition
    for model, stage in acq.until.items():
        path = ("policy", "suppression", "acquisition", "until", model)
        if model not in models:
            yield path, f"unknown journey model {model!r}"
        elif stage not in models[model]:
            yield path, f"{stage!r} is not a stage of {model}"
    model = doc.policy.arbitration.model
    if model not in models:
        yield ("policy", "arbitration", "model"), f"unknown journey model {model!r}"


def _products(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    if not doc.products:
        return
    for i, exp in enumerate(doc.experiences):
        for j, p in enumerate(exp.products):
            if p not in doc.products:
                yield (
                    ("experiences", i, "products", j),
                    (f"unknown product {p!r}; declare it under products"),
                )
    for i, aud in enumerate(doc.audiences):
        for j, p in enumerate(aud.products):
            if p not in doc.products:
                yield ("audiences", i, "products", j), f"unknown product {p!r}"


def _caps(path: tuple[str | int, ...], caps: Caps) -> Iterator[Problem]:
    for name in ("day", "week", "month"):
        value = getattr(caps, name)
        if value is not None and value < 1:
            yield (*path, name), "a cap is at least 1 (to stop an experience, remove it)"


def _prior(path: tuple[str | int, ...], prior: Prior | None) -> Iterator[Problem]:
    if prior is not None and (prior.alpha <= 0 or prior.beta <= 0):
        yield path, "alpha and beta must both be positive"


def _numbers(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    for i, exp in enumerate(doc.experiences):
        base = ("experiences", i)
        for name in ("value", "lever"):
            if getattr(exp, name) < 0:
                yield (*base, name), f"{name} cannot be negative"
        for key, weight in exp.weights.items():
            if weight < 0:
                yield (*base, "weights", key), "a weight cannot be negative"
        yield from _caps((*base, "caps"), exp.caps)
        yield from _prior((*base, "prior"), exp.prior)
    contact = doc.policy.contact
    yield from _caps(("policy", "contact", "total"), contact.total)
    for ch, caps in contact.channels.items():
        yield from _caps(("policy", "contact", "channels", ch), caps)
    yield from _prior(("policy", "arbitration", "prior"), doc.policy.arbitration.prior)
    share = doc.policy.holdout.share
    if not 0.0 <= share < 1.0:
        yield ("policy", "holdout", "share"), "share must be at least 0 and below 1"


def _windows(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    for i, exp in enumerate(doc.experiences):
        if exp.valid_from and exp.valid_until and exp.valid_from > exp.valid_until:
            yield ("experiences", i, "valid_until"), "valid_until is before valid_from"
        if exp.season is not None:
            for name in ("start", "end"):
                if not _MMDD.match(getattr(exp.season, name)):
                    yield ("experiences", i, "season", name), "use MM-DD, e.g. 12-24"
    quiet = doc.policy.contact.quiet_hours
    if quiet is not None:
        for name in ("start", "end"):
            if not _HHMM.match(getattr(quiet, name)):
                yield ("policy", "contact", "quiet_hours", name), "use HH:MM (24 h), e.g. 21:00"


def _trait_conditions(
    path: tuple[str | int, ...], conds: Sequence[TraitCondition]
) -> Iterator[Problem]:
    for j, cond in enumerate(conds):
        if cond.op in ("in", "not_in") and not isinstance(cond.value, list | tuple):
            yield (*path, j, "value"), f"op {cond.op} needs a list value"
        if cond.op in ("gt", "gte", "lt", "lte") and (
            isinstance(cond.value, bool) or not isinstance(cond.value, int | float)
        ):
            yield (*path, j, "value"), f"op {cond.op} needs a number"


def _conditions(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    for i, exp in enumerate(doc.experiences):
        base = ("experiences", i, "conditions")
        yield from _trait_conditions((*base, "traits"), exp.conditions.traits)
        for j, ev in enumerate(exp.conditions.events):
            if ev.min_count < 1:
                yield (*base, "events", j, "min_count"), "min_count must be at least 1"
            if ev.within_days is not None and ev.within_days <= 0:
                yield (*base, "events", j, "within_days"), "within_days must be positive"
    for i, aud in enumerate(doc.audiences):
        yield from _trait_conditions(("audiences", i, "traits"), aud.traits)


def _defaults(doc: CatalogDoc, models: Models) -> Iterator[Problem]:
    by_id = {e.id: e for e in doc.experiences}
    for ch, exp_id in doc.policy.holdout.defaults.items():
        path = ("policy", "holdout", "defaults", ch)
        exp = by_id.get(exp_id)
        if exp is None:
            yield path, f"unknown experience {exp_id!r}"
        elif ch not in exp.channels:
            yield path, f"experience {exp_id!r} is not offered on channel {ch!r}"


RULES: tuple[Rule, ...] = (
    Rule("ids", _ids),
    Rule("channels", _channels),
    Rule("stages", _stages),
    Rule("products", _products),
    Rule("numbers", _numbers),
    Rule("windows", _windows),
    Rule("conditions", _conditions),
    Rule("holdout_defaults", _defaults),
)


def problems(doc: CatalogDoc, models: Models) -> Iterator[tuple[str, Problem]]:
    """Every problem of every rule, in rule order, tagged with the rule's code."""
    for rule in RULES:
        for problem in rule.check(doc, models):
            yield rule.code, problem
