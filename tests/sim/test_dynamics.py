"""The true journeys, for any transition table the preset rules allow (hypothesis): stays
follow each other without gaps, moves back wait the model's time, the post-purchase phase is
entered only through an order placed at the purchase stage and never left."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.sim import api
from waymark.sim._dynamics import BACK_MARGIN, Chains, walk
from waymark.sim._plan import Plan

PRESET = api.load_preset("learning-kits")


@st.composite
def tables(draw: st.DrawFn) -> Plan:
    plan = PRESET.plan
    n = len(plan.stages)
    weights = np.zeros((n, n + 1))
    for s in range(n):
        allowed = [t for t in range(n) if t != s and plan.post[t] == plan.post[s]]
        if not plan.post[s] and s == plan.purchase_stage:
            allowed += [t for t in range(n) if plan.post[t]]
        for t in allowed:
            weights[s, t] = draw(st.sampled_from([0.0, 0.0, 0.1, 1.0, 3.0]))
        weights[s, n] = draw(st.sampled_from([0.0, 0.2, 1.0]))
        if weights[s].sum() == 0:
            weights[s, n] = 1.0
    dwell = np.array([draw(st.floats(0.05, 8.0)) for _ in range(n)])
    return dataclasses.replace(
        plan, next_cum=np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True), dwell=dwell
    )


@settings(max_examples=40, deadline=None)
@given(plan=tables(), seed=st.integers(0, 2**32 - 1), days=st.integers(1, 60))
def test_walks_keep_the_models_rules(plan: Plan, seed: int, days: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    entry = np.flatnonzero(~plan.post)
    chains = Chains(
        person=np.arange(n, dtype=np.int64),
        product=np.zeros(n, dtype=np.int64),
        start=rng.uniform(0, days, n),
        entry=rng.choice(entry, n).astype(np.int64),
    )
    visits = walk(plan, chains, days=float(days), delivery=(2.0, 6.0), returns=0.1, rng=rng)
    n_stages = len(plan.stages)
    assert (visits.t_enter < days).all()
    assert (visits.t_exit > visits.t_enter).all()
    order = np.lexsort((visits.t_enter, visits.chain))
    chain, stage, prev = visits.chain[order], visits.stage[order], visits.prev[order]
    t_in, t_out, nxt = visits.t_enter[order], visits.t_exit[order], visits.nxt[order]
    t_buy = visits.t_buy[order]
    same = chain[1:] == chain[:-1]
    # consecutive stays of a chain: no gap, the promised next stage, the previous one recorded
    assert np.array_equal(t_in[1:][same], t_out[:-1][same])
    assert np.array_equal(stage[1:][same], nxt[:-1][same])
    assert np.array_equal(prev[1:][same], stage[:-1][same])
    assert (prev[np.r_[True, ~same]] == -1).all()
    assert not plan.post[stage[np.r_[True, ~same]]].any()
    moving = nxt < n_stages
    target = np.where(moving, nxt, 0)
    back = moving & (target < stage)
    assert (t_out[back] - t_in[back] >= plan.back_after_days + BACK_MARGIN).all()
    into_post = moving & plan.post[target] & ~plan.post[stage]
    assert (stage[into_post] == plan.purchase_stage).all()
    assert np.isfinite(t_buy[into_post]).all()
    lag = t_out[into_post] - t_buy[into_post]
    assert ((lag >= 2.0) & (lag <= 6.0)).all()
    assert np.isnan(t_buy[~into_post]).all()
    assert not (moving & plan.post[stage] & ~plan.post[target]).any()
    # a refund ends the first stay after delivery, and nothing follows it
    assert (nxt[visits.returned[order]] == n_stages).all()
