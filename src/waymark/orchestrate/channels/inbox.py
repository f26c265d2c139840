"""The in-app / web inbox: messages kept per profile in the store, fetched by the website or
app (``GET /api/v1/profiles/{id}/inbox``). Delivery is one idempotent write per batch, so an
inbox message is never shown twice even when its step runs again after a crash."""

from __future__ import annotations

from collections.abc import Sequence

from waymark.core.clock import Clock
from waymark.core.errors import DeliveryError, StorageError
from waymark.orchestrate.channels._base import DELIVERED, Outgoing, Result
from waymark.orchestrate.ports import FlowStore, InboxRow


class InboxChannel:
    """A ``Channel`` without sessions: the whole batch is one store transaction."""

    name = "inbox"

    def __init__(self, store: FlowStore, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def unavailable(self) -> str | None:
        return None

    def send_batch(self, items: Sequence[Outgoing]) -> list[Result]:
        now = self._clock.now()
        rows = [
            InboxRow(
                message_id=item.key,
                profile_id=item.profile_id,
                flow_id=item.flow_id,
                title=str(item.payload.get("title") or ""),
                body=str(item.payload.get("body") or ""),
                url=item.payload.get("url") or None,
                created_at=now,
            )
            for item in items
        ]
        try:
            self._store.inbox_add(rows)
        except StorageError as exc:
            failed = DeliveryError(f"inbox write failed: {exc}")
            return [Result(ok=False, transient=True, reason=failed.message) for _ in items]
        return [DELIVERED for _ in items]
