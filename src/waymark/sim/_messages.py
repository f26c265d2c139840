"""Routed rows become Segment tracking-API messages (plain dicts, in time order): the fields
every Segment library sends (``messageId``, ``type``, ``userId``/``anonymousId``, ``timestamp``,
``context`` with ``library``, ``channel``, ``campaign``, ``page``/``app``/``os``/``traits``,
``properties``, ``traits``), shaped like what analytics.js, analytics-ios and the server-side
libraries of an email, call-centre, shipping and help-desk integration would send."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from waymark.sim._generate import Simulation
from waymark.sim._ids import (
    JUNK_IDS,
    PLACEHOLDER_EMAIL,
    PersonIds,
    anonymous_ids,
    email_variant,
    person_ids,
    phone_variant,
)
from waymark.sim._people import Slot
from waymark.sim._route import Anon, Ch
from waymark.sim._rows import Role

Message = dict[str, Any]

WEB_LIBRARY: Final = {"name": "analytics.js", "version": "next-1.70.0"}
IOS_LIBRARY: Final = {"name": "analytics-ios", "version": "4.1.8"}
SERVER_LIBRARY: Final = {"name": "analytics-python", "version": "2.3.3"}
SERVER_CHANNELS: Final = {
    Ch.EMAIL: "email",
    Ch.CALL: "call_centre",
    Ch.SHIPPING: "shipping",
    Ch.SUPPORT: "support",
    Ch.SOCIAL: "social",
}
AD_SOURCES: Final = ("google", "facebook", "instagram", "youtube")
AGENTS: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
)
ORDER_PREFIXES: Final = ("Order ", "Checkout ")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


@dataclass(frozen=True)
class Identities:
    """The text of every identifier in a simulation."""

    person: PersonIds
    device: list[str]
    timestamp: list[str]


def identities(sim: Simulation) -> Identities:
    rng = np.random.default_rng([sim.seed, 1])
    n_devices = int(sim.people.slot_device.max(initial=-1)) + 1
    rows = sim.events.rows
    base = np.datetime64(sim.config.start.isoformat(), "ms")
    offsets = np.round(rows.t * 86_400_000).astype(np.int64).astype("timedelta64[ms]")
    stamps = np.datetime_as_string(base + offsets, unit="ms", timezone="UTC")
    return Identities(
        person=person_ids(sim.people.n, rng),
        device=anonymous_ids(n_devices, rng),
        timestamp=stamps.tolist(),
    )


def message_id(seed: int, row: int) -> str:
    return f"sim-{seed}-{row:09d}"


def call_id(seed: int, row: int) -> str:
    return f"cc-{seed}-{row:09d}"


def facebook_anon(facebook_id: str) -> str:
    return f"fb-psid-{facebook_id}"


@dataclass(frozen=True)
class _Kind:
    """What every message of one template shares."""

    type: str
    event: str | None
    name: str | None
    properties: dict[str, Any]
    order: bool
    referral: bool
    path: str


class _Builder:
    """Builds messages from plain Python columns; contexts and properties that do not depend
    on the person are built once and shared (callers must not mutate messages)."""

    def __init__(self, sim: Simulation, ids: Identities) -> None:
        self.sim = sim
        self.ids = ids
        self.seed = sim.seed
        self.domain = sim.config.domain
        self.company = sim.config.company
        self.adv = sim.config.adversarial
        self.rng = np.random.default_rng([sim.seed, 2])
        self.items = [
            {
                "product_id": p.id,
                "sku": p.sku or p.id.upper(),
                "name": p.name,
                "price": p.price,
                "category": p.category,
            }
            for p in sim.products
        ]
        self.kinds = [
            _Kind(
                type=t.type,
                event=t.event,
                name=t.name,
                properties=t.properties,
                order=(t.event or "").startswith(ORDER_PREFIXES),
                referral=t.referral,
                path="/" + _slug(t.name or t.event or "home"),
            )
            for t in sim.registry.templates
        ]
        self.app = {"name": sim.config.company, "version": "5.2.0", "build": "520"}
        self._contexts: dict[tuple[int, int, int, int], dict[str, Any]] = {}
        self._props: dict[tuple[int, int], dict[str, Any]] = {}
        ev = sim.events
        rows = ev.rows
        people = sim.people
        slot = np.maximum(ev.slot, 0)
        on_device = ev.slot >= 0
        self.person = rows.person.tolist()
        self.role = rows.role.tolist()
        self.template = rows.template.tolist()
        self.product = rows.product.tolist()
        self.channel = ev.channel.tolist()
        self.user = ev.user.tolist()
        self.junk_user = ev.junk_user.tolist()
        self.anon = ev.anon.tolist()
        self.junk_anon = ev.junk_anon.tolist()
        self.slot = ev.slot.tolist()
        self.app_row = (on_device & (people.slot_kind[rows.person, slot] == Slot.APP)).tolist()
        self.device = np.where(on_device, people.slot_device[rows.person, slot], -1).tolist()

    def email_of(self, p: int, variant: bool) -> str:
        people = self.sim.people
        if people.placeholder[p]:
            return PLACEHOLDER_EMAIL
        email = self.ids.person.email[int(people.email_owner[p])]
        return email_variant(email, int(self.rng.integers(3))) if variant else email

    def phone_of(self, p: int, variant: bool) -> str:
        phone = self.ids.person.phone[p]
        return phone_variant(phone, int(self.rng.integers(3))) if variant else phone

    def properties(self, tid: int, p: int, product: int) -> dict[str, Any]:
        kind = self.kinds[tid]
        if not kind.order and not kind.referral:
            cached = self._props.get((tid, product))
            if cached is None:
                cached = dict(kind.properties)
                if product >= 0:
                    cached.update(self.items[product])
                self._props[(tid, product)] = cached
            return cached
        props = dict(kind.properties)
        if product >= 0:
            item = self.items[product]
            if kind.order:
                kind_of_order = kind.properties.get("order_type", "new")
                props["order_id"] = f"ord-{p:07d}-{product}-{kind_of_order}"
                props["total"] = item["price"]
                props["currency"] = "USD"
                props["products"] = [{**item, "quantity": 1}]
            else:
                props.update(item)
        if kind.referral:
            # who referred them is a property, never an identifier: it must link no one
            props["referrer_name"] = self.ids.person.first_name[p]
        return props

    def client_context(self, tid: int, product: int, app: bool, variant: int) -> dict[str, Any]:
        key = (tid, product, int(app), variant)
        context = self._contexts.get(key)
        if context is not None:
            return context
        kind = self.kinds[tid]
        if app:
            context = {
                "library": IOS_LIBRARY,
                "channel": "mobile",
                "app": self.app,
                "os": {"name": "iPadOS", "version": "17.1"},
                "device": {"type": "ios", "model": "iPad13,1"},
            }
        else:
            path = kind.path
            if product >= 0 and kind.type == "track":
                path = f"/kits/{self.items[product]['product_id']}"
            url = f"https://www.{self.domain}{path}"
            context = {
                "library": WEB_LIBRARY,
                "channel": "web",
                "userAgent": AGENTS[variant % len(AGENTS)],
                "page": {"path": path, "url": url, "title": kind.name or self.company},
            }
            if variant >= len(AGENTS):
                source = AD_SOURCES[variant - len(AGENTS)]
                context["channel"] = "ads"
                context["campaign"] = {
                    "source": source,
                    "medium": "cpc",
                    "name": "holiday-learning-kits",
                }
                context["page"] = {
                    **context["page"],
                    "url": f"{url}?utm_source={source}&utm_medium=cpc",
                }
        self._contexts[key] = context
        return context

    def server_context(self, channel: int, p: int) -> dict[str, Any]:
        context: dict[str, Any] = {
            "library": SERVER_LIBRARY,
            "channel": SERVER_CHANNELS[Ch(channel)],
        }
        people = self.sim.people
        traits: dict[str, str] = {}
        if channel in (Ch.EMAIL, Ch.SUPPORT) and people.signed_up[p]:
            traits["email"] = self.email_of(p, False)
        elif channel == Ch.CALL and people.phone[p]:
            traits["phone"] = self.phone_of(p, self.rng.random() < self.adv.phone_variants)
        elif channel == Ch.SOCIAL:
            traits["facebook_id"] = self.ids.person.facebook_id[p]
            context["campaign"] = {"source": "facebook", "medium": "social"}
        if traits:
            context["traits"] = traits
        return context

    def build(self, i: int) -> Message:
        p = self.person[i]
        tid = self.template[i]
        kind = self.kinds[tid]
        msg: Message = {
            "messageId": message_id(self.seed, i),
            "type": kind.type,
            "timestamp": self.ids.timestamp[i],
        }
        if kind.event is not None:
            msg["event"] = kind.event
        if kind.type == "page":
            msg["name"] = kind.name
            if self.app_row[i]:
                msg["type"] = "screen"
        if self.user[i]:
            msg["userId"] = self.ids.person.user_id[p]
        elif self.junk_user[i]:
            msg["userId"] = JUNK_IDS[i % 2]
        anon = self.anon[i]
        if anon == Anon.DEVICE:
            msg["anonymousId"] = self.ids.device[self.device[i]]
        elif anon == Anon.CALL:
            msg["anonymousId"] = call_id(self.seed, i)
        elif anon == Anon.FACEBOOK:
            msg["anonymousId"] = facebook_anon(self.ids.person.facebook_id[p])
        elif self.junk_anon[i]:
            msg["anonymousId"] = JUNK_IDS[(i + 1) % 2]
        product = self.product[i]
        channel = self.channel[i]
        if self.slot[i] >= 0:
            app = self.app_row[i]
            variant = self.slot[i] % len(AGENTS)
            if channel == Ch.ADS:
                variant = len(AGENTS) + i % len(AD_SOURCES)
            msg["context"] = self.client_context(tid, product, app, variant)
        else:
            msg["context"] = self.server_context(channel, p)
        if kind.type == "identify":
            msg["traits"] = self.identify_traits(p, self.role[i])
        else:
            msg["properties"] = self.properties(tid, p, product)
        return msg

    def identify_traits(self, p: int, role: int) -> dict[str, Any]:
        people = self.sim.people
        traits: dict[str, Any] = {
            "email": self.email_of(p, self.rng.random() < self.adv.email_variants),
        }
        if role == Role.SIGNUP:
            traits["first_name"] = self.ids.person.first_name[p]
            traits["last_name"] = self.ids.person.last_name[p]
            if people.phone[p]:
                traits["phone"] = self.phone_of(p, self.rng.random() < self.adv.phone_variants)
            if people.facebook_linked[p]:
                traits["facebook_id"] = self.ids.person.facebook_id[p]
        return traits


def messages(sim: Simulation, ids: Identities, *, chunk: int = 20_000) -> Iterator[list[Message]]:
    """Every message in time order, ``chunk`` at a time. Messages share nested dicts: do not
    mutate them (copy first)."""
    builder = _Builder(sim, ids)
    total = sim.events.rows.size
    build = builder.build
    for start in range(0, total, chunk):
        yield [build(i) for i in range(start, min(start + chunk, total))]
