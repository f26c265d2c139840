"""An account's journeys from its members: their roles over time, each member's own stage
changes per model and product, and the model's rule (``_rules``). The same for streaming and
rebuild.

A role a group call states holds from that call's time on; a role from the person's traits
(their title) is the person's current one, for the whole history: identity keeps each trait's
latest value, not when each value began."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from waymark.accounts._roles import RoleMapper
from waymark.accounts._rules import MemberTimeline, account_history
from waymark.accounts._state import AccountState, Membership
from waymark.accounts.config import AccountsConfig
from waymark.accounts.contracts import AccountTransition
from waymark.journey.contracts import JourneyModel, JourneyState

StagesOf = Callable[[str], Sequence[JourneyState]]
"""A profile's journeys (``JourneyService.states``)."""
TraitsOf = Callable[[str], Mapping[str, Any]]
"""A profile's trait values (from identity)."""
Changes = dict[tuple[str, str], list[tuple[datetime, str]]]


def changes_of(states: Sequence[JourneyState]) -> Changes:
    """(model, product) -> the profile's stage changes ``(at, to_stage)`` in order."""
    return {(s.model, s.product): [(t.at, t.to_stage) for t in s.history] for s in states}


class Deriver:
    def __init__(
        self,
        config: AccountsConfig,
        models: Sequence[JourneyModel],
        *,
        stages_of: StagesOf,
        traits_of: TraitsOf,
    ) -> None:
        self.config = config
        self.models = tuple(models)
        self.roles = RoleMapper(config.roles)
        self.stages_of = stages_of
        self.traits_of = traits_of
        self._orders = {m.name: {s.name: i for i, s in enumerate(m.stages)} for m in self.models}

    def order(self, model: str) -> Mapping[str, int]:
        return self._orders[model]

    def role_of(self, profile_id: str, membership: Membership) -> str | None:
        """The member's role now."""
        return self.roles.role(membership.group_role, self.traits_of(profile_id))

    def roles_of(self, state: AccountState) -> dict[str, str | None]:
        return {pid: self.role_of(pid, m) for pid, m in state.members.items()}

    def role_timeline(
        self, profile_id: str, membership: Membership
    ) -> tuple[str | None, list[tuple[datetime, str | None]]]:
        """The member's role before any group call stated one, and its changes ``(at, role)``
        from the roles their group calls stated."""
        person = self.traits_of(profile_id)
        first = self.roles.role(None, person)
        changes: list[tuple[datetime, str | None]] = []
        for at, stated in membership.group_roles():
            role = self.roles.role(stated, person)
            if role != (changes[-1][1] if changes else first):
                changes.append((at, role))
        return first, changes

    def journeys(self, state: AccountState) -> dict[tuple[str, str], tuple[AccountTransition, ...]]:
        roles = {pid: self.role_timeline(pid, m) for pid, m in state.members.items()}
        changes = {pid: changes_of(self.stages_of(pid)) for pid in state.members}
        out: dict[tuple[str, str], tuple[AccountTransition, ...]] = {}
        for model in self.models:
            rule = self.config.for_model(model.name).rule
            products = sorted(
                {p for c in changes.values() for (name, p) in c if name == model.name}
            )
            for product in products:
                key = (model.name, product)
                timelines = [
                    MemberTimeline(roles[pid][0], m.joined_at, changes[pid][key], roles[pid][1])
                    for pid, m in state.members.items()
                    if key in changes[pid]
                ]
                history = account_history(rule, self._orders[model.name], timelines)
                if history:
                    out[key] = history
        return out
