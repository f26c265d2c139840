"""Which channel, device and identifiers each event goes out with.

A template asks for a channel; the person's identities at that moment decide whether it can be
used (an email needs a known address, a call before sign-up needs a phone that will be linked,
the app must be installed). Stage evidence only ever goes out through identifiers that are
linked to the person (see ``_people``); when the asked-for channel cannot do that, the event
goes through the web site instead, and neutral events that cannot go out are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from waymark.sim._people import People, Slot
from waymark.sim._rows import SIGNAL_ROLES, Registry, Role, Rows

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Ch(IntEnum):
    WEB = 0
    MOBILE = 1
    ADS = 2
    SOCIAL = 3
    EMAIL = 4
    CALL = 5
    SHIPPING = 6
    SUPPORT = 7
    CLIENT = 8


CHANNEL_CODES: Final = {
    "web": Ch.WEB,
    "mobile": Ch.MOBILE,
    "ads": Ch.ADS,
    "social": Ch.SOCIAL,
    "email": Ch.EMAIL,
    "call_centre": Ch.CALL,
    "shipping": Ch.SHIPPING,
    "support": Ch.SUPPORT,
    "client": Ch.CLIENT,
}


class Anon(IntEnum):
    NONE = 0
    DEVICE = 1
    CALL = 2
    """A call without a known customer: the call centre's own id, with the caller's phone."""
    FACEBOOK = 3


@dataclass(frozen=True)
class Routed:
    rows: Rows
    channel: npt.NDArray[np.int8]
    slot: IntArray
    """Device slot (-1: sent server-side)."""
    user: BoolArray
    """Carries the person's userId."""
    anon: npt.NDArray[np.int8]
    junk_user: BoolArray
    """Sends userId "null"/"undefined" instead of none (a buggy client)."""
    junk_anon: BoolArray


def _pick_slot(
    people: People,
    *,
    person: IntArray,
    t: npt.NDArray[np.float64],
    signal: BoolArray,
    kinds: tuple[Slot, ...],
    rng: np.random.Generator,
) -> IntArray:
    """A usable slot of one of ``kinds`` per row (-1 when none): the first browser is favoured."""
    best = np.full(person.size, -1.0)
    chosen = np.full(person.size, -1, dtype=np.int64)
    for k in range(people.slot_kind.shape[1]):
        kind = people.slot_kind[person, k]
        usable = np.isin(kind, kinds) & (people.slot_first[person, k] <= t)
        usable &= people.slot_linkable[person, k] | ~signal
        score = np.where(usable, rng.random(person.size) * (2.0 if k == 0 else 1.0), -1.0)
        better = score > best
        best[better] = score[better]
        chosen[better] = k
    return chosen


def route(
    rows: Rows, people: People, reg: Registry, *, days: float, rng: np.random.Generator
) -> Routed:
    """Decide channel, device and identifiers for every row; drop neutral rows that cannot go."""
    asked = np.array([CHANNEL_CODES[t.channel] for t in reg.templates], dtype=np.int8)
    channel = asked[rows.template]
    p = rows.person
    t = rows.t
    signal = np.isin(rows.role, [int(r) for r in SIGNAL_ROLES])
    identity = np.isin(rows.role, [Role.SIGNUP, Role.LOGIN, Role.SIGNED_UP])
    signed = t >= people.signup[p]
    anon = np.full(rows.size, Anon.DEVICE, dtype=np.int8)
    keep = np.ones(rows.size, dtype=np.bool_)

    server = np.isin(channel, [Ch.EMAIL, Ch.SHIPPING, Ch.SUPPORT])
    blocked = server & ~signed
    call = channel == Ch.CALL
    phone_later = people.phone[p] & people.signed_up[p]
    call_anon = call & ~signed & people.phone[p] & (phone_later | ~signal)
    blocked |= call & ~signed & ~call_anon
    social = channel == Ch.SOCIAL
    fb_ok = people.facebook[p] & (people.facebook_linked[p] | ~signal)
    blocked |= social & ~fb_ok
    keep &= ~(blocked & ~signal)
    channel = np.where(blocked & signal, np.int8(Ch.CLIENT), channel).astype(np.int8)
    server = np.isin(channel, [Ch.EMAIL, Ch.SHIPPING, Ch.SUPPORT, Ch.CALL, Ch.SOCIAL])
    anon[server] = Anon.NONE
    anon[call_anon & (channel == Ch.CALL)] = Anon.CALL
    anon[(channel == Ch.SOCIAL)] = Anon.FACEBOOK

    # devices: the app when the person has it at hand, else a browser
    slot = np.where(identity, rows.slot, -1).astype(np.int64)
    device = ~server & ~identity
    app_slot = _pick_slot(people, person=p, t=t, signal=signal, kinds=(Slot.APP,), rng=rng)
    wants_app = device & (
        (channel == Ch.MOBILE) | ((channel == Ch.CLIENT) & (rng.random(rows.size) < 0.5))
    )
    on_app = wants_app & (app_slot >= 0)
    slot[on_app] = app_slot[on_app]
    on_web = device & ~on_app
    web_slot = _pick_slot(
        people, person=p, t=t, signal=signal, kinds=(Slot.WEB, Slot.BORROWED), rng=rng
    )
    slot[on_web] = web_slot[on_web]
    keep &= ~(device & (slot < 0))
    channel = np.where(on_app, np.int8(Ch.MOBILE), channel).astype(np.int8)
    channel = np.where(on_web & (channel != Ch.ADS), np.int8(Ch.WEB), channel).astype(np.int8)
    identity_slot = identity & (slot >= 0)
    kind = people.slot_kind[p, np.maximum(slot, 0)]
    channel[identity_slot] = np.where(kind[identity_slot] == Slot.APP, Ch.MOBILE, Ch.WEB)

    logged_in = (slot >= 0) & (t >= people.slot_login[p, np.maximum(slot, 0)])
    user = np.where(slot >= 0, logged_in, signed & (anon != Anon.CALL) & (anon != Anon.FACEBOOK))
    user |= identity
    junk = people.junk[p]
    junk_user = junk & (slot >= 0) & ~user
    junk_anon = junk & (slot < 0) & user & (rng.random(rows.size) < 0.5)
    if not keep.all():
        rows = rows.take(keep)
        channel, slot, user, anon = channel[keep], slot[keep], user[keep], anon[keep]
        junk_user, junk_anon = junk_user[keep], junk_anon[keep]
    return Routed(rows, channel, slot, user, anon, junk_user, junk_anon)
