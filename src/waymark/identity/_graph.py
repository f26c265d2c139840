"""The identity graph's incremental rules: one event at a time, first come first served.

For one event, its identifiers (highest priority first) are taken in turn into a group:
- a new identifier joins the group unless the group would then hold more values of its type
  than the type's limit;
- a known identifier brings its profile into the group unless the group plus that profile
  would exceed a limit (two different user_ids, six emails, ...).
An identifier that does not fit is dropped from the event and the refusal is recorded; since
identifiers are taken in priority order, the dropped one is always the lowest-priority one
that offends. Then the profiles in the group merge: the oldest (created by the earliest
event) survives and keeps its id, the others are absorbed and their ids resolve to it. New
identifiers join the survivor; with no profile in the group they found a new profile whose id
is derived from its highest-priority identifier (``profile_id_for``), so ids are stable and
the same from streaming and from a rebuild.

Refusals are permanent: profiles only gain identifiers, so a group that would exceed a limit
now would exceed it later too. That is what lets the rebuild accept every component of the
link graph that is within all limits as one profile without replaying it.
"""

from __future__ import annotations

import hashlib

from waymark.identity import _traits
from waymark.identity._extract import Key


def profile_id_for(key: Key) -> str:
    """The id of a profile founded by ``key`` (a deterministic hash, so it does not leak
    the identifier)."""
    digest = hashlib.blake2b(f"{key[0]}\x1f{key[1]}".encode(), digest_size=10)
    return "p_" + digest.hexdigest()


class ProfileState:
    """One live profile: its identifiers and what its events said (mutable, internal)."""

    __slots__ = (
        "channels",
        "counts",
        "created",
        "event_count",
        "first_us",
        "keys",
        "last_us",
        "merged",
        "pid",
        "traits",
    )

    def __init__(self, pid: str, created: int) -> None:
        self.pid = pid
        self.created = created
        """Seq of the event that founded the profile: the oldest profile survives a merge."""
        self.keys: list[Key] = []
        self.counts: dict[str, int] = {}
        self.merged: list[str] = []
        self.event_count = 0
        self.first_us: int | None = None
        self.last_us: int | None = None
        self.channels: set[str] = set()
        self.traits: _traits.TraitSummary = {}

    def absorb_stats(self, other: ProfileState, keep_traits: int) -> None:
        self.event_count += other.event_count
        if other.first_us is not None and (self.first_us is None or other.first_us < self.first_us):
            self.first_us = other.first_us
        if other.last_us is not None and (self.last_us is None or other.last_us > self.last_us):
            self.last_us = other.last_us
        self.channels |= other.channels
        _traits.merge(self.traits, other.traits, keep_traits)


class Merge(tuple[str, str, Key]):
    """(survivor id, absorbed id, the identifier that linked them)."""

    __slots__ = ()


class Refusal(tuple[Key, str | None, str]):
    """(dropped identifier, id of the profile it belongs to or None when new, type over limit)."""

    __slots__ = ()


class Graph:
    """Identifier ownership and profile lineage. Not thread-safe; the facade serialises."""

    def __init__(self, types: list[str], limits: dict[str, int], keep_traits: int) -> None:
        self.types = types
        """Type names, highest priority first (refusal reasons name the first offender)."""
        self.limits = limits
        self.keep_traits = keep_traits
        self.owner: dict[Key, ProfileState] = {}
        self.profiles: dict[str, ProfileState] = {}
        self.alias: dict[str, str] = {}
        """Absorbed id -> the id that absorbed it (follow to a live profile)."""

    def canonical(self, pid: str) -> str | None:
        """The live profile ``pid`` resolves to (itself, or its survivor), or None."""
        profiles, alias = self.profiles, self.alias
        if pid in profiles:
            return pid
        root = alias.get(pid)
        if root is None:
            return None
        while root not in profiles:
            root = alias[root]
        while pid != root:  # path compression: later lookups take one hop
            nxt = alias[pid]
            alias[pid] = root
            pid = nxt
        return root

    def step(
        self, keys: list[Key], seq: int
    ) -> tuple[ProfileState | None, list[Key], list[Merge], list[Refusal]]:
        """Apply one event's identifiers. Returns the profile the event belongs to, the
        identifiers kept, the merges (oldest absorbed first) and the refusals."""
        owner = self.owner
        if keys:  # the common case: every identifier already in the same profile
            node = owner.get(keys[0])
            if node is not None:
                for key in keys[1:]:
                    if owner.get(key) is not node:
                        break
                else:
                    return node, keys, [], []
        limits = self.limits
        group: list[ProfileState] = []
        via: list[Key] = []
        pending: list[Key] = []
        kept: list[Key] = []
        counts: dict[str, int] = {}
        refusals: list[Refusal] = []
        for key in keys:
            node = owner.get(key)
            if node is None:
                t = key[0]
                n = counts.get(t, 0) + 1
                if n > limits[t]:
                    refusals.append(Refusal((key, None, t)))
                    continue
                counts[t] = n
                pending.append(key)
                kept.append(key)
                continue
            if any(node is g for g in group):
                kept.append(key)
                continue
            over = self._over_limit(counts, node.counts)
            if over is not None:
                refusals.append(Refusal((key, node.pid, over)))
                continue
            group.append(node)
            via.append(key)
            kept.append(key)
            for t, n in node.counts.items():
                counts[t] = counts.get(t, 0) + n
        merges: list[Merge] = []
        if group:
            order = sorted(range(len(group)), key=lambda i: group[i].created)
            node = group[order[0]]
            for i in order[1:]:
                merges.append(Merge((node.pid, group[i].pid, via[i])))
                node = self._merge(node, group[i])
        elif pending:
            pid = profile_id_for(pending[0])
            node = ProfileState(pid, seq)
            self.profiles[pid] = node
        else:
            return None, kept, merges, refusals
        for key in pending:
            owner[key] = node
            node.keys.append(key)
            node.counts[key[0]] = node.counts.get(key[0], 0) + 1
        return node, kept, merges, refusals

    def _over_limit(self, group: dict[str, int], other: dict[str, int]) -> str | None:
        limits = self.limits
        for t in self.types:
            n = other.get(t)
            if n and group.get(t, 0) + n > limits[t]:
                return t
        return None

    def _merge(self, keep: ProfileState, gone: ProfileState) -> ProfileState:
        """Absorb ``gone`` into ``keep``; the larger object holds the result (so each
        identifier is re-pointed O(log n) times) under ``keep``'s id."""
        keep_pid, gone_pid = keep.pid, gone.pid
        big, small = (keep, gone) if len(keep.keys) >= len(gone.keys) else (gone, keep)
        owner = self.owner
        for key in small.keys:
            owner[key] = big
        big.keys.extend(small.keys)
        for t, n in small.counts.items():
            big.counts[t] = big.counts.get(t, 0) + n
        big.absorb_stats(small, self.keep_traits)
        a, b = keep.merged, gone.merged
        if len(a) < len(b):
            a, b = b, a
        a.append(gone_pid)
        a.extend(b)
        big.merged = a
        self.alias[gone_pid] = keep_pid
        big.pid, big.created = keep_pid, keep.created
        del self.profiles[gone_pid]
        self.profiles[keep_pid] = big
        return big
