"""accounts.yaml: validated against the running models, errors naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts._world import MODELS
from waymark.accounts.api import config_for, load_accounts_text
from waymark.accounts.config import DEFAULTS, StageRule
from waymark.accounts.errors import AccountsConfigError

GOOD = """
roles:
  sources: [group.traits.role, person.traits.title]
  patterns:
    finance: ['\\bcfo\\b']
    buyer: [procurement]
models:
  hourglass:
    rule: role:buyer
    buying_group:
      justification: [finance, buyer]
"""


def test_the_shipped_defaults_load_and_configure_both_models() -> None:
    config = config_for(Path("/nonexistent"), MODELS)
    assert config.for_model("hourglass").needed("justification") == ("finance", "decision_maker")
    assert config.for_model("value-journey").rule == StageRule(kind="majority")
    assert config.for_model("no-such-model").rule == StageRule()
    assert DEFAULTS.exists()


def test_a_data_directory_file_replaces_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(GOOD, encoding="utf-8")
    config = config_for(tmp_path, MODELS)
    assert config.for_model("hourglass").rule == StageRule(kind="role", role="buyer")
    assert config.for_model("value-journey").buying_group == ()
    assert config.roles.group_keys == ("role",)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace("rule: role:buyer", "rule: loudest"), "f.yaml:9: models.hourglass.rule"),
        (GOOD.replace("rule: role:buyer", "rule: role:boss"), "f.yaml:9: models.hourglass.rule"),
        (
            GOOD.replace("[finance, buyer]", "[finance, boss]"),
            "f.yaml:11: models.hourglass.buying_group.justification[1]",
        ),
        (
            GOOD.replace("justification:", "justify:"),
            "f.yaml:11: models.hourglass.buying_group.justify",
        ),
        (GOOD.replace("hourglass:", "hourglas:"), "f.yaml:9: models.hourglas"),
        (GOOD.replace("group.traits.role", "group.role"), "f.yaml:3: roles.sources[0]"),
        (GOOD.replace("[procurement]", "['(']"), "f.yaml:6: roles.patterns.buyer[0]"),
        (GOOD.replace("models:", "modles:"), "f.yaml:7: modles"),  # the key, not its block
        ("roles: [", "f.yaml:1: (document)"),
    ],
)
def test_errors_name_the_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(AccountsConfigError) as caught:
        load_accounts_text(text, file="f.yaml", models=MODELS)
    assert str(caught.value).startswith(where), str(caught.value)
    assert caught.value.code == "accounts.config_invalid"
