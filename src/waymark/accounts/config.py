"""Accounts configuration: ``accounts.yaml`` in the data directory, else the shipped defaults
(``defaults.yaml`` next to this module). Validated against the running journey models; every
error names the file, the line and the field.

    roles:
      sources: [group.traits.role, person.traits.role, person.traits.title]
      default: user            # the role of a member no source names (optional)
      patterns:                # role: regexes searched, case-insensitive, in this order
        finance: ['\\bcfo\\b', 'financ']
    models:
      hourglass:
        rule: furthest         # furthest | majority | role:<name>
        buying_group:          # stage: roles it needs
          justification: [finance, decision_maker]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

import msgspec

from waymark.accounts.errors import AccountsConfigError
from waymark.journey.api import (
    YamlNode,
    parse_yaml,
    read_yaml_file,
    yaml_items,
    yaml_mapping,
    yaml_name,
    yaml_text,
    yaml_texts,
)
from waymark.journey.contracts import JourneyModel

CONFIG_FILENAME: Final = "accounts.yaml"
DEFAULTS: Final = Path(__file__).with_name("defaults.yaml")
RuleKind = Literal["furthest", "majority", "role"]
_SOURCE: Final = re.compile(r"^(group|person)\.traits\.([\w\-]+)$")


class StageRule(msgspec.Struct, frozen=True, kw_only=True):
    kind: RuleKind = "furthest"
    role: str | None = None
    """The role whose member's stage the account takes (``kind == "role"``)."""

    @property
    def label(self) -> str:
        return f"role:{self.role}" if self.kind == "role" else self.kind


class ModelAccounts(msgspec.Struct, frozen=True, kw_only=True):
    rule: StageRule = StageRule()
    buying_group: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(stage, roles it needs), in the model's stage order."""

    def needed(self, stage: str) -> tuple[str, ...]:
        return next((roles for s, roles in self.buying_group if s == stage), ())


class RoleSource(msgspec.Struct, frozen=True, kw_only=True):
    scope: Literal["group", "person"]
    """``group``: the group call's traits; ``person``: the person's profile traits."""
    key: str


class RoleConfig(msgspec.Struct, frozen=True, kw_only=True):
    sources: tuple[RoleSource, ...] = ()
    patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(role, regexes), in the order they are tried."""
    default: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(role for role, _ in self.patterns)

    @property
    def group_keys(self) -> tuple[str, ...]:
        """Group-call trait keys that name a member's role (not the account's traits)."""
        return tuple(s.key for s in self.sources if s.scope == "group")


class AccountsConfig(msgspec.Struct, frozen=True, kw_only=True):
    roles: RoleConfig = RoleConfig()
    models: tuple[tuple[str, ModelAccounts], ...] = ()

    def for_model(self, name: str) -> ModelAccounts:
        """A model's settings (``furthest`` and no buying group when it is not configured)."""
        return next((m for n, m in self.models if n == name), ModelAccounts())


def load_accounts_text(
    text: str, *, file: str, models: Sequence[JourneyModel], strict: bool = True
) -> AccountsConfig:
    """Parse and validate. ``strict``: a model that is not running is an error (the shipped
    defaults are not strict, so a company running other models can keep them)."""
    root = parse_yaml(text, file=file, error=AccountsConfigError)
    top = yaml_mapping(root, ("roles", "models"))
    roles = _roles(top["roles"]) if "roles" in top else RoleConfig()
    running = {m.name: m for m in models}
    out: list[tuple[str, ModelAccounts]] = []
    if "models" in top:
        for name, node in _entries(top["models"]).items():
            if name not in running:
                if strict:
                    raise node.fail(
                        f"no running journey model {name!r}; running: {', '.join(running)}"
                    )
                continue
            out.append((name, _model(node, running[name], roles)))
    return AccountsConfig(roles=roles, models=tuple(out))


