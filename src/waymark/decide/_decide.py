"""The pure decision: context + catalog + policy + learned state -> ranked experiences.

No I/O and no clock: time is ``context.now`` and randomness is the generator passed in, so a
seeded generator makes every decision reproducible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from waymark.decide._bandit import BanditState
from waymark.decide._catalog import BRAND, Catalog, Ints
from waymark.decide._codes import CODE, CODES
from waymark.decide._conditions import explain_conditions
from waymark.decide._eligibility import Customer, customer_arrays, exclusion_codes
from waymark.decide._holdout import in_holdout
from waymark.decide._reason import chosen_reason, holdout_reason
from waymark.decide._templates import TemplateProblem, Templates
from waymark.decide.config import NO_STAGE, Policy
from waymark.decide.contracts import (
    Chosen,
    DecideRequest,
    Decision,
    DecisionContext,
    Exclusion,
    Scored,
)


def new_decision_id(rng: np.random.Generator) -> str:
    """A random (version 4) UUID from the injected generator, so seeded runs repeat."""
    h = bytearray(rng.bytes(16))
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _focus(catalog: Catalog, cust: Customer, eligible: Ints, model: str) -> tuple[Ints, Ints]:
    """For each eligible experience: the arbitration stage column and the product it is about
    for this customer, the most advanced of its products (ties: the first in the catalog)."""
    ranks = np.where(catalog.product_matrix[eligible], cust.current[model][None, :], -1)
    best: Ints = np.argmax(ranks, axis=1) if len(eligible) else np.zeros(0, dtype=np.int64)
    cols: Ints = np.maximum(ranks[np.arange(len(eligible)), best], 0)
    return cols, best


def _product(catalog: Catalog, i: int, col: int, product_col: int) -> str | None:
    exp = catalog.experiences[i]
    if exp.products and col == 0:
        return exp.products[0]
    product = catalog.products[product_col]
    return None if product == BRAND else product


def _render_context(
    catalog: Catalog,
    ctx: DecisionContext,
    i: int,
    *,
    product: str | None,
    stage: str,
    request: DecideRequest,
    decision_id: str,
    today: datetime,
) -> dict[str, Any]:
    exp = catalog.experiences[i]
    return {
        "profile_id": ctx.profile_id,
        "traits": ctx.traits,
        "company": catalog.doc.company,
        "product": product or "",
        "product_name": catalog.doc.products.get(product, product) if product else "",
        "stage": stage,
        "channel": request.channel,
        "placement": request.placement or "",
        "experience_id": exp.id,
        "experience_name": exp.name or exp.id,
        "decision_id": decision_id,
        "today": today.date().isoformat(),
    }


def _render(catalog: Catalog, i: int, values: dict[str, Any]) -> dict[str, str]:
    return {k: Templates.render(t, values) for k, t in catalog.templates[i].items()}


def decide(
    ctx: DecisionContext,
    request: DecideRequest,
    catalog: Catalog,
    state: BanditState,
    rng: np.random.Generator,
    *,
    policy: Policy | None = None,
) -> Decision:
    """Rank the experiences ``ctx``'s customer may get on ``request.channel`` and pick the
    best ``request.count``. ``state`` must have been built for ``catalog``."""
    policy = policy or catalog.doc.policy
    decision_id = new_decision_id(rng)
    view = catalog.view(request.channel)
    idx = view.idx
    cust = customer_arrays(ctx, catalog)
    codes = exclusion_codes(
        ctx, catalog, policy, cust, view, channel=request.channel, placement=request.placement
    )
    eligible = idx[codes == 0]
    model = policy.arbitration.model
    stage_names = (NO_STAGE, *catalog.models[model].stages)
    cols, product_cols = _focus(catalog, cust, eligible, model)
    propensity = state.sample(eligible, cols, catalog, rng)
    weight = np.ones(len(eligible))
    for key in (request.channel, request.placement):
        if key is not None and key in catalog.weights:
            weight = weight * catalog.weights[key][eligible]
    value, lever = catalog.value[eligible], catalog.lever[eligible]
    score = propensity * weight * value * lever
    order = np.argsort(-score, kind="stable")
    ids = [catalog.experiences[i].id for i in eligible[order].tolist()]
    scored = [
        Scored(e, sc, pr, w, v, lv, stage_names[c])
        for e, sc, pr, w, v, lv, c in zip(
            ids,
            score[order].tolist(),
            propensity[order].tolist(),
            weight[order].tolist(),
            value[order].tolist(),
            lever[order].tolist(),
            cols[order].tolist(),
            strict=True,
        )
    ]
    stopped = codes != 0
    excluded: list[Exclusion] = catalog.exclusions[idx[stopped], codes[stopped]].tolist()
    holdout = in_holdout(ctx.profile_id, share=policy.holdout.share, salt=policy.holdout.salt)
    if holdout:
        default = policy.holdout.defaults.get(request.channel)
        ranked = [k for k in order if catalog.experiences[eligible[k]].id == default]
        excluded += [
            Exclusion(s.experience_id, CODES[CODE["holdout.default_only"]])
            for s in scored
            if s.experience_id != default
        ]
    else:
        ranked = list(order)
    rank_of = np.empty(len(order), dtype=np.int64)
    rank_of[order] = np.arange(len(order))
    chosen: list[Chosen] = []
    for k in ranked:
        if len(chosen) >= request.count:
            break
        i, entry = int(eligible[k]), scored[rank_of[k]]
        exp = catalog.experiences[i]
        values = _render_context(
            catalog,
            ctx,
            i,
            product=_product(catalog, i, int(cols[k]), int(product_cols[k])),
            stage=entry.stage,
            request=request,
            decision_id=decision_id,
            today=cust.local_now,
        )
        try:
            content = _render(catalog, i, values)
        except TemplateProblem:
            excluded.append(Exclusion(exp.id, CODES[CODE["template.render_failed"]]))
            continue
        if holdout:
            reason = holdout_reason(exp, request.channel)
        else:
            reason = chosen_reason(
                exp,
                entry,
                model=model,
                product_name=values["product_name"] or None,
                clauses=explain_conditions(
                    exp.conditions, ctx.traits, ctx.recent_events, ctx.now, ctx.scores
                ),
                rank=int(rank_of[k]) + 1,
                eligible=len(eligible),
            )
        chosen.append(
            Chosen(
                id=exp.id,
                kind=exp.kind,
                score=entry.score,
                content=content,
                reason=reason,
                stage=entry.stage,
            )
        )
    return Decision(
        decision_id=decision_id,
        profile_id=ctx.profile_id,
        channel=request.channel,
        placement=request.placement,
        at=ctx.now,
        holdout=holdout,
        experiences=tuple(chosen),
        candidates=tuple(scored),
        excluded=tuple(excluded),
        catalog_version=catalog.version,
    )
