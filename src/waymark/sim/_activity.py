"""The product events of the true journeys: for every stay in a stage, the event that moved the
person there, more evidence of that stage, neutral activity, and the order, shipping and refund
events of a purchase. Drawn for all stays at once, one stage (or phase) at a time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from waymark.sim._dynamics import BACK_MARGIN, Chains, Visits, draw
from waymark.sim._plan import NeutralPlan, Plan
from waymark.sim._rows import Registry, Role, Rows

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MINUTE = 1.0 / 1440.0


def _signals(plan: Plan, reg: Registry, stage: IntArray, rng: np.random.Generator) -> IntArray:
    """A signal template of each row's stage."""
    out = np.empty(stage.size, dtype=np.int64)
    for s in np.unique(stage):
        rows = np.flatnonzero(stage == s)
        sp = plan.per_stage[int(s)]
        out[rows] = reg.ids(sp.signals)[draw(sp.cum, rng.random(rows.size))]
    return out


def neutral_templates(
    neutral: NeutralPlan, reg: Registry, n: int, rng: np.random.Generator
) -> IntArray:
    """``n`` neutral templates: a channel from the mix, then an event of that channel."""
    channel = draw(neutral.channel_cum, rng.random(n))
    out = np.empty(n, dtype=np.int64)
    for c in range(len(neutral.channels)):
        rows = np.flatnonzero(channel == c)
        ids = reg.ids(neutral.templates[c])
        out[rows] = ids[draw(neutral.cums[c], rng.random(rows.size))]
    return out


def product_events(
    plan: Plan,
    reg: Registry,
    chains: Chains,
    visits: Visits,
    *,
    days: float,
    first_visit: int,
    rng: np.random.Generator,
) -> Rows:
    """Every product event of ``visits`` before the horizon. ``first_visit`` numbers the
    visits globally (rows point at the visit they start)."""
    n_stages = len(plan.stages)
    person = chains.person[visits.chain]
    product = chains.product[visits.chain]
    visit_no = first_visit + np.arange(visits.size, dtype=np.int64)
    parts: list[Rows] = []

    # the move into each stage; the first post-purchase stage starts with the delivery
    entry = _signals(plan, reg, visits.stage, rng)
    delivered = (
        (visits.prev >= 0)
        & ~plan.post[np.maximum(visits.prev, 0)]
        & plan.post[visits.stage]
        & (visits.stage == plan.delivered_stage)
    )
    if plan.delivered is not None:
        entry[delivered] = reg.id(plan.delivered)
    parts.append(Rows.make(person, visits.t_enter, entry, product, role=Role.ENTRY, visit=visit_no))

    # orders, shipping, refunds
    buying = np.flatnonzero(~np.isnan(visits.t_buy) & (visits.t_buy < days))
    t_buy = visits.t_buy[buying]
    parts.append(
        Rows.make(person[buying], t_buy, reg.id(plan.purchase), product[buying], role=Role.PURCHASE)
    )
    if plan.shipped is not None:
        lag = rng.uniform(0.2, 1.0, buying.size) * (visits.t_exit[buying] - t_buy)
        parts.append(
            Rows.make(
                person[buying],
                t_buy + lag,
                reg.id(plan.shipped),
                product[buying],
                role=Role.SHIPPED,
            )
        )
    if plan.refund is not None:
        back = np.flatnonzero(visits.returned)
        parts.append(
            Rows.make(
                person[back],
                visits.t_exit[back],
                reg.id(plan.refund),
                product[back],
                role=Role.REFUND,
            )
        )

    # activity while in the stage: stops before an order, and well before a move back
    end = np.minimum(visits.t_exit, days)
    moving_back = (visits.nxt < n_stages) & (visits.nxt < visits.stage)
    end = np.where(moving_back, visits.t_exit - plan.back_after_days - BACK_MARGIN, end)
    end = np.where(np.isnan(visits.t_buy), end, np.minimum(visits.t_buy, days))
    span = np.maximum(end - visits.t_enter, 0.0)
    count = rng.poisson(plan.activity[visits.stage] * span)
    owner = np.repeat(np.arange(visits.size, dtype=np.int64), count)
    when = visits.t_enter[owner] + rng.random(owner.size) * span[owner]
    when = np.maximum(when, visits.t_enter[owner] + MINUTE)
    stage = visits.stage[owner]
    reinforcing = rng.random(owner.size) < plan.reinforce[stage]
    r = np.flatnonzero(reinforcing)
    parts.append(
        Rows.make(
            person[owner[r]],
            when[r],
            _signals(plan, reg, stage[r], rng),
            product[owner[r]],
            role=Role.REINFORCE,
        )
    )
    for phase, neutral in enumerate(plan.neutral):
        picked = np.flatnonzero(~reinforcing & (plan.post[stage] == bool(phase)))
        templates = neutral_templates(neutral, reg, picked.size, rng)
        keys = plan.neutral_product[phase]
        flags = np.array([t.key in keys for t in reg.templates], dtype=np.bool_)
        named = flags[templates] & (rng.random(picked.size) < 0.5)
        parts.append(
            Rows.make(
                person[owner[picked]],
                when[picked],
                templates,
                np.where(named, product[owner[picked]], -1),
                role=Role.NEUTRAL,
            )
        )
    rows = Rows.concat(parts)
    return rows.take(rows.t < days)