def load_accounts_config(
    path: Path, *, models: Sequence[JourneyModel], strict: bool = True
) -> AccountsConfig:
    text = read_yaml_file(path, error=AccountsConfigError)
    return load_accounts_text(text, file=str(path), models=models, strict=strict)


def config_for(data_dir: Path, models: Sequence[JourneyModel]) -> AccountsConfig:
    """``accounts.yaml`` in the data directory when there is one, else the shipped defaults."""
    path = data_dir / CONFIG_FILENAME
    if path.exists():
        return load_accounts_config(path, models=models)
    return load_accounts_config(DEFAULTS, models=models, strict=False)


# -- parts ----------------------------------------------------------------------------------------


def _roles(node: YamlNode) -> RoleConfig:
    items = yaml_mapping(node, ("sources", "patterns", "default"))
    sources = tuple(_source(n) for n in yaml_items(items["sources"])) if "sources" in items else ()
    patterns: list[tuple[str, tuple[str, ...]]] = []
    if "patterns" in items:
        for role, regexes in _entries(items["patterns"]).items():
            yaml_name(YamlNode(role, regexes.line, regexes.field, regexes.file, regexes.error))
            patterns.append((role, tuple(_regex(n) for n in _each(regexes))))
    names = [r for r, _ in patterns]
    default = None
    if "default" in items:
        default = yaml_name(items["default"])
        if default not in names:
            raise items["default"].fail(_unknown_role(default, names))
    return RoleConfig(sources=sources, patterns=tuple(patterns), default=default)


def _entries(node: YamlNode) -> dict[str, YamlNode]:
    if not isinstance(node.value, dict):
        raise node.fail("expected a mapping")
    return dict(node.value)


def _each(node: YamlNode) -> list[YamlNode]:
    return list(node.value) if isinstance(node.value, list) else [node]


def _source(node: YamlNode) -> RoleSource:
    value = yaml_text(node)
    match = _SOURCE.match(value)
    if match is None:
        raise node.fail(f"{value!r}: a source is group.traits.<key> or person.traits.<key>")
    scope: Literal["group", "person"] = "group" if match.group(1) == "group" else "person"
    return RoleSource(scope=scope, key=match.group(2))


def _regex(node: YamlNode) -> str:
    value = yaml_text(node)
    try:
        re.compile(value)
    except re.error as exc:
        raise node.fail(f"{value!r} is not a regular expression: {exc}") from None
    return value


def _unknown_role(role: str, names: Sequence[str]) -> str:
    return f"unknown role {role!r}; roles.patterns names {', '.join(names) or 'none'}"


def _model(node: YamlNode, model: JourneyModel, roles: RoleConfig) -> ModelAccounts:
    items = yaml_mapping(node, ("rule", "buying_group"))
    rule = _rule(items["rule"], roles) if "rule" in items else StageRule()
    needs: dict[str, tuple[str, ...]] = {}
    if "buying_group" in items:
        group = items["buying_group"]
        stages = [s.name for s in model.stages]
        for stage, wanted in yaml_mapping(group, tuple(stages)).items():
            names = yaml_texts(wanted)
            for n in _each(wanted):
                if n.value not in roles.names:
                    raise n.fail(_unknown_role(str(n.value), roles.names))
            needs[stage] = names
        order = {s: i for i, s in enumerate(stages)}
        return ModelAccounts(
            rule=rule, buying_group=tuple(sorted(needs.items(), key=lambda kv: order[kv[0]]))
        )
    return ModelAccounts(rule=rule)


def _rule(node: YamlNode, roles: RoleConfig) -> StageRule:
    value = yaml_text(node)
    if value in ("furthest", "majority"):
        return StageRule(kind="furthest" if value == "furthest" else "majority")
    if value.startswith("role:"):
        role = value.removeprefix("role:").strip()
        if role not in roles.names:
            raise node.fail(_unknown_role(role, roles.names))
        return StageRule(kind="role", role=role)
    raise node.fail(f"{value!r}: a rule is furthest, majority or role:<name>")
