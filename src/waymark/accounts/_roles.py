"""A member's role in an account: the first configured source that names one (the group
call's role trait, the person's role or title), mapped through the configured patterns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from waymark.accounts.config import RoleConfig


@dataclass(frozen=True)
class RoleMapper:
    config: RoleConfig
    _compiled: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = field(init=False)

    def __post_init__(self) -> None:
        compiled = tuple(
            (role, tuple(re.compile(p, re.IGNORECASE) for p in patterns))
            for role, patterns in self.config.patterns
        )
        object.__setattr__(self, "_compiled", compiled)

    def group_value(self, traits: Mapping[str, Any]) -> str | None:
        """The role a group call states (its first group source holding text)."""
        for key in self.config.group_keys:
            value = traits.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None

    def role(self, group_value: str | None, person: Mapping[str, Any]) -> str | None:
        """The member's role from the group call's value and the person's traits."""
        for source in self.config.sources:
            value = group_value if source.scope == "group" else person.get(source.key)
            if isinstance(value, str) and value.strip():
                found = self.classify(value)
                if found is not None:
                    return found
        return self.config.default

    def classify(self, value: str) -> str | None:
        plain = value.strip().lower().replace(" ", "_").replace("-", "_")
        if plain in self.config.names:
            return plain
        for role, patterns in self._compiled:
            if any(p.search(value) for p in patterns):
                return role
        return None
