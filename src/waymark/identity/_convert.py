"""Internal profile state to the ``Profile`` contract (the one converter, used for the live
state and for state read back from the store)."""

from __future__ import annotations

from collections.abc import Mapping

from waymark.identity import _traits
from waymark.identity._engine import from_micros
from waymark.identity._extract import Key
from waymark.identity._graph import ProfileState
from waymark.identity.contracts import Identity, Profile


def to_profile(
    node: ProfileState, seen: Mapping[Key, list[int]], priority: Mapping[str, int]
) -> Profile:
    identities = []
    for key in node.keys:
        first, last = seen[key]
        identities.append((priority.get(key[0], len(priority)), first, key[1], key[0], last))
    identities.sort()
    traits = _traits.render(node.traits, from_micros)
    return Profile(
        id=node.pid,
        identities=tuple(
            Identity(type=t, value=v, first_seen=from_micros(f), last_seen=from_micros(la))
            for _, f, v, t, la in identities
        ),
        traits=traits,
        first_seen=None if node.first_us is None else from_micros(node.first_us),
        last_seen=None if node.last_us is None else from_micros(node.last_us),
        event_count=node.event_count,
        channels=tuple(sorted(node.channels)),
        consent=_traits.consent_of(traits),
        merged_ids=tuple(sorted(node.merged)),
    )
