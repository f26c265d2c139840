"""A loaded catalog: the validated document plus the arrays decisions are computed on.

Every per-experience fact a decision filters on is compiled once into a NumPy array (or a
boolean matrix) so a decision is a handful of vectorised operations over the catalog
instead of a Python loop over a thousand experiences.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from waymark.decide._codes import CODES
from waymark.decide._rules import Models, problems
from waymark.decide._source import Source, load_yaml, parse_msgspec_path
from waymark.decide._templates import Compiled, TemplateProblem, Templates
from waymark.decide.config import NO_STAGE, PURPOSES, Caps, CatalogDoc, Experience, Purpose
from waymark.decide.contracts import Exclusion

BRAND: Final = "*"
"""The brand-level product key journeys use for evidence that names no product."""
NO_CAP: Final = np.iinfo(np.int64).max

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ModelArrays:
    """One journey model: stage order, and which stages each experience is eligible at."""

    stages: tuple[str, ...]
    rank: dict[str, int]
    """Stage -> column; column 0 is ``none`` (not placed), stage i is column i + 1."""
    eligible: npt.NDArray[np.bool_]
    """[experience, column]: eligible at that stage (all False for experiences that list no
    stages of this model; ``restricts`` tells those apart)."""
    restricts: Bools
    """[experience]: it lists stages for this model."""


@dataclass(frozen=True, eq=False)
class ChannelView:
    """The catalog's arrays cut down to one channel's experiences, once per channel, so a
    decision does not re-slice every array on every call."""

    idx: Ints
    ids: tuple[str, ...]
    product_matrix: Bools
    restricts: dict[str, Bools]
    eligible: dict[str, npt.NDArray[np.bool_]]
    """Per model that restricts any of these experiences."""
    has_placements: Bools
    placements: tuple[frozenset[str], ...]
    has_conditions: Bools
    purpose: npt.NDArray[np.int8]
    _purpose_masks: dict[tuple[str, ...], Bools] = field(default_factory=dict)

    def purpose_mask(self, purposes: Sequence[Purpose]) -> Bools:
        key = tuple(purposes)
        mask = self._purpose_masks.get(key)
        if mask is None:
            lookup = np.zeros(len(PURPOSES), dtype=np.bool_)
            lookup[[PURPOSES.index(p) for p in purposes]] = True
            mask = self._purpose_masks[key] = lookup[self.purpose]
        return mask


@dataclass(frozen=True, eq=False)
class Catalog:
    """A validated, compiled catalog. Immutable; the admin API replaces it as a whole."""

    doc: CatalogDoc
    version: str
    products: tuple[str, ...]
    """The product universe: declared products (or those experiences name) plus ``*``."""
    experiences: tuple[Experience, ...]
    index: dict[str, int]
    templates: tuple[dict[str, Compiled], ...]
    models: dict[str, ModelArrays]
    by_channel: dict[str, Ints]
    product_matrix: Bools
    """[experience, product]: the products an experience is about (all for brand-wide)."""
    purpose: npt.NDArray[np.int8]
    """Index into ``config.PURPOSES``."""
    has_placements: Bools
    placements: tuple[frozenset[str], ...]
    valid_from: Ints
    valid_until: Ints
    season_start: Ints
    season_end: Ints
    has_conditions: Bools
    value: Floats
    lever: Floats
    weights: dict[str, Floats]
    prior_alpha: Floats
    prior_beta: Floats
    cap_day: Ints
    cap_week: Ints
    cap_month: Ints
    exclusions: npt.NDArray[np.object_]
    """[experience, exclusion code] -> its ``Exclusion`` record, built once so a decision's
    log is an array lookup instead of hundreds of new objects."""
    _date_codes: dict[int, npt.NDArray[np.int8] | None] = field(default_factory=dict)
    _views: dict[str, ChannelView] = field(default_factory=dict)

    def view(self, channel: str) -> ChannelView:
        """The experiences offered on ``channel`` (memoised)."""
        found = self._views.get(channel)
        if found is None:
            idx = self.by_channel.get(channel, np.zeros(0, dtype=np.int64))
            restricting = {m: a for m, a in self.models.items() if a.restricts[idx].any()}
            found = self._views[channel] = ChannelView(
                idx=idx,
                ids=tuple(self.experiences[i].id for i in idx.tolist()),
                product_matrix=self.product_matrix[idx],
                restricts={m: a.restricts[idx] for m, a in restricting.items()},
                eligible={m: a.eligible[idx] for m, a in restricting.items()},
                has_placements=self.has_placements[idx],
                placements=tuple(self.placements[i] for i in idx.tolist()),
                has_conditions=self.has_conditions[idx],
                purpose=self.purpose[idx],
            )
        return found

    def date_codes(self, today: date) -> npt.NDArray[np.int8] | None:
        """[experience]: the exclusion code of its validity dates and season on ``today`` (0
        if in date); None when every experience is in date. Memoised per day."""
        day = today.toordinal()
        if day not in self._date_codes:
            if len(self._date_codes) > 32:
                self._date_codes.clear()
            self._date_codes[day] = self._compute_date_codes(today)
        return self._date_codes[day]

    def _compute_date_codes(self, today: date) -> npt.NDArray[np.int8] | None:
        day = today.toordinal()
        md = today.month * 100 + today.day
        s, e = self.season_start, self.season_end
        in_season = np.where(s <= e, (s <= md) & (md <= e), (md >= s) | (md <= e))
        codes = np.zeros(len(self.experiences), dtype=np.int8)
        codes[(s >= 0) & ~in_season] = CODES.index("date.out_of_season")
        codes[(self.valid_from > day) | (self.valid_until < day)] = CODES.index(
            "date.outside_validity"
        )
        return codes if codes.any() else None


def load_catalog_text(text: str, *, models: Models, name: str | None = None) -> Catalog:
    """Parse, validate and compile a YAML catalog; errors name the file, line and field."""
    data, source = load_yaml(text, name)
    return build_catalog(data, models=models, source=source)


def build_catalog(data: Any, *, models: Models, source: Source | None = None) -> Catalog:
    """Validate and compile a catalog from plain data (parsed YAML or a JSON body)."""
    source = source or Source(None)
    if not isinstance(data, dict):
        raise source.error((), "a catalog is a mapping with experiences, policy, audiences")
    try:
        doc = msgspec.convert(data, CatalogDoc)
    except msgspec.ValidationError as exc:
        text = str(exc)
        message, _, where = text.partition(" - at `")
        raise source.error(parse_msgspec_path(where.rstrip("`")), message) from None
    for _code, (path, message) in problems(doc, models):
        raise source.error(path, message)
    templates = Templates()
    compiled: list[dict[str, Compiled]] = []
    for i, exp in enumerate(doc.experiences):
        fields: dict[str, Compiled] = {}
        for key, src in exp.template.items():
            try:
                fields[key] = templates.compile(src)
            except TemplateProblem as exc:
                raise source.error(("experiences", i, "template", key), str(exc)) from None
        compiled.append(fields)
    return _compile(doc, models, tuple(compiled))


def catalog_version(doc: CatalogDoc) -> str:
    return hashlib.sha256(msgspec.json.encode(doc)).hexdigest()[:16]


def _caps(caps: Sequence[Caps], name: str) -> Ints:
    return np.array(
        [NO_CAP if getattr(c, name) is None else getattr(c, name) for c in caps], dtype=np.int64
    )


def _mmdd(text: str | None) -> int:
    return -1 if text is None else int(text[:2]) * 100 + int(text[3:])


def _compile(
    doc: CatalogDoc, models: Models, templates: tuple[dict[str, Compiled], ...]
) -> Catalog:
    exps = doc.experiences
    n = len(exps)
    declared = list(doc.products) or sorted({p for e in exps for p in e.products})
    products = (*(p for p in declared if p != BRAND), BRAND)
    col = {p: j for j, p in enumerate(products)}
    pm = np.zeros((n, len(products)), dtype=np.bool_)
    for i, exp in enumerate(exps):
        if exp.products:
            pm[i, [col[p] for p in exp.products]] = True
        else:
            pm[i, :] = True
    model_arrays: dict[str, ModelArrays] = {}
    for model, stages in models.items():
        rank = {NO_STAGE: 0} | {s: k + 1 for k, s in enumerate(stages)}
        elig = np.zeros((n, len(stages) + 1), dtype=np.bool_)
        restricts = np.zeros(n, dtype=np.bool_)
        for i, exp in enumerate(exps):
            if model in exp.stages:
                restricts[i] = True
                elig[i, [rank[s] for s in exp.stages[model]]] = True
        model_arrays[model] = ModelArrays(tuple(stages), rank, elig, restricts)
    by_channel: dict[str, list[int]] = {}
    for i, exp in enumerate(exps):
        for ch in exp.channels:
            by_channel.setdefault(ch, []).append(i)
    weight_keys = {k for e in exps for k in e.weights}
    prior = doc.policy.arbitration.prior
    return Catalog(
        doc=doc,
        version=catalog_version(doc),
        products=products,
        experiences=exps,
        index={e.id: i for i, e in enumerate(exps)},
        templates=templates,
        models=model_arrays,
        by_channel={ch: np.array(ix, dtype=np.int64) for ch, ix in by_channel.items()},
        product_matrix=pm,
        purpose=np.array([PURPOSES.index(e.purpose) for e in exps], dtype=np.int8),
        has_placements=np.array([bool(e.placements) for e in exps], dtype=np.bool_),
        placements=tuple(frozenset(e.placements) for e in exps),
        valid_from=np.array(
            [e.valid_from.toordinal() if e.valid_from else 0 for e in exps], dtype=np.int64
        ),
        valid_until=np.array(
            [e.valid_until.toordinal() if e.valid_until else NO_CAP for e in exps],
            dtype=np.int64,
        ),
        season_start=np.array([_mmdd(e.season.start if e.season else None) for e in exps]),
        season_end=np.array([_mmdd(e.season.end if e.season else None) for e in exps]),
        has_conditions=np.array(
            [bool(e.conditions.traits or e.conditions.events or e.conditions.scores) for e in exps],
            dtype=np.bool_,
        ),
        value=np.array([e.value for e in exps], dtype=np.float64),
        lever=np.array([e.lever for e in exps], dtype=np.float64),
        weights={
            k: np.array([e.weights.get(k, 1.0) for e in exps], dtype=np.float64)
            for k in weight_keys
        },
        prior_alpha=np.array([(e.prior or prior).alpha for e in exps], dtype=np.float64),
        prior_beta=np.array([(e.prior or prior).beta for e in exps], dtype=np.float64),
        cap_day=_caps([e.caps for e in exps], "day"),
        cap_week=_caps([e.caps for e in exps], "week"),
        cap_month=_caps([e.caps for e in exps], "month"),
        exclusions=_exclusions(exps),
    )


def _exclusions(exps: Sequence[Experience]) -> npt.NDArray[np.object_]:
    table = np.empty((len(exps), len(CODES)), dtype=object)
    for i, exp in enumerate(exps):
        for c, code in enumerate(CODES):
            table[i, c] = Exclusion(exp.id, code)
    return table
