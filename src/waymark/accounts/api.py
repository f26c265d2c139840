"""Accounts facade: group calls attach people to accounts (companies, schools, households);
an account has traits, members with roles, a journey per model and product derived from its
members, and a buying group.

Other packages import only this module, ``contracts``, ``config`` and ``ports``.

``AccountsService`` is fed from identity (``identity.subscribe(accounts.on_resolved)``, after
journeys, so members' stages are current). It keeps every account in memory,
persists the changed ones on ``flush`` with its checkpoint, and ``rebuild`` recomputes all of
them from the log's group calls (aggregated in DuckDB) and the rebuilt journeys.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa

from waymark.accounts._derive import Deriver, StagesOf, TraitsOf
from waymark.accounts._groups import group_events, group_tables
from waymark.accounts._state import AccountState, Membership
from waymark.accounts._tables import JOURNEYS, MEMBERS, ROLES, TRAITS, from_tables, to_tables
from waymark.accounts._views import account_view, name_of, summary
from waymark.accounts.config import (
    CONFIG_FILENAME,
    AccountsConfig,
    config_for,
    load_accounts_config,
    load_accounts_text,
)
from waymark.accounts.contracts import AccountMembership, AccountPage, AccountView
from waymark.accounts.errors import AccountNotFound, UnknownModel, UnknownStage
from waymark.accounts.ports import AccountStore, AccountTables
from waymark.core.events import Event
from waymark.core.listeners import notify
from waymark.journey.contracts import JourneyModel

__all__ = [
    "CONFIG_FILENAME",
    "JOURNEYS_SCHEMA",
    "MEMBERS_SCHEMA",
    "ROLES_SCHEMA",
    "TRAITS_SCHEMA",
    "AccountStore",
    "AccountTables",
    "AccountsConfig",
    "AccountsService",
    "config_for",
    "load_accounts_config",
    "load_accounts_text",
]

log = logging.getLogger(__name__)

MEMBERS_SCHEMA = MEMBERS
TRAITS_SCHEMA = TRAITS
JOURNEYS_SCHEMA = JOURNEYS
ROLES_SCHEMA = ROLES
AccountsListener = Callable[[list[str]], None]


class AccountsService:
    """Accounts, streaming, persisted and rebuildable (a part of the pipeline's derived
    state; ``name`` for logs)."""

    name = "accounts"

    def __init__(
        self,
        config: AccountsConfig,
        models: Sequence[JourneyModel],
        *,
        stages_of: StagesOf,
        traits_of: TraitsOf,
        store: AccountStore | None = None,
    ) -> None:
        self.config = config
        self._deriver = Deriver(config, models, stages_of=stages_of, traits_of=traits_of)
        self._store = store
        self._lock = threading.RLock()
        self._flushing = threading.Lock()
        self._listeners: list[AccountsListener] = []
        self._accounts: dict[str, AccountState] = {}
        self._of: dict[str, set[str]] = {}
        self._unsaved: set[str] = set()
        self._checkpoint = 0
        if store is not None:
            self._checkpoint = store.checkpoint()
            self._replace(from_tables(store.load()))
        self._saved = self._checkpoint

    @property
    def models(self) -> tuple[JourneyModel, ...]:
        return self._deriver.models

    # -- the contract other features use ----------------------------------------------------------

    def accounts_of(self, profile_id: str) -> list[str]:
        """The accounts a person belongs to (memberships follow identity merges)."""
        with self._lock:
            return sorted(self._of.get(profile_id, ()))

    def member_ids(self, account_id: str) -> list[str]:
        """The profile ids of an account's members (empty for an unknown account)."""
        with self._lock:
            state = self._accounts.get(account_id)
            return sorted(state.members) if state else []

    def account_traits(self, account_id: str) -> dict[str, object]:
        """The account's traits: each key's latest value from its group calls."""
        with self._lock:
            state = self._accounts.get(account_id)
            return {k: v for k, (v, _, _) in sorted(state.traits.items())} if state else {}

    def account_stage(self, account_id: str, model: str, product: str) -> str | None:
        """The account's current stage on a model for a product, as its configured rule
        (furthest, majority, role) derives it; None when it has none there."""
        with self._lock:
            state = self._accounts.get(account_id)
            history = None if state is None else state.journeys.get((model, product))
            return history[-1].to_stage if history else None

    def memberships_of(self, profile_id: str) -> list[AccountMembership]:
        """The accounts a person belongs to with their role and when they joined (the
        person's data export)."""
        with self._lock:
            out: list[AccountMembership] = []
            for account_id in sorted(self._of.get(profile_id, ())):
                state = self._accounts[account_id]
                role = self._deriver.role_of(profile_id, state.members[profile_id])
                out.append(
                    AccountMembership(
                        account_id=account_id,
                        name=name_of(state, "name"),
                        role=role,
                        joined_at=state.members[profile_id].joined_at,
                    )
                )
            return out

    def subscribe(self, listener: AccountsListener) -> None:
        """Call ``listener(account_ids)`` when accounts' membership or stage changed."""
        self._listeners.append(listener)

    # -- streaming ------------------------------------------------------------------------------

    def on_resolved(self, events: Sequence[Event], resolution: Any) -> None:
        """Identity's listener (see ``JourneyService.on_resolved``): merges move memberships,
        group calls attach people and set account traits, and the accounts of everyone the
        events placed are re-derived: a member's event may move their stage, rewrite their
        history (a late event) or change their role (a new title; a role a group call states
        holds from that call's time on)."""
        with self._lock:
            touched: set[str] = set()
            grouped: set[str] = set()
            for merge in resolution.merges:
                if merge.profile_id and merge.other_id:
                    moved = self._merge(merge.profile_id, merge.other_id)
                    touched |= moved
                    grouped |= moved
            for event, pid in zip(events, resolution.final_profile_ids, strict=True):
                if pid is None:
                    continue
                fresh = event.seq > self._checkpoint or event.seq == 0
                grouping = event.type == "group" and event.group_id and fresh
                if grouping and self._group(event, pid):
                    grouped.add(str(event.group_id))
                touched |= self._of.get(pid, set())
            changed = self._refresh(touched, members_changed=grouped)
            if events:
                self._checkpoint = max(self._checkpoint, *(e.seq for e in events))
        self._notify(changed)

    def _group(self, event: Event, profile_id: str) -> bool:
        """Apply a group call; True when the membership is new or changed."""
        account_id = str(event.group_id)
        state = self._accounts.setdefault(account_id, AccountState())
        stamp = (event.timestamp, event.seq)
        role = self._deriver.roles.group_value(event.traits)
        joined = state.join(
            profile_id,
            Membership(joined_at=event.timestamp, roles=[] if role is None else [(stamp, role)]),
        )
        state.set_traits(event.traits, stamp, skip=self.config.roles.group_keys)
        self._of.setdefault(profile_id, set()).add(account_id)
        self._unsaved.add(account_id)
        return joined

    def _merge(self, survivor: str, absorbed: str) -> set[str]:
        moved = self._of.pop(absorbed, set())
        for account_id in moved:
            state = self._accounts[account_id]
            state.join(survivor, state.members.pop(absorbed))
            self._unsaved.add(account_id)
        if moved:
            self._of.setdefault(survivor, set()).update(moved)
        return moved

    def _refresh(self, account_ids: Iterable[str], *, members_changed: set[str]) -> list[str]:
        """Re-derive accounts' journeys; the ids whose membership or journeys changed."""
        changed: list[str] = []
        for account_id in sorted(account_ids):
            state = self._accounts[account_id]
            journeys = self._deriver.journeys(state)
            if journeys != state.journeys:
                state.journeys = journeys
                self._unsaved.add(account_id)
                changed.append(account_id)
            elif account_id in members_changed:
                changed.append(account_id)
        return changed

    def _notify(self, account_ids: list[str]) -> None:
        notify(self._listeners, account_ids, log=log, failed="an accounts listener failed")

    # -- the pipeline's processor protocol ------------------------------------------------------

    def checkpoint(self) -> int:
        return self._checkpoint

    def flush(self) -> None:
        """Persist the accounts changed since the last flush, with the checkpoint."""
        if self._store is None:
            return
        with self._flushing:
            with self._lock:
                if not self._unsaved and self._checkpoint == self._saved:
                    return
                ids = sorted(self._unsaved)
                tables = to_tables({a: self._accounts[a] for a in ids})
                checkpoint = self._checkpoint
                self._unsaved.clear()
            self._store.save(accounts=ids, tables=tables, checkpoint=checkpoint)
            self._saved = checkpoint

    # -- batch ----------------------------------------------------------------------------------

    def rebuild(
        self, batches: Iterable[tuple[pa.RecordBatch, pa.Array]], *, checkpoint: int
    ) -> int:
        """Recompute every account from the log (batches with each event's final profile,
        after identity and journeys are rebuilt); returns the number of accounts."""
        groups = group_events(batches)
        accounts = from_tables(group_tables(groups, self.config.roles.group_keys))
        for state in accounts.values():
            state.journeys = self._deriver.journeys(state)
        with self._lock:
            if self._store is not None:
                self._store.replace_all(to_tables(accounts), checkpoint=checkpoint)
            self._replace(accounts)
            self._checkpoint = self._saved = checkpoint
            self._unsaved.clear()
        return len(accounts)

    def _replace(self, accounts: dict[str, AccountState]) -> None:
        self._accounts = accounts
        self._of = {}
        for account_id, state in accounts.items():
            for pid in state.members:
                self._of.setdefault(pid, set()).add(account_id)

    # -- reading ----------------------------------------------------------------------------------

    def account(self, account_id: str) -> AccountView:
        with self._lock:
            state = self._accounts.get(account_id)
            if state is None:
                raise AccountNotFound(f"no account {account_id!r}")
            return account_view(account_id, state, self._deriver)

    def page(
        self,
        *,
        model: str | None = None,
        product: str | None = None,
        stage: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> AccountPage:
        """Accounts by id; with ``stage`` (and optionally ``product``/``model``, the first
        running model by default) only those whose account stage is that."""
        name = self._model_name(model)
        stages = self._deriver.order(name)
        if stage is not None and stage not in stages:
            raise UnknownStage(
                f"{stage!r} is not a stage of {name}; stages: {', '.join(stages)}", field="stage"
            )
        with self._lock:
            rows = []
            for account_id, state in sorted(self._accounts.items()):
                current = {
                    p: h[-1].to_stage
                    for (m, p), h in sorted(state.journeys.items())
                    if m == name and (product is None or p == product)
                }
                if stage is not None and stage not in current.values():
                    continue
                if stage is None and product is not None and not current:
                    continue
                shown = stage if stage is not None else next(iter(current.values()), None)
                rows.append(summary(account_id, state, shown if product or stage else None))
        return AccountPage(
            total=len(rows),
            offset=offset,
            limit=limit,
            accounts=tuple(rows[offset : offset + limit]),
        )

    def _model_name(self, model: str | None) -> str:
        names = [m.name for m in self.models]
        if model is None and names:
            return names[0]
        if model not in names:
            raise UnknownModel(f"no journey model {model!r}; running: {', '.join(names)}")
        return model

    def stage_table(self, model: str) -> pa.Table:
        """Every account journey on a model, for reports: ``account_id``, ``product``,
        ``stage`` (now) and ``furthest`` (the furthest stage it has been at)."""
        order = self._deriver.order(self._model_name(model))
        with self._lock:
            rows = sorted(
                (a, p, h[-1].to_stage, max((t.to_stage for t in h), key=order.__getitem__))
                for a, s in self._accounts.items()
                for (m, p), h in s.journeys.items()
                if m == model
            )
        columns = ("account_id", "product", "stage", "furthest")
        return pa.table(
            {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)}
        )

    def memberships(self) -> list[tuple[str, str]]:
        """Every (profile_id, account_id) (for reports' account breakdowns)."""
        with self._lock:
            return sorted((p, a) for p, ids in self._of.items() for a in ids)
