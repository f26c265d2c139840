"""What the API, CLI and dashboard read about an account: members with roles and stages,
journeys with history, and the buying group (members by stage, roles missing)."""

from __future__ import annotations

from collections.abc import Sequence

from waymark.accounts._derive import Deriver
from waymark.accounts._state import AccountState
from waymark.accounts.contracts import (
    AccountJourney,
    AccountSummary,
    AccountView,
    BuyingGroup,
    Member,
    MemberStage,
    StageMembers,
)
from waymark.journey.contracts import JourneyState


def name_of(state: AccountState, key: str) -> str | None:
    value = state.traits.get(key)
    return value[0] if value is not None and isinstance(value[0], str) else None


def summary(account_id: str, state: AccountState, stage: str | None = None) -> AccountSummary:
    return AccountSummary(
        id=account_id,
        name=name_of(state, "name"),
        kind=name_of(state, "kind"),
        members=len(state.members),
        stage=stage,
    )


def account_view(account_id: str, state: AccountState, deriver: Deriver) -> AccountView:
    roles = deriver.roles_of(state)
    stages = {pid: list(deriver.stages_of(pid)) for pid in state.members}
    members = tuple(
        Member(
            profile_id=pid,
            role=roles[pid],
            joined_at=m.joined_at,
            stages=tuple(
                MemberStage(model=s.model, product=s.product, stage=s.stage) for s in stages[pid]
            ),
        )
        for pid, m in sorted(state.members.items())
    )
    journeys: list[AccountJourney] = []
    groups: list[BuyingGroup] = []
    for model in deriver.models:
        settings = deriver.config.for_model(model.name)
        for (name, product), history in sorted(state.journeys.items()):
            if name != model.name:
                continue
            journeys.append(
                AccountJourney(
                    model=name,
                    product=product,
                    stage=history[-1].to_stage,
                    entered_at=history[-1].at,
                    rule=settings.rule.label,
                    history=history,
                )
            )
            groups.append(
                buying_group(
                    name,
                    product,
                    history[-1].to_stage,
                    stage_names=[s.name for s in model.stages],
                    needs=settings.buying_group,
                    roles=roles,
                    stages=stages,
                )
            )
    return AccountView(
        id=account_id,
        name=name_of(state, "name"),
        kind=name_of(state, "kind"),
        traits={k: v for k, (v, _, _) in sorted(state.traits.items())},
        members=members,
        journeys=tuple(journeys),
        buying_groups=tuple(groups),
    )


def buying_group(
    model: str,
    product: str,
    stage: str,
    *,
    stage_names: Sequence[str],
    needs: Sequence[tuple[str, tuple[str, ...]]],
    roles: dict[str, str | None],
    stages: dict[str, list[JourneyState]],
) -> BuyingGroup:
    """Members of the product's journey by their stage; a role is missing at a stage when the
    configuration needs it there and no member involved in the product holds it."""
    at: dict[str, list[str]] = {}
    for pid, states in stages.items():
        for s in states:
            if s.model == model and s.product == product:
                at.setdefault(s.stage, []).append(pid)
    involved = {roles[pid] for pids in at.values() for pid in pids}
    needed = dict(needs)
    rows = tuple(
        StageMembers(
            stage=name,
            members=tuple(sorted(at.get(name, ()))),
            roles=tuple(sorted({r for pid in at.get(name, ()) if (r := roles[pid]) is not None})),
            needed=needed.get(name, ()),
            missing=tuple(r for r in needed.get(name, ()) if r not in involved),
        )
        for name in stage_names
        if name in at or name in needed
    )
    return BuyingGroup(
        model=model,
        product=product,
        stage=stage,
        stages=rows,
        missing=tuple(r for r in needed.get(stage, ()) if r not in involved),
    )
