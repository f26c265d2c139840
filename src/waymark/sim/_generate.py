"""The whole simulation, in order: people arrive, walk their journeys (in rounds, since advocates'
referrals bring new people), get identities, and every event is routed to a channel and device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from waymark.sim._activity import product_events
from waymark.sim._dynamics import Chains, Visits, draw, walk
from waymark.sim._evidence import Template
from waymark.sim._people import People, make_people, signup_times
from waymark.sim._plan import Plan, cumulative
from waymark.sim._route import Routed, route
from waymark.sim._rows import Registry, Role, Rows
from waymark.sim.config import ProductSpec, SimConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

SIGNUP_TEMPLATE = Template(key="(identify)", type="identify", channel="web")
SECOND = 1.0 / 86400.0


@dataclass(frozen=True)
class Simulation:
    """A simulated population: its products, chains, true stays, people and routed events."""

    config: SimConfig
    plan: Plan
    products: tuple[ProductSpec, ...]
    days: int
    seed: int
    chains: Chains
    visits: Visits
    people: People
    events: Routed
    registry: Registry


def products_for(config: SimConfig, count: int) -> tuple[ProductSpec, ...]:
    """The first ``count`` products of the preset, plus numbered extra kits beyond them."""
    chosen = list(config.products[:count])
    base = config.products[-1]
    for i in range(len(chosen), count):
        chosen.append(
            ProductSpec(
                id=f"kit-{i + 1}",
                name=f"Learning Kit {i + 1}",
                sku=f"KIT-{i + 1:03d}",
                price=base.price,
                category=base.category,
                weight=base.weight,
            )
        )
    return tuple(chosen)


def _chains_for(
    config: SimConfig,
    *,
    weights: FloatArray,
    arrival: FloatArray,
    first_product: IntArray,
    entry_cum: FloatArray,
    first_person: int,
    rng: np.random.Generator,
) -> Chains:
    """Each new person's products of interest: the first at arrival, the others later."""
    n = arrival.size
    n_products = weights.size
    count = 1 + draw(cumulative(config.people.products), rng.random(n))
    count = np.minimum(count, n_products)
    # Gumbel top-k: products without replacement, in proportion to their weights
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, n_products))
    forced = first_product >= 0
    keys[np.flatnonzero(forced), first_product[forced]] = np.inf
    order = np.argsort(-keys, axis=1)
    rank = np.arange(n_products)[None, :]
    take = rank < count[:, None]
    person = np.broadcast_to(np.arange(n)[:, None], take.shape)[take] + first_person
    product = order[take]
    gaps = rng.exponential(config.people.next_product_days, take.shape)
    gaps[:, 0] = 0.0
    start = (arrival[:, None] + np.cumsum(gaps, axis=1))[take]
    entry = draw(entry_cum, rng.random(person.size))
    return Chains(
        person=person.astype(np.int64),
        product=product.astype(np.int64),
        start=start,
        entry=entry,
    )


def _concat_chains(parts: list[Chains]) -> Chains:
    return Chains(
        person=np.concatenate([c.person for c in parts]),
        product=np.concatenate([c.product for c in parts]),
        start=np.concatenate([c.start for c in parts]),
        entry=np.concatenate([c.entry for c in parts]),
    )


def _concat_visits(parts: list[Visits], offsets: list[int]) -> Visits:
    return Visits(
        chain=np.concatenate([v.chain + o for v, o in zip(parts, offsets, strict=True)]),
        stage=np.concatenate([v.stage for v in parts]),
        prev=np.concatenate([v.prev for v in parts]),
        t_enter=np.concatenate([v.t_enter for v in parts]),
        t_exit=np.concatenate([v.t_exit for v in parts]),
        nxt=np.concatenate([v.nxt for v in parts]),
        t_buy=np.concatenate([v.t_buy for v in parts]),
        returned=np.concatenate([v.returned for v in parts]),
    )


