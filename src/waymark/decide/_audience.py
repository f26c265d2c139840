"""Ad audiences: who is in a named audience, and the hashed form ad platforms take.

Ad platforms match on SHA-256 of normalised identifiers: e-mail trimmed and lower-cased;
phone in E.164 (``+447700900123``). Values that do not normalise are left out, never sent raw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import phonenumbers

from waymark.decide._conditions import trait_holds
from waymark.decide.config import NO_STAGE, Audience
from waymark.decide.contracts import AudienceMember, DecisionContext


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email:
        return None
    return email


def normalise_phone(value: str, default_region: str | None = None) -> str | None:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _values(ctx: DecisionContext, kind: str) -> list[str]:
    found = list(ctx.identifiers.get(kind, ()))
    trait = ctx.traits.get(kind)
    if isinstance(trait, str) and trait not in found:
        found.append(trait)
    return found


def member_of(audience: Audience, ctx: DecisionContext) -> bool:
    """Does the profile belong: consent for targeting, and every filter holds."""
    if audience.purpose == "targeting" and ctx.consent.get("ads") is not True:
        return False
    if not all(trait_holds(c, ctx.traits) for c in audience.traits):
        return False
    positions = [
        p for p in ctx.positions if not audience.products or p.product in audience.products
    ]
    if audience.purchased is not None:
        bought = any(p.purchased or p.phase == "post_purchase" for p in positions)
        if bought != audience.purchased:
            return False
    for model, stages in audience.stages.items():
        on_model = [p.stage for p in positions if p.model == model]
        if not any(s in stages for s in on_model) and not (NO_STAGE in stages and not on_model):
            return False
    return True


def hashed(ctx: DecisionContext, default_region: str | None = None) -> AudienceMember | None:
    emails = {e for v in _values(ctx, "email") if (e := normalise_email(v))}
    phones = {p for v in _values(ctx, "phone") if (p := normalise_phone(v, default_region))}
    if not emails and not phones:
        return None
    return AudienceMember(
        email_sha256=tuple(sorted(sha256_hex(e) for e in emails)),
        phone_sha256=tuple(sorted(sha256_hex(p) for p in phones)),
    )


def page(
    audience: Audience,
    contexts: Iterable[DecisionContext],
    *,
    after: str | None,
    limit: int,
    default_region: str | None = None,
) -> tuple[list[AudienceMember], str | None]:
    """Up to ``limit`` members with profile id after ``after`` (contexts come in profile id
    order); the cursor for the next page is the last profile id, or None at the end."""
    members: list[AudienceMember] = []
    last: str | None = None
    it: Iterator[DecisionContext] = iter(contexts)
    for ctx in it:
        if after is not None and ctx.profile_id <= after:
            continue
        if not member_of(audience, ctx):
            continue
        member = hashed(ctx, default_region)
        if member is None:
            continue
        if len(members) == limit:
            return members, last
        members.append(member)
        last = ctx.profile_id
    return members, None
