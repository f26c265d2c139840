"""A reference privacy store in memory: the port's contract in its plainest form, the second
backend ``tests/store/test_privacy_store.py`` runs against. ``tables`` stands for the other
features' stores the sweep searches (rows as dicts); nothing persists, so ``scrub`` has
nothing to overwrite."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from waymark.privacy.contracts import PrivacyRequest, RequestStatus

_NOT_BEFORE = "privacy_links_not_before"


def _names(value: object, needles: set[str], quoted: list[str]) -> bool:
    """A whole text value equal to a needle, or one holding it as a quoted JSON string."""
    if not isinstance(value, str):
        return False
    return value in needles or any(q in value for q in quoted)


class MemoryPrivacyStore:
    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.tables = tables if tables is not None else {}
        self._requests: dict[str, PrivacyRequest] = {}
        self._suppressed: set[str] = set()
        self._revoked: set[str] = set()
        self._not_before: dict[str, datetime] = {}
        self._lock = threading.Lock()

    # -- request log ---------------------------------------------------------------------------

    def save_request(self, request: PrivacyRequest) -> None:
        with self._lock:
            self._requests[request.id] = request

    def request(self, request_id: str) -> PrivacyRequest | None:
        return self._requests.get(request_id)

    def requests(
        self, *, status: RequestStatus | None = None, limit: int | None = 100
    ) -> list[PrivacyRequest]:
        with self._lock:
            found = [r for r in self._requests.values() if status is None or r.status == status]
        found.sort(key=lambda r: r.id)
        found.sort(key=lambda r: r.received_at, reverse=True)
        return found if limit is None else found[:limit]

    # -- suppression ---------------------------------------------------------------------------

    def suppressed(self) -> list[str]:
        return sorted(self._suppressed)

    def suppress(self, hashes: Sequence[str]) -> None:
        with self._lock:
            self._suppressed.update(hashes)

    def unsuppress(self, hashes: Sequence[str]) -> None:
        with self._lock:
            self._suppressed.difference_update(hashes)

    # -- the sweep -----------------------------------------------------------------------------

    def _matching(self, needles: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        wanted, quoted = set(needles), [json.dumps(n) for n in needles]
        found: dict[str, list[dict[str, Any]]] = {}
        for table, rows in self.tables.items():
            hits = [r for r in rows if any(_names(v, wanted, quoted) for v in r.values())]
            if hits:
                found[table] = hits
        return found

    def records(self, needles: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not needles:
            return {}
        with self._lock:
            return {t: [dict(r) for r in rows] for t, rows in self._matching(needles).items()}

    def erase(self, needles: Sequence[str]) -> dict[str, int]:
        if not needles:
            return {}
        counts: dict[str, int] = {}
        with self._lock:
            for table, hits in self._matching(needles).items():
                gone = {id(r) for r in hits}
                self.tables[table][:] = [r for r in self.tables[table] if id(r) not in gone]
                counts[table] = len(hits)
            dropped = [p for p in self._not_before if p in set(needles)]
            for profile_id in dropped:
                del self._not_before[profile_id]
            if dropped:
                counts[_NOT_BEFORE] = len(dropped)
        return counts

    def scrub(self) -> None:
        """Nothing to overwrite: erased rows are gone with the objects that held them."""

    # -- preference-centre links ---------------------------------------------------------------

    def revoke_link(self, token_id: str, *, at: datetime) -> None:
        with self._lock:
            self._revoked.add(token_id)

    def link_revoked(self, token_id: str) -> bool:
        return token_id in self._revoked

    def set_links_not_before(self, profile_id: str, at: datetime) -> None:
        with self._lock:
            self._not_before[profile_id] = at

    def links_not_before(self, profile_id: str) -> datetime | None:
        return self._not_before.get(profile_id)
