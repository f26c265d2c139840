"""Which experiences a customer may get on a channel now, and the policy that stops the rest.

Policies run in a fixed order; an experience is excluded by the first one that stops it
(that is the code the decision log shows). Everything but trait and event conditions is
a vectorised operation over the channel's experiences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from waymark.decide._catalog import Bools, Catalog, ChannelView, Ints
from waymark.decide._codes import CODE
from waymark.decide._conditions import conditions_hold
from waymark.decide._contact import WINDOWS, check_contact, zone
from waymark.decide.config import Policy
from waymark.decide.contracts import DecisionContext

Codes = npt.NDArray[np.int8]


@dataclass(frozen=True, eq=False)
class Customer:
    """A context seen through the catalog's product universe (arrays over products)."""

    current: dict[str, Ints]
    """Model -> stage column (0 = not placed) per product."""
    furthest: dict[str, Ints]
    purchased: Bools
    local_now: datetime


def customer_arrays(ctx: DecisionContext, catalog: Catalog) -> Customer:
    cols = {p: j for j, p in enumerate(catalog.products)}
    n = len(catalog.products)
    current = {m: np.zeros(n, dtype=np.int64) for m in catalog.models}
    furthest = {m: np.zeros(n, dtype=np.int64) for m in catalog.models}
    purchased = np.zeros(n, dtype=np.bool_)
    for pos in ctx.positions:
        j = cols.get(pos.product)
        model = catalog.models.get(pos.model)
        if j is None or model is None:
            continue
        cur = model.rank.get(pos.stage, 0)
        current[pos.model][j] = cur
        furthest[pos.model][j] = max(cur, model.rank.get(pos.furthest or pos.stage, 0))
        if pos.purchased or pos.phase == "post_purchase":
            purchased[j] = True
    return Customer(current, furthest, purchased, ctx.now.astimezone(zone(ctx.timezone)))


def _experience_cap_mask(ctx: DecisionContext, catalog: Catalog, idx: Ints) -> Bools:
    over = np.zeros(len(catalog.experiences), dtype=np.bool_)
    counts: dict[int, list[int]] = {}
    for rec in ctx.contacts:
        i = catalog.index.get(rec.experience_id)
        if i is None:
            continue
        age = ctx.now - rec.at
        c = counts.setdefault(i, [0, 0, 0])
        for k, (_, span) in enumerate(WINDOWS):
            if age < span:
                c[k] += 1
    for i, (d, w, m) in counts.items():
        over[i] = d >= catalog.cap_day[i] or w >= catalog.cap_week[i] or m >= catalog.cap_month[i]
    mask: Bools = over[idx]
    return mask


def _stage_ok(view: ChannelView, cust: Customer) -> Bools:
    any_restriction = np.zeros(len(view.idx), dtype=np.bool_)
    ok = np.zeros(len(view.idx), dtype=np.bool_)
    for name, restricts in view.restricts.items():
        any_restriction |= restricts
        # [experience, product]: eligible at the stage the customer is at for that product
        at_stage = view.eligible[name][:, cust.current[name]]
        ok |= (at_stage & view.product_matrix).any(axis=1)
    result: Bools = ok | ~any_restriction
    return result


def exclusion_codes(
    ctx: DecisionContext,
    catalog: Catalog,
    policy: Policy,
    cust: Customer,
    view: ChannelView,
    *,
    channel: str,
    placement: str | None,
) -> Codes:
    """For each experience in ``view.idx``: 0 if eligible, else the index in ``CODES`` of the
    first policy that excludes it."""
    idx = view.idx
    codes = np.zeros(len(idx), dtype=np.int8)

    def stop(code: str, failed: Bools | bool) -> None:
        codes[(codes == 0) & failed] = CODE[code]

    if view.has_placements.any():
        # an experience made for named placements is shown only where it was made for: a
        # request naming another placement, or none at all, does not get it
        if placement is None:
            stop("placement.not_requested", view.has_placements)
        else:
            other = np.array([placement not in p for p in view.placements], dtype=np.bool_)
            stop("placement.other", view.has_placements & other)
    dated = catalog.date_codes(cust.local_now.date())
    if dated is not None:
        stop_codes = dated[idx]
        codes[codes == 0] = stop_codes[codes == 0]
    if view.restricts:
        stop("stage.not_eligible", ~_stage_ok(view, cust))
    sup = policy.suppression
    if sup.after_purchase and cust.purchased.any():
        bought = view.product_matrix[:, cust.purchased].any(axis=1)
        stop("suppress.after_purchase", view.purpose_mask(sup.after_purchase) & bought)
    if sup.acquisition.until and sup.acquisition.purposes:
        beyond = np.zeros(len(catalog.products), dtype=np.bool_)
        for model, stage in sup.acquisition.until.items():
            if model in catalog.models:
                beyond |= cust.furthest[model] > catalog.models[model].rank[stage]
        if beyond.any():
            interested = view.product_matrix[:, beyond].any(axis=1)
            stop(
                "suppress.acquisition_interest",
                view.purpose_mask(sup.acquisition.purposes) & interested,
            )
    if not sup.consumed_again and ctx.consumed:
        stop("suppress.consumed", np.array([e in ctx.consumed for e in view.ids], dtype=bool))
    if ctx.open_support_case and sup.support_case.enabled:
        stop("suppress.support_case", ~view.purpose_mask(sup.support_case.allow_purposes))
    contact = check_contact(
        policy,
        channel=channel,
        consent=ctx.consent.get(channel),
        timezone=ctx.timezone,
        now=ctx.now,
        sent=lambda: ctx.contacts,
    )
    if contact.code is not None:
        stop(contact.code, True)
    if ctx.contacts:
        stop("cap.experience", _experience_cap_mask(ctx, catalog, idx))
    pending = np.flatnonzero((codes == 0) & view.has_conditions)
    for k in pending.tolist():
        exp = catalog.experiences[idx[k]]
        if not conditions_hold(exp.conditions, ctx.traits, ctx.recent_events, ctx.now, ctx.scores):
            codes[k] = CODE["conditions.not_met"]
    return codes
