"""An account's stage from its members' stages: the configured rule at one moment, and the
history that follows from the members' own histories. Pure functions (no state, no I/O), the
same for streaming and rebuild, so the two cannot disagree."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from waymark.accounts.config import StageRule
from waymark.accounts.contracts import AccountTransition


def account_stage(
    rule: StageRule, order: Mapping[str, int], members: Sequence[tuple[str | None, str]]
) -> str | None:
    """The account's stage from its members' (role, stage); None when no member has one.

    ``furthest``: the furthest member. ``majority``: the stage most members are at (a tie goes
    to the further stage). ``role``: the furthest member holding the role, or the furthest
    member when no one holds it."""
    if not members:
        return None
    stages = [stage for _, stage in members]
    if rule.kind == "majority":
        counts = Counter(stages)
        return max(counts, key=lambda s: (counts[s], order[s]))
    if rule.kind == "role":
        held = [stage for role, stage in members if role == rule.role]
        if held:
            stages = held
    return max(stages, key=order.__getitem__)


@dataclass(frozen=True)
class MemberTimeline:
    """One member on one product: their role, when they joined the account, their own stage
    changes ``(at, to_stage)`` in order, and their role changes ``(at, role)`` in order (each
    the role from then on; ``role`` is the one held before the first)."""

    role: str | None
    joined_at: datetime
    changes: Sequence[tuple[datetime, str]]
    role_changes: Sequence[tuple[datetime, str | None]] = ()

    def role_at(self, moment: datetime) -> str | None:
        """The role the member held at ``moment``."""
        i = bisect_right(self.role_changes, moment, key=lambda c: c[0])
        return self.role_changes[i - 1][1] if i else self.role


def account_history(
    rule: StageRule, order: Mapping[str, int], members: Sequence[MemberTimeline]
) -> tuple[AccountTransition, ...]:
    """Every change of the account's stage: at each moment a member joins, changes stage or
    changes role, the rule over the members who had joined by then, each at the stage and in
    the role they had at that moment (a later change of role does not rewrite the past)."""
    times = [[at for at, _ in m.changes] for m in members]
    moments = sorted(
        {m.joined_at for m in members}
        | {at for m in members for at, _ in m.changes if at > m.joined_at}
        | {at for m in members for at, _ in m.role_changes if at > m.joined_at}
    )
    out: list[AccountTransition] = []
    current: str | None = None
    for moment in moments:
        present: list[tuple[str | None, str]] = []
        for member, at in zip(members, times, strict=True):
            if member.joined_at > moment:
                continue
            i = bisect_right(at, moment)
            if i:
                present.append((member.role_at(moment), member.changes[i - 1][1]))
        stage = account_stage(rule, order, present)
        if stage is not None and stage != current:
            out.append(AccountTransition(from_stage=current, to_stage=stage, at=moment))
            current = stage
    return tuple(out)
