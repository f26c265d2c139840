"""Journey's shared YAML helpers, as every feature's configuration file meets them: a file
that cannot be read names the file (each feature with its own error), and an unknown key
names the key's line even when its value is a block on the lines below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from waymark.accounts.api import load_accounts_config
from waymark.accounts.errors import AccountsConfigError
from waymark.analytics.api import load_goals
from waymark.analytics.errors import GoalsInvalid
from waymark.core.errors import ConfigFileError
from waymark.journey.api import load_model, parse_yaml, yaml_mapping
from waymark.scoring.api import load_scoring
from waymark.scoring.errors import ScoringConfigError

MODELS = [load_model("hourglass")]

Loader = Callable[[Path], object]
LOADERS: list[tuple[str, Loader, type[ConfigFileError]]] = [
    ("accounts.yaml", lambda p: load_accounts_config(p, models=MODELS), AccountsConfigError),
    ("scoring.yaml", lambda p: load_scoring(p, MODELS), ScoringConfigError),
    ("goals.yaml", lambda p: load_goals(p.parent, MODELS), GoalsInvalid),
]


@pytest.mark.parametrize(("name", "load", "error"), LOADERS)
def test_a_file_that_is_not_utf8_names_the_file(
    tmp_path: Path, name: str, load: Loader, error: type[ConfigFileError]
) -> None:
    path = tmp_path / name
    path.write_bytes(b"models:\n  \xff\xfe: 1\n")
    with pytest.raises(error) as err:
        load(path)
    assert str(err.value).startswith(f"{path}: (file): cannot read: ")
    assert (err.value.line, err.value.field) == (None, "(file)")


@pytest.mark.parametrize(("name", "load", "error"), LOADERS)
def test_a_directory_in_the_files_place_names_the_file(
    tmp_path: Path, name: str, load: Loader, error: type[ConfigFileError]
) -> None:
    path = tmp_path / name
    path.mkdir()
    with pytest.raises(error, match="cannot read") as err:
        load(path)
    assert err.value.file == str(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("top:\n  known: 1\n  typo:\n    nested: 2\n", 3),  # a block mapping below the key
        ("top:\n  known: 1\n  typo:\n    - 2\n    - 3\n", 3),  # a block list below the key
        ("top:\n  known: 1\n  typo: {nested: 2}\n", 3),  # inline: the same line either way
        ("top:\n  known: 1\n  typo:\n\n\n    nested: 2\n", 3),  # blank lines between
    ],
)
def test_an_unknown_key_names_the_keys_line(text: str, line: int) -> None:
    root = parse_yaml(text, file="x.yaml", error=ScoringConfigError)
    top = yaml_mapping(root, ("top",))["top"]
    with pytest.raises(ScoringConfigError) as err:
        yaml_mapping(top, ("known",))
    assert str(err.value).startswith(f"x.yaml:{line}: top.typo: unknown key 'typo'")


def test_a_features_file_reports_the_key_line_of_a_misspelt_block(tmp_path: Path) -> None:
    path = tmp_path / "scoring.yaml"
    path.write_text("models:\n  hourglass:\n    stage_weight:\n      research: 1\n")
    with pytest.raises(ScoringConfigError) as err:
        load_scoring(path, MODELS)
    assert err.value.line == 3
    assert err.value.field == "models.hourglass.stage_weight"
