"""A reference identity store in memory: the port's contract in its plainest form (Arrow
tables and filters), the second backend ``tests/identity/test_store.py`` runs against."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from waymark.identity.ports import Snapshot


class MemoryProfileStore:
    def __init__(self) -> None:
        self._state = Snapshot.empty()
        self._checkpoint = 0
        self._lock = threading.Lock()

    def checkpoint(self) -> int:
        return self._checkpoint

    def load(self) -> Snapshot:
        return self._state

    def save(self, changes: Snapshot, *, removed: Sequence[str], checkpoint: int) -> None:
        ids = pa.concat_arrays(
            [
                changes.profiles.column("profile_id").combine_chunks(),
                pa.array(list(removed), pa.string()),
            ]
        )
        with self._lock:
            s = self._state

            def keep(table: pa.Table) -> pa.Table:
                return table.filter(pc.invert(pc.is_in(table.column("profile_id"), ids)))

            self._state = Snapshot(
                pa.concat_tables([keep(s.profiles), changes.profiles]),
                pa.concat_tables([keep(s.identifiers), changes.identifiers]),
                pa.concat_tables([keep(s.aliases), changes.aliases]),
                pa.concat_tables([s.merges, changes.merges]),
            )
            self._checkpoint = checkpoint

    def replace(self, snapshot: Snapshot, *, checkpoint: int) -> None:
        with self._lock:
            self._state = snapshot
            self._checkpoint = checkpoint

    def find(self, type: str, value: str) -> str | None:
        i = self._state.identifiers
        hit = i.filter(
            pc.and_(pc.equal(i.column("type"), type), pc.equal(i.column("value"), value))
        )
        return str(hit.column("profile_id")[0].as_py()) if hit.num_rows else None

    def canonical(self, profile_id: str) -> str | None:
        s = self._state
        if pc.any(pc.equal(s.profiles.column("profile_id"), profile_id)).as_py():
            return profile_id
        hit = s.aliases.filter(pc.equal(s.aliases.column("absorbed_id"), profile_id))
        return str(hit.column("profile_id")[0].as_py()) if hit.num_rows else None

    def profile_rows(self, profile_id: str) -> Snapshot:
        s = self._state
        profiles = s.profiles.filter(pc.equal(s.profiles.column("profile_id"), profile_id))
        if profiles.num_rows == 0:
            return Snapshot.empty()
        ids = pa.array([profile_id, *(profiles.column("merged_ids")[0].as_py() or [])])
        m = s.merges
        named = pc.or_(
            pc.fill_null(pc.is_in(m.column("profile_id"), ids), False),
            pc.fill_null(pc.is_in(m.column("other_id"), ids), False),
        )
        return Snapshot(
            profiles,
            s.identifiers.filter(pc.equal(s.identifiers.column("profile_id"), profile_id)),
            s.aliases.filter(pc.equal(s.aliases.column("profile_id"), profile_id)),
            m.filter(named).sort_by([("pos", "ascending")]),
        )

    def search_candidates(self, query: str, limit: int) -> list[str]:
        q = query.lower()
        s = self._state
        by_id = s.identifiers.filter(
            pc.starts_with(pc.utf8_lower(s.identifiers.column("value")), q)
        )
        by_trait = s.profiles.filter(
            pc.fill_null(pc.match_substring(pc.utf8_lower(s.profiles.column("traits")), q), False)
        )
        found = set(by_id.column("profile_id").to_pylist()) | set(
            by_trait.column("profile_id").to_pylist()
        )
        return sorted(found)[:limit]

    def close(self) -> None:
        """Nothing to release."""
