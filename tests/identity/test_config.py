"""Identity configuration: defaults, custom types, and errors that name the field (and the
file and line for YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from waymark.identity.api import config_for
from waymark.identity.config import IdentityConfig, load_identity_config
from waymark.identity.errors import IdentityConfigError


def test_defaults_follow_the_issue() -> None:
    c = IdentityConfig.default()
    assert c.names == ("user_id", "email", "phone", "anonymous_id")
    assert {t.name: t.limit for t in c.types} == {
        "user_id": 1,
        "email": 5,
        "phone": 5,
        "anonymous_id": 5,
    }
    assert {"", "null", "undefined", "anonymous", "-1"} <= c.blocked_values


def test_custom_types_sit_before_anonymous_id_unless_priority_says_otherwise() -> None:
    c = IdentityConfig.from_mapping(
        {
            "types": {
                "crm_id": {"fields": ["traits.crm_id"], "limit": 1},
                "device_id": {"fields": ["context.device.id"]},
                "email": {"fields": ["traits.email", "properties.email"]},
            },
            "blocked_values": ["Test@Example.com"],
        }
    )
    assert c.names == ("user_id", "email", "phone", "crm_id", "device_id", "anonymous_id")
    assert c.type_named("email") is not None
    assert c.type_named("email").fields == ("traits.email", "properties.email")  # type: ignore[union-attr]
    assert "test@example.com" in c.blocked_values
    ordered = IdentityConfig.from_mapping(
        {
            "types": {"crm_id": {"fields": ["traits.crm_id"]}},
            "priority": ["crm_id", "user_id", "email", "phone", "anonymous_id"],
        }
    )
    assert ordered.names[0] == "crm_id"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"limit": {}}, "identity.limit"),
        ({"limits": {"user_id": 0}}, "identity.limits.user_id"),
        ({"limits": {"fax": 2}}, "identity.limits.fax"),
        ({"types": {"Bad Name": {"fields": ["traits.x"]}}}, "identity.types.Bad Name"),
        ({"types": {"crm_id": {}}}, "identity.types.crm_id.fields"),
        ({"types": {"crm_id": {"fields": ["crm_id"]}}}, "identity.types.crm_id.fields[0]"),
        (
            {"types": {"crm_id": {"fields": ["traits.x"], "kind": "fax"}}},
            "identity.types.crm_id.kind",
        ),
        ({"types": {"crm_id": {"fields": ["traits.x"], "size": 1}}}, "identity.types.crm_id.size"),
        ({"types": {"user_id": {"kind": "email"}}}, "identity.types.user_id.kind"),
        ({"priority": ["user_id", "email"]}, "identity.priority"),
        (
            {"priority": ["user_id", "user_id", "email", "phone", "anonymous_id"]},
            "identity.priority",
        ),
        ({"phone_region": "XX"}, "identity.phone_region"),
        ({"alias_previous_type": "fax"}, "identity.alias_previous_type"),
        ({"trait_history": -1}, "identity.trait_history"),
        ({"blocked_values": "null"}, "identity.blocked_values"),
    ],
)
def test_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(IdentityConfigError) as caught:
        IdentityConfig.from_mapping(data)
    assert caught.value.details["field"] == field
    assert field in caught.value.message
    assert caught.value.code == "identity.config_invalid"


def test_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "identity.yaml"
    path.write_text(
        "identity:\n  types:\n    crm_id:\n      fields: [traits.crm_id]\n      limit: zero\n"
    )
    with pytest.raises(IdentityConfigError) as caught:
        load_identity_config(path)
    assert f"{path}:5: identity.types.crm_id.limit" in caught.value.message


def test_yaml_loads_and_data_dir_default(tmp_path: Path) -> None:
    assert config_for(tmp_path) == IdentityConfig.default()
    (tmp_path / "identity.yaml").write_text(
        "identity:\n  limits: {email: 2}\n  types:\n    crm_id: {fields: [traits.crm]}\n"
    )
    c = config_for(tmp_path)
    assert c.type_named("email").limit == 2  # type: ignore[union-attr]
    assert "crm_id" in c.names
    (tmp_path / "identity.yaml").write_text("identity: [\n")
    with pytest.raises(IdentityConfigError, match="not valid YAML"):
        config_for(tmp_path)
