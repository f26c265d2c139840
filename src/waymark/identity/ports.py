"""What identity needs from storage. ``waymark.store.duckdb.identity`` implements it (and
``waymark.store.memory.identity`` as the reference); ``tests/identity/test_store.py`` holds
every backend to this contract.

State crosses the port as Arrow tables with the schemas in ``SCHEMAS`` (built and read by
``waymark.identity._snapshot``), so no storage row or connection leaves the adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple, Protocol, runtime_checkable

import pyarrow as pa

_TS = pa.timestamp("us")

PROFILES: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("created_seq", pa.int64(), nullable=False),
        pa.field("event_count", pa.int64(), nullable=False),
        pa.field("first_seen", _TS),
        pa.field("last_seen", _TS),
        pa.field("channels", pa.list_(pa.string())),
        pa.field("traits", pa.string()),
        pa.field("merged_ids", pa.list_(pa.string())),
    ]
)
IDENTIFIERS: Final = pa.schema(
    [
        pa.field("type", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("first_seen", _TS, nullable=False),
        pa.field("last_seen", _TS, nullable=False),
    ]
)
ALIASES: Final = pa.schema(
    [
        pa.field("absorbed_id", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
    ]
)
MERGES: Final = pa.schema(
    [
        pa.field("pos", pa.int64(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("profile_id", pa.string()),
        pa.field("other_id", pa.string()),
        pa.field("identifier_type", pa.string(), nullable=False),
        pa.field("identifier_value", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
    ]
)


class Snapshot(NamedTuple):
    """Identity state (or part of it) as tables with the schemas above."""

    profiles: pa.Table
    identifiers: pa.Table
    aliases: pa.Table
    merges: pa.Table

    @classmethod
    def empty(cls) -> Snapshot:
        return cls(
            PROFILES.empty_table(),
            IDENTIFIERS.empty_table(),
            ALIASES.empty_table(),
            MERGES.empty_table(),
        )


@runtime_checkable
class ProfileStore(Protocol):
    """Durable identity state.

    Contract every backend keeps:
    - ``save`` and ``replace`` are atomic: all of the change and the checkpoint, or none.
    - A profile is stored whole: saving a profile replaces its row, identifiers and aliases.
    - The merge log is append-only (``replace`` starts it again).
    """

    def checkpoint(self) -> int:
        """The last event seq the stored state includes (0 when empty)."""
        ...

    def load(self) -> Snapshot:
        """Everything stored."""
        ...

    def save(self, changes: Snapshot, *, removed: Sequence[str], checkpoint: int) -> None:
        """Replace the profiles in ``changes.profiles`` (row, identifiers, aliases), delete
        the ``removed`` profile ids, append ``changes.merges``, set the checkpoint."""
        ...

    def replace(self, snapshot: Snapshot, *, checkpoint: int) -> None:
        """Drop everything and store ``snapshot`` (after a rebuild)."""
        ...

    def find(self, type: str, value: str) -> str | None:
        """The profile holding an identifier."""
        ...

    def canonical(self, profile_id: str) -> str | None:
        """The stored profile an id resolves to (itself, or the one that absorbed it)."""
        ...

    def profile_rows(self, profile_id: str) -> Snapshot:
        """A live profile's row, identifiers and aliases, and the merge-log entries that name
        it or any profile it absorbed."""
        ...

    def search_candidates(self, query: str, limit: int) -> list[str]:
        """Profile ids that may match ``query`` (lower-cased): an identifier value starting
        with it, or stored traits containing it. May return more than match; the caller
        filters."""
        ...

    def close(self) -> None: ...