def _identity_rows(people: People, reg: Registry, plan: Plan) -> Rows:
    signed = np.flatnonzero(people.signed_up)
    ident = reg.id(SIGNUP_TEMPLATE)
    parts = [Rows.make(signed, people.signup[signed], ident, -1, role=Role.SIGNUP, slot=0)]
    if plan.signed_up is not None:
        parts.append(
            Rows.make(
                signed,
                people.signup[signed] + SECOND,
                reg.id(plan.signed_up),
                -1,
                role=Role.SIGNED_UP,
                slot=0,
            )
        )
    login = people.slot_login.copy()
    login[:, 0] = np.inf
    who, slot = np.nonzero(np.isfinite(login))
    parts.append(Rows.make(who, login[who, slot], ident, -1, role=Role.LOGIN, slot=slot))
    return Rows.concat(parts)


def simulate(
    plan: Plan, config: SimConfig, *, customers: int, products: int, days: int, seed: int
) -> Simulation:
    """Simulate ``customers`` people (plus those their referrals bring) over ``days``."""
    rng = np.random.default_rng(seed)
    chosen = products_for(config, products)
    weights = np.array([p.weight for p in chosen], dtype=np.float64)
    reg = Registry()
    horizon = float(days)
    arrival = rng.uniform(0.0, config.people.arrival_spread * horizon, customers)
    referred_by = np.full(customers, -1, dtype=np.int64)
    first_product = np.full(customers, -1, dtype=np.int64)
    entry_cum = plan.entry_cum
    arrivals = [arrival]
    referrers = [referred_by]
    chain_parts: list[Chains] = []
    visit_parts: list[Visits] = []
    row_parts: list[Rows] = []
    chain_offsets: list[int] = []
    n_people = n_chains = n_visits = 0
    for round_no in range(config.referrals.rounds + 1):
        chains = _chains_for(
            config,
            weights=weights,
            arrival=arrival,
            first_product=first_product,
            entry_cum=entry_cum,
            first_person=n_people,
            rng=rng,
        )
        visits = walk(
            plan,
            chains,
            days=horizon,
            delivery=plan.delivery_days,
            returns=plan.returns,
            rng=rng,
        )
        rows = product_events(
            plan, reg, chains, visits, days=horizon, first_visit=n_visits, rng=rng
        )
        chain_parts.append(chains)
        visit_parts.append(visits)
        row_parts.append(rows)
        chain_offsets.append(n_chains)
        n_people += arrival.size
        n_chains += chains.person.size
        n_visits += visits.size
        # referrals: each referral event invites friends, some of whom come
        refers = np.array([t.referral for t in reg.templates], dtype=np.bool_)
        referring = np.flatnonzero(refers[rows.template])
        if referring.size == 0 or round_no == config.referrals.rounds:
            break
        invites = rng.poisson(config.referrals.invites, referring.size)
        joined = rng.binomial(invites, config.referrals.join)
        source = np.repeat(referring, joined)
        come = rows.t[source] + rng.exponential(config.referrals.lag_days, source.size)
        ok = come < horizon
        source, arrival = source[ok], come[ok]
        if arrival.size == 0:
            break
        referred_by = rows.person[source]
        first_product = rows.product[source]
        entry_cum = plan.referral_entry_cum
        arrivals.append(arrival)
        referrers.append(referred_by)
    chains = _concat_chains(chain_parts)
    visits = _concat_visits(visit_parts, chain_offsets)
    rows = Rows.concat(row_parts)
    signup = signup_times(plan, chains, visits, n_people, days=horizon, rng=rng)
    people = make_people(
        config,
        np.concatenate(arrivals),
        np.concatenate(referrers),
        signup,
        days=horizon,
        rng=rng,
    )
    rows = Rows.concat([rows, _identity_rows(people, reg, plan)])
    routed = route(rows, people, reg, days=horizon, rng=rng)
    order = np.argsort(routed.rows.t, kind="stable")
    routed = Routed(
        rows=routed.rows.take(order),
        channel=routed.channel[order],
        slot=routed.slot[order],
        user=routed.user[order],
        anon=routed.anon[order],
        junk_user=routed.junk_user[order],
        junk_anon=routed.junk_anon[order],
    )
    return Simulation(
        config=config,
        plan=plan,
        products=chosen,
        days=days,
        seed=seed,
        chains=chains,
        visits=visits,
        people=people,
        events=routed,
        registry=reg,
    )
