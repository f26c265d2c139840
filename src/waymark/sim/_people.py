"""Who the simulated people are as identities: when they sign up, which devices (browsers, the
app) they use and whether each device is ever logged in, their phone and Facebook account, and
the adversarial cases an identity graph must resist.

What is linkable is decided here, and documented in docs/simulator.md:

- the first browser is linked by the sign-up ``identify`` (or is the person's only identity);
- another browser or the app is linked when it is logged in; one never logged in stays a
  stranger, so it only ever sends neutral events;
- a phone is linked when it is given at sign-up; calls before sign-up carry only the phone;
- a Facebook account is linked when the person signs in with Facebook at sign-up;
- a shared family email, a borrowed browser (used by a second person only while logged in as
  themself) and literal ``"null"``/``"undefined"`` ids link nobody: merging on them is a false
  merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from waymark.sim._dynamics import Chains, Visits, draw
from waymark.sim._plan import Plan, cumulative
from waymark.sim.config import SimConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MINUTE: Final = 1.0 / 1440.0
NEVER: Final = np.inf


class Slot(IntEnum):
    NONE = 0
    WEB = 1
    APP = 2
    BORROWED = 3
    """Another person's browser, used only while logged in as oneself."""


@dataclass
class People:
    arrival: FloatArray
    referred_by: IntArray
    signup: FloatArray
    """Sign-up time (``inf``: not within the horizon)."""
    phone: BoolArray
    facebook: BoolArray
    facebook_linked: BoolArray
    junk: BoolArray
    placeholder: BoolArray
    email_owner: IntArray
    """Whose email the person signs up with (their own, or their household's)."""
    slot_kind: npt.NDArray[np.int8]
    """[person, slot]"""
    slot_first: FloatArray
    slot_login: FloatArray
    slot_device: IntArray
    """Global device number (the anonymousId) of each slot; -1 for no slot."""
    slot_linkable: BoolArray

    @property
    def n(self) -> int:
        return int(self.arrival.size)

    @property
    def signed_up(self) -> BoolArray:
        return np.isfinite(self.signup)

    @property
    def device_owner(self) -> IntArray:
        """The person each global device number belongs to."""
        own = self.slot_kind != Slot.BORROWED
        owner = np.full(int(self.slot_device.max(initial=-1)) + 1, -1, dtype=np.int64)
        persons = np.broadcast_to(np.arange(self.n)[:, None], self.slot_device.shape)
        sel = own & (self.slot_device >= 0)
        owner[self.slot_device[sel]] = persons[sel]
        return owner


def signup_times(
    plan: Plan, chains: Chains, visits: Visits, n: int, *, days: float, rng: np.random.Generator
) -> FloatArray:
    """The earliest of: entering a stage where the person chooses to sign up, and checkout."""
    signup = np.full(n, NEVER)
    person = chains.person[visits.chain]
    chosen = rng.random(visits.size) < plan.signup[visits.stage]
    at = visits.t_enter + rng.uniform(2, 20, visits.size) * MINUTE
    np.minimum.at(signup, person[chosen], at[chosen])
    buys = ~np.isnan(visits.t_buy)
    checkout = visits.t_buy - rng.uniform(1, 10, visits.size) * MINUTE
    np.minimum.at(signup, person[buys], checkout[buys])
    signup[signup >= days] = NEVER
    return signup


def _pairs(candidates: IntArray, share: float, rng: np.random.Generator) -> IntArray:
    """Disjoint (first, second) pairs covering about ``share`` of ``candidates``."""
    k = round(candidates.size * share / 2)
    if k == 0:
        return np.empty((0, 2), dtype=np.int64)
    picked = rng.choice(candidates, size=2 * k, replace=False)
    return picked.reshape(k, 2)


def make_people(
    config: SimConfig,
    arrival: FloatArray,
    referred_by: IntArray,
    signup: FloatArray,
    *,
    days: float,
    rng: np.random.Generator,
) -> People:
    n = arrival.size
    spec = config.people
    adv = config.adversarial
    signed = np.isfinite(signup)
    web = 1 + draw(cumulative(spec.devices), rng.random(n))
    app = rng.random(n) < spec.app
    slots = int(web.max(initial=1)) + 2  # web browsers, the app, one borrowed browser
    kind = np.zeros((n, slots), dtype=np.int8)
    first = np.full((n, slots), NEVER)
    login = np.full((n, slots), NEVER)
    for k in range(slots - 2):
        has = web > k
        kind[has, k] = Slot.WEB
        delay = 0.0 if k == 0 else rng.exponential(7.0, n)
        first[has, k] = (arrival + delay)[has]
    kind[app, slots - 2] = Slot.APP
    first[app, slots - 2] = (arrival + rng.exponential(20.0, n))[app]
    login[:, 0] = signup
    later = rng.random((n, slots)) < spec.second_device_login
    later[:, 0] = False
    delay = rng.exponential(1.0, (n, slots))
    others = (kind != Slot.NONE) & later & signed[:, None]
    login[others] = (np.maximum(first, signup[:, None]) + delay)[others]
    login[login >= days] = NEVER
    facebook = rng.random(n) < spec.facebook
    people = People(
        arrival=arrival,
        referred_by=referred_by,
        signup=signup,
        phone=rng.random(n) < spec.phone,
        facebook=facebook,
        facebook_linked=facebook & signed & (rng.random(n) < spec.facebook_login),
        junk=rng.random(n) < adv.junk_ids,
        placeholder=signed & (rng.random(n) < adv.placeholder_email),
        email_owner=np.arange(n, dtype=np.int64),
        slot_kind=kind,
        slot_first=first,
        slot_login=login,
        slot_device=np.full((n, slots), -1, dtype=np.int64),
        slot_linkable=np.zeros((n, slots), dtype=np.bool_),
    )
    own = kind != Slot.NONE
    people.slot_device[own] = np.arange(int(own.sum()), dtype=np.int64)
    people.slot_linkable[:] = own & ((np.arange(slots) == 0)[None, :] | np.isfinite(login))
    _share_emails(people, adv.shared_email, rng)
    _borrow_devices(people, adv.shared_device, days=days, rng=rng)
    return people


def _share_emails(people: People, share: float, rng: np.random.Generator) -> None:
    ok = np.flatnonzero(people.signed_up & ~people.placeholder)
    pairs = _pairs(ok, share, rng)
    people.email_owner[pairs[:, 1]] = pairs[:, 0]


def _borrow_devices(people: People, share: float, *, days: float, rng: np.random.Generator) -> None:
    """The second of each pair logs into the first one's browser, after both have signed up."""
    pairs = _pairs(np.flatnonzero(people.signed_up), share, rng)
    if pairs.size == 0:
        return
    lender, borrower = pairs[:, 0], pairs[:, 1]
    start = np.maximum(people.signup[lender], people.signup[borrower])
    start = start + rng.uniform(0.5, 5.0, start.size)
    keep = start < days
    lender, borrower, start = lender[keep], borrower[keep], start[keep]
    last = people.slot_kind.shape[1] - 1
    people.slot_kind[borrower, last] = Slot.BORROWED
    people.slot_first[borrower, last] = start
    people.slot_login[borrower, last] = start
    people.slot_device[borrower, last] = people.slot_device[lender, 0]
    people.slot_linkable[borrower, last] = True
