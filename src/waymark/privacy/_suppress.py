"""The suppression list: hashes of an erased person's identifiers, checked before events are
appended, so tracking calls from their devices do not re-create them. Only hashes are kept
(no personal data); a ``Consent Updated`` call granting consent lifts the block."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import pyarrow as pa

from waymark.core.events import AppendResult, Event
from waymark.core.ports import EventLog, LogStats
from waymark.privacy._consent import stated_consent

Identifiers = Callable[[Event], Sequence[tuple[str, str]]]
_PREFIX = b"waymark-suppress\x00"


def identifier_hash(type_: str, value: str) -> str:
    """sha256 of a normalised identifier, domain-separated from other uses of hashing."""
    return hashlib.sha256(_PREFIX + type_.encode() + b"\x00" + value.encode()).hexdigest()


class Suppression:
    """The set of suppressed hashes, shared by the log wrapper and the privacy service."""

    def __init__(self, hashes: Iterable[str] = ()) -> None:
        self._hashes = set(hashes)
        self._lock = threading.Lock()

    def add(self, hashes: Iterable[str]) -> None:
        with self._lock:
            self._hashes.update(hashes)

    def remove(self, hashes: Iterable[str]) -> None:
        with self._lock:
            self._hashes.difference_update(hashes)

    def __contains__(self, digest: object) -> bool:
        return digest in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)


class SuppressingLog:
    """``EventLog`` that drops events of suppressed people before they reach the log; dropped
    events are reported as duplicates, so the sender gets its 200 and does not retry.
    ``on_lift`` persists the hashes a renewed consent removed from the list."""

    def __init__(
        self,
        inner: EventLog,
        suppression: Suppression,
        identifiers: Identifiers,
        *,
        on_lift: Callable[[list[str]], None] = lambda _: None,
    ) -> None:
        self._inner = inner
        self._suppression = suppression
        self._identifiers = identifiers
        self._on_lift = on_lift

    def _blocked(self, event: Event) -> bool:
        digests = [identifier_hash(t, v) for t, v in self._identifiers(event)]
        hit = [d for d in digests if d in self._suppression]
        if not hit:
            return False
        if any(stated_consent(event).values()):
            self._suppression.remove(hit)
            self._on_lift(hit)
            return False
        return True

    def append(self, events: Sequence[Event], *, dedupe_all_time: bool = False) -> AppendResult:
        if not len(self._suppression):
            return self._inner.append(events, dedupe_all_time=dedupe_all_time)
        blocked = [self._blocked(e) for e in events]
        kept = [e for e, b in zip(events, blocked, strict=True) if not b]
        kept_index = [i for i, b in enumerate(blocked) if not b]
        result = self._inner.append(kept, dedupe_all_time=dedupe_all_time)
        dropped = {i for i, b in enumerate(blocked) if b}
        dropped.update(kept_index[i] for i in result.duplicate_indexes)
        return AppendResult(
            stored=result.stored,
            duplicates=len(dropped),
            first_seq=result.first_seq,
            duplicate_indexes=tuple(sorted(dropped)),
        )

    def count(self) -> int:
        return self._inner.count()

    def max_seq(self) -> int:
        return self._inner.max_seq()

    def scan(
        self, *, after_seq: int = 0, until_seq: int | None = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        return self._inner.scan(after_seq=after_seq, until_seq=until_seq, batch_rows=batch_rows)

    def events_after(self, after_seq: int, *, limit: int = 10_000) -> list[Event]:
        return self._inner.events_after(after_seq, limit=limit)

    def latest(
        self,
        *,
        user_ids: Sequence[str] = (),
        anonymous_ids: Sequence[str] = (),
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        return self._inner.latest(
            user_ids=user_ids, anonymous_ids=anonymous_ids, before=before, limit=limit
        )

    def delete(self, seqs: Sequence[int]) -> int:
        return self._inner.delete(seqs)

    def stats(self) -> LogStats:
        return self._inner.stats()

    def close(self) -> None:
        self._inner.close()
