"""The ground truth of a simulation, read off what was generated: the true person behind every
identifier that appears in the events (with whether the events make it linkable), and every
true stage change with the event that caused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from waymark.sim._generate import Simulation
from waymark.sim._ids import JUNK_IDS, PLACEHOLDER_EMAIL
from waymark.sim._messages import Identities, call_id, facebook_anon, message_id
from waymark.sim._people import Slot
from waymark.sim._route import Anon, Ch
from waymark.sim._rows import Role
from waymark.sim.contracts import GroundTruth, IdentifierTruth, PersonTruth, StageTransition


def person_key(index: int) -> str:
    return f"p{index:07d}"


def _at(start: datetime, days: float) -> datetime:
    return start + timedelta(milliseconds=round(days * 86_400_000))


def identifiers(sim: Simulation, ids: Identities) -> list[IdentifierTruth]:
    ev = sim.events
    rows = ev.rows
    people = sim.people
    out: list[IdentifierTruth] = []
    users = np.unique(rows.person[ev.user])
    out += [
        IdentifierTruth(
            kind="user_id", value=ids.person.user_id[p], person=person_key(p), linkable=True
        )
        for p in users.tolist()
    ]
    on_device = ev.anon == Anon.DEVICE
    slot = np.maximum(ev.slot, 0)
    device = people.slot_device[rows.person, slot]
    owner = people.device_owner
    used = np.unique(device[on_device])
    borrowed = np.unique(device[on_device & (people.slot_kind[rows.person, slot] == Slot.BORROWED)])
    owner_slot = {}
    kinds = people.slot_device
    hit = np.isin(kinds, used) & (people.slot_kind != Slot.BORROWED)
    for p, k in zip(*np.nonzero(hit), strict=True):
        owner_slot[int(kinds[p, k])] = bool(people.slot_linkable[p, k])
    shared = set(borrowed.tolist())
    out += [
        IdentifierTruth(
            kind="anonymous_id",
            value=ids.device[d],
            person=person_key(int(owner[d])),
            linkable=owner_slot[d],
            note="shared" if d in shared else "",
        )
        for d in used.tolist()
    ]
    calls = np.flatnonzero(ev.anon == Anon.CALL)
    out += [
        IdentifierTruth(
            kind="anonymous_id",
            value=call_id(sim.seed, i),
            person=person_key(p),
            linkable=bool(people.phone[p] and people.signed_up[p]),
        )
        for i, p in zip(calls.tolist(), rows.person[calls].tolist(), strict=True)
    ]
    social = np.unique(rows.person[ev.anon == Anon.FACEBOOK])
    linked_fb = np.flatnonzero(people.facebook_linked)
    for p in np.union1d(social, linked_fb).tolist():
        fb = ids.person.facebook_id[p]
        linkable = bool(people.facebook_linked[p])
        out.append(
            IdentifierTruth(kind="facebook_id", value=fb, person=person_key(p), linkable=linkable)
        )
        if p in social:
            out.append(
                IdentifierTruth(
                    kind="anonymous_id",
                    value=facebook_anon(fb),
                    person=person_key(p),
                    linkable=linkable,
                )
            )
    # emails: sign-ups (and the people who sign up with their household's address)
    signed = np.flatnonzero(people.signed_up & ~people.placeholder)
    owners, counts = np.unique(people.email_owner[signed], return_counts=True)
    out += [
        IdentifierTruth(
            kind="email",
            value=ids.person.email[o],
            person=person_key(o),
            linkable=True,
            note="shared" if c > 1 else "",
        )
        for o, c in zip(owners.tolist(), counts.tolist(), strict=True)
    ]
    if people.placeholder.any():
        out.append(
            IdentifierTruth(
                kind="email", value=PLACEHOLDER_EMAIL, person=None, linkable=False, note="junk"
            )
        )
    called = np.unique(rows.person[ev.channel == Ch.CALL])
    phoned = np.union1d(
        np.flatnonzero(people.phone & people.signed_up), called[people.phone[called]]
    )
    out += [
        IdentifierTruth(
            kind="phone",
            value=ids.person.phone[p],
            person=person_key(p),
            linkable=bool(people.signed_up[p]),
        )
        for p in phoned.tolist()
    ]
    if ev.junk_user.any():
        out += [
            IdentifierTruth(kind="user_id", value=v, person=None, linkable=False, note="junk")
            for v in JUNK_IDS
        ]
    if ev.junk_anon.any():
        out += [
            IdentifierTruth(kind="anonymous_id", value=v, person=None, linkable=False, note="junk")
            for v in JUNK_IDS
        ]
    return out


def transitions(sim: Simulation, start: datetime) -> list[StageTransition]:
    rows = sim.events.rows
    entry = np.flatnonzero(rows.role == Role.ENTRY)
    row_of = np.full(sim.visits.size, -1, dtype=np.int64)
    row_of[rows.visit[entry]] = entry
    visits = sim.visits
    keep = np.flatnonzero(row_of >= 0)
    chains = sim.chains
    names = sim.plan.stages
    products = [p.id for p in sim.products]
    person = chains.person[visits.chain[keep]].tolist()
    product = chains.product[visits.chain[keep]].tolist()
    prev = visits.prev[keep].tolist()
    stage = visits.stage[keep].tolist()
    at = visits.t_enter[keep].tolist()
    row = row_of[keep].tolist()
    out = [
        StageTransition(
            person=person_key(person[k]),
            product=products[product[k]],
            from_stage=names[prev[k]] if prev[k] >= 0 else None,
            to_stage=names[stage[k]],
            at=_at(start, at[k]),
            message_id=message_id(sim.seed, row[k]),
        )
        for k in range(len(keep))
    ]
    out.sort(key=lambda t: (t.at, t.person, t.product))
    return out


def people_truth(sim: Simulation, ids: Identities, start: datetime) -> list[PersonTruth]:
    people = sim.people
    first_device = people.slot_device[:, 0].tolist()
    signup = people.signup.tolist()
    arrival = people.arrival.tolist()
    referred = people.referred_by.tolist()
    signed = people.signed_up.tolist()
    return [
        PersonTruth(
            person=person_key(p),
            home_kind="user_id" if signed[p] else "anonymous_id",
            home_value=ids.person.user_id[p] if signed[p] else ids.device[first_device[p]],
            arrived_at=_at(start, arrival[p]),
            signed_up_at=_at(start, signup[p]) if signed[p] else None,
            referred_by=person_key(referred[p]) if referred[p] >= 0 else None,
        )
        for p in range(people.n)
    ]


def ground_truth(sim: Simulation, ids: Identities) -> GroundTruth:
    start = datetime.combine(sim.config.start, datetime.min.time(), tzinfo=UTC)
    return GroundTruth(
        model=sim.plan.model.name,
        stages=sim.plan.stages,
        start=sim.config.start,
        days=sim.days,
        products=tuple(p.id for p in sim.products),
        people=tuple(people_truth(sim, ids, start)),
        identifiers=tuple(identifiers(sim, ids)),
        transitions=tuple(transitions(sim, start)),
    )
