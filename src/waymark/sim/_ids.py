"""Identifier text for simulated people and devices: user ids, anonymous ids (UUID-shaped),
emails on reserved example domains, US phone numbers in the fictional 555 exchange, Facebook
ids. Unique by construction (a running number is part of each), reproducible from the seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

FIRST: Final = (
    "ray",
    "ana",
    "sam",
    "lee",
    "maria",
    "john",
    "aisha",
    "tom",
    "mei",
    "omar",
    "lucy",
    "ivan",
    "sara",
    "ben",
    "nina",
    "raj",
    "eva",
    "paul",
    "zoe",
    "kim",
    "leo",
    "ines",
    "dan",
    "amy",
)
LAST: Final = (
    "smith",
    "jones",
    "garcia",
    "chen",
    "patel",
    "brown",
    "martin",
    "khan",
    "rossi",
    "muller",
    "silva",
    "nguyen",
    "kowalski",
    "ohara",
    "dubois",
    "tanaka",
    "ali",
    "novak",
    "berg",
    "lopez",
)
DOMAINS: Final = ("example.com", "example.org", "example.net")
AREA_CODES: Final = (
    201,
    202,
    203,
    205,
    206,
    207,
    208,
    209,
    210,
    212,
    213,
    214,
    215,
    216,
    217,
    218,
    219,
    224,
    225,
    228,
    229,
    231,
    234,
    239,
    240,
    248,
    251,
    252,
    253,
    254,
    256,
    260,
    262,
    267,
    269,
    270,
    276,
    281,
    301,
    302,
    303,
    304,
    305,
    307,
    308,
    309,
    310,
    312,
    313,
    314,
    315,
    316,
    317,
    318,
    319,
    320,
    321,
    323,
    325,
    330,
    334,
    336,
    337,
    339,
    347,
    351,
    352,
    360,
    361,
    386,
    401,
    402,
    404,
    405,
    406,
    407,
    408,
    409,
    410,
    412,
    413,
    414,
    415,
    417,
    419,
    423,
    424,
    425,
    430,
    432,
)
PLACEHOLDER_EMAIL: Final = "test@example.com"
JUNK_IDS: Final = ("null", "undefined")


@dataclass(frozen=True)
class PersonIds:
    user_id: list[str]
    email: list[str]
    """Canonical (lower-case) email of each person."""
    phone: list[str]
    """E.164."""
    facebook_id: list[str]
    first_name: list[str]
    last_name: list[str]


def person_ids(n: int, rng: np.random.Generator) -> PersonIds:
    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    domain = rng.integers(0, len(DOMAINS), n)
    salt = rng.integers(0, 1 << 24, n)
    capacity = len(AREA_CODES) * 10_000
    if n <= capacity:
        numbers = rng.choice(capacity, size=n, replace=False)
    else:  # beyond the fictional range: still unique, in the area codes' real exchanges
        numbers = rng.choice(capacity * 700, size=n, replace=False)
    area = numbers % len(AREA_CODES)
    local = numbers // len(AREA_CODES)
    exchange = np.where(local < 10_000, 555, 200 + local // 10_000)
    fb = 100_000_000_000_000 + rng.choice(899_999_999_999_999, size=n, replace=False)
    return PersonIds(
        user_id=[f"usr_{s:06x}{p:06x}" for p, s in enumerate(salt.tolist())],
        email=[
            f"{FIRST[f]}.{LAST[la]}.{p}@{DOMAINS[d]}"
            for p, (f, la, d) in enumerate(
                zip(first.tolist(), last.tolist(), domain.tolist(), strict=True)
            )
        ],
        phone=[
            f"+1{AREA_CODES[a]}{e:03d}{x % 10_000:04d}"
            for a, e, x in zip(area.tolist(), exchange.tolist(), local.tolist(), strict=True)
        ],
        facebook_id=[str(v) for v in fb.tolist()],
        first_name=[FIRST[f].title() for f in first.tolist()],
        last_name=[LAST[la].title() for la in last.tolist()],
    )


def anonymous_ids(n: int, rng: np.random.Generator) -> list[str]:
    """UUID-shaped ids; the last group holds the device number, so they never collide."""
    a = rng.integers(0, 1 << 32, n).tolist()
    b = rng.integers(0, 1 << 16, n).tolist()
    c = rng.integers(0, 1 << 12, n).tolist()
    d = rng.integers(0x8000, 0xC000, n).tolist()
    e = rng.integers(0, 1 << 16, n).tolist()
    return [f"{a[i]:08x}-{b[i]:04x}-4{c[i]:03x}-{d[i]:04x}-{e[i]:04x}{i:08x}" for i in range(n)]


def email_variant(email: str, pick: int) -> str:
    """The same address as people type it: capitalised, upper-case domain, stray spaces."""
    local, _, domain = email.partition("@")
    if pick == 0:
        return f"{local.title()}@{domain}"
    if pick == 1:
        return f"{local}@{domain.upper()}"
    return f" {email} "


def phone_variant(e164: str, pick: int) -> str:
    """The same US number with spaces, dashes or brackets (still parseable without a region)."""
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    if pick == 0:
        return f"+1 {area} {exchange} {line}"
    if pick == 1:
        return f"+1-{area}-{exchange}-{line}"
    return f"+1 ({area}) {exchange}-{line}"
