"""Holdout membership: a deterministic function of the profile id, so it never flips."""

from __future__ import annotations

import hashlib


def holdout_point(profile_id: str, salt: str) -> float:
    """A uniform point in [0, 1) from SHA-256 of salt and profile id (stable across runs,
    machines and Python versions, unlike ``hash()``)."""
    digest = hashlib.sha256(f"{salt}\x00{profile_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def in_holdout(profile_id: str, *, share: float, salt: str) -> bool:
    return share > 0.0 and holdout_point(profile_id, salt) < share
