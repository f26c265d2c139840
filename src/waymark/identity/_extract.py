"""Which identifiers and traits an event carries.

An event's identifiers come from its ``user_id`` and ``anonymous_id`` columns, an alias call's
``previous_id``, and the configured trait/context/property fields. They are returned
normalised, without duplicates, highest priority first (ties keep the order of the sources:
columns, then fields in configuration order). Streaming calls ``Extractor.identifiers`` per
event; the rebuild computes the column part with Arrow and calls ``json_candidates`` for rows
whose JSON mentions a configured field, so both share the field rules and the ordering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from waymark.core.events import Event
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.identity._normalise import Normaliser, as_text
from waymark.identity.config import ANONYMOUS_ID, USER_ID, IdentifierKind, IdentityConfig

_PLAIN_CACHE: Final = 1 << 18
_MISSING: Final = object()
Key = tuple[str, str]
"""An identifier: (type, normalised value)."""

# Source positions: the columns come first, then each configured field in order.
SOURCE_USER_ID: Final = 0
SOURCE_ANONYMOUS_ID: Final = 1
SOURCE_PREVIOUS_ID: Final = 2
FIRST_FIELD_SOURCE: Final = 3


class FieldSpec(NamedTuple):
    type: str
    kind: IdentifierKind
    root: str
    path: tuple[str, ...]
    source: int


class Candidate(NamedTuple):
    """A raw value found in an event, before normalisation."""

    type: str
    kind: IdentifierKind
    raw: str
    source: int


def get_path(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = doc
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
        if value is None:
            return None
    return value


class Extractor:
    def __init__(self, config: IdentityConfig) -> None:
        self.config = config
        self.normaliser = Normaliser(config)
        self.priority = {t.name: i for i, t in enumerate(config.types)}
        self.kind_of: dict[str, IdentifierKind] = {t.name: t.kind for t in config.types}
        specs: list[FieldSpec] = []
        for t in config.types:
            for path in t.fields:
                root, *rest = path.split(".")
                specs.append(FieldSpec(t.name, t.kind, root, tuple(rest), 0))
        # sources number fields in configuration order, independent of priority
        ordered = sorted(
            specs,
            key=lambda s: [t.name for t in config.types].index(s.type),
        )
        self.fields = tuple(
            s._replace(source=FIRST_FIELD_SOURCE + i) for i, s in enumerate(ordered)
        )
        self.roots = tuple(sorted({s.root for s in self.fields}))
        self.alias_type = config.alias_previous_type
        # per root, the fields grouped by their first key: most documents hold none of them,
        # and one dict lookup per key says so
        self._plain: dict[str, object] = {}
        self._plan: dict[str, dict[str, list[FieldSpec]]] = {}
        for spec in self.fields:
            self._plan.setdefault(spec.root, {}).setdefault(spec.path[0], []).append(spec)

    def plain(self, raw: str) -> str | None:
        """``normaliser.value("plain", raw)``, remembered: the same user and anonymous ids
        arrive again and again. The memory is bounded by starting again when full."""
        cache = self._plain
        value = cache.get(raw, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        if len(cache) >= _PLAIN_CACHE:
            cache.clear()
        value = cache[raw] = self.normaliser.value("plain", raw)
        return value

    def json_candidates(
        self,
        event_type: str,
        traits: Mapping[str, Any],
        context: Mapping[str, Any],
        properties: Mapping[str, Any],
    ) -> list[Candidate]:
        """Identifier values in the configured fields. A group call's traits describe the
        group, not the person, so they are not read."""
        out: list[Candidate] = []
        for root, doc in (("traits", traits), ("context", context), ("properties", properties)):
            if not doc or (root == "traits" and event_type == "group"):
                continue
            for first, specs in self._plan.get(root, {}).items():
                head = doc.get(first)
                if head is None:
                    continue
                for spec in specs:
                    raw = head if len(spec.path) == 1 else get_path(head, spec.path[1:])
                    text = as_text(raw)
                    if text is not None:
                        out.append(Candidate(spec.type, spec.kind, text, spec.source))
        return out

    def identifiers(self, event: Event) -> list[Key]:
        """The event's identifiers, normalised, deduplicated, highest priority first. An
        outside signal has none: it is not the customer's own behaviour, so it founds, joins
        and merges no profile (the rebuild's scan blanks the same rows)."""
        if event.event == OUTSIDE_SIGNAL and event.type == "track":  # inline: once per event
            return []
        return self.named(event)

    def named(self, event: Event) -> list[Key]:
        """The identifiers an event names, outside signals included (a partner referral names
        the person it refers): what privacy suppression checks, never what resolves."""
        found: list[tuple[int, int, Key]] = []
        norm = self.normaliser.value
        prio = self.priority
        if event.user_id is not None and (v := self.plain(event.user_id)) is not None:
            found.append((prio[USER_ID], SOURCE_USER_ID, (USER_ID, v)))
        if event.anonymous_id is not None and (v := self.plain(event.anonymous_id)) is not None:
            found.append((prio[ANONYMOUS_ID], SOURCE_ANONYMOUS_ID, (ANONYMOUS_ID, v)))
        if event.type == "alias" and event.previous_id is not None:
            kind = self.kind_of[self.alias_type]
            if (v := norm(kind, event.previous_id)) is not None:
                found.append((prio[self.alias_type], SOURCE_PREVIOUS_ID, (self.alias_type, v)))
        if self.fields and (event.traits or event.context or event.properties):
            candidates = self.json_candidates(
                event.type, event.traits, event.context, event.properties
            )
            for c in candidates:
                if (v := norm(c.kind, c.raw)) is not None:
                    found.append((prio[c.type], c.source, (c.type, v)))
        return order_keys(found)


def order_keys(found: list[tuple[int, int, Key]]) -> list[Key]:
    """Highest priority first, then source order; each identifier once."""
    if len(found) == 1:
        return [found[0][2]]
    found.sort()  # (priority, source) is unique per value: keys are never compared
    out: list[Key] = []
    for _, _, key in found:
        if key not in out:
            out.append(key)
    return out


def profile_traits(
    event_type: str, traits: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    """The profile traits an event states: ``context.traits`` on every call, overridden by
    the call's own ``traits`` on identify (a group call's traits describe the group)."""
    ctx = context.get("traits") if context else None
    out: dict[str, Any] = dict(ctx) if isinstance(ctx, Mapping) else {}
    if event_type == "identify" and traits:
        out.update(traits)
    return out
