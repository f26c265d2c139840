"""What lead scoring needs from outside: account membership (the accounts feature's facade
satisfies ``Memberships``) and storage for its derived state (``ScoreStore``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pyarrow as pa


class Memberships(Protocol):
    """The part of ``waymark.accounts.api.AccountsService`` scoring reads."""

    def accounts_of(self, profile_id: str) -> list[str]: ...

    def member_ids(self, account_id: str) -> list[str]: ...

    def account_traits(self, account_id: str) -> dict[str, object]: ...

    def account_stage(self, account_id: str, model: str, product: str) -> str | None:
        """The account's current stage, derived by its configured rule; None if it has none."""
        ...

    def subscribe(self, listener: Callable[[list[str]], None]) -> None: ...


class ScoreStore(Protocol):
    """Engagement state per person (``SCORES_SCHEMA``) and the last label of every subject
    (``LABELS_SCHEMA``), with the log seq they reflect."""

    def checkpoint(self) -> int: ...

    def load(self) -> tuple[pa.Table, pa.Table]:
        """(scores, labels): everything stored."""
        ...

    def save(
        self, *, profiles: Sequence[str], scores: pa.Table, labels: pa.Table, checkpoint: int
    ) -> None:
        """Replace the score rows of ``profiles`` with ``scores`` and upsert ``labels`` by
        (subject, id, model, product), atomically with the checkpoint."""
        ...

    def replace_all(self, *, scores: pa.Table, labels: pa.Table, checkpoint: int) -> None: ...
