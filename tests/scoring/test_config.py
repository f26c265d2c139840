"""scoring.yaml is validated at the edge: every error names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scoring._world import HOURGLASS
from waymark.journey.api import load_model
from waymark.scoring.api import load_scoring, load_scoring_text, scoring_config_for
from waymark.scoring.errors import ScoringConfigError

VALUE_JOURNEY = load_model("value-journey")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("models:\n  hourglas: {}\n", "scoring.yaml:2: models.hourglas: unknown key"),
        (
            "models:\n  hourglass:\n    stage_weights: {evaluaton: 2}\n",
            "scoring.yaml:3: models.hourglass.stage_weights.evaluaton: unknown key",
        ),
        (
            "models:\n  hourglass:\n    labels:\n"
            "      - {name: sql, min_score: 70, min_stage: eval}\n",
            "scoring.yaml:4: models.hourglass.labels[0].min_stage: no stage 'eval'",
        ),
        (
            "models:\n  hourglass:\n    labels:\n      - {name: sql}\n",
            "scoring.yaml:4: models.hourglass.labels[0].min_score: is required",
        ),
        (
            "models:\n  hourglass:\n    fit:\n      - {trait: title, matches: '(', points: 5}\n",
            "scoring.yaml:4: models.hourglass.fit[0].matches: not a valid regular expression",
        ),
        (
            "models:\n  hourglass:\n    fit:\n      - {trait: size, gte: 5, lt: 9, points: 5}\n",
            "scoring.yaml:4: models.hourglass.fit[0]: give exactly one of",
        ),
        (
            "models:\n  hourglass:\n    half_life_days: soon\n",
            "scoring.yaml:3: models.hourglass.half_life_days: expected a number",
        ),
        (
            "models:\n  hourglass:\n    engagement:\n      rules:\n        - {points: 5}\n",
            "scoring.yaml:5: models.hourglass.engagement.rules[0]: give events or names",
        ),
        ("models: [\n", "scoring.yaml:2: (document): not valid YAML"),
    ],
)
def test_errors_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(ScoringConfigError) as caught:
        load_scoring_text(text, [HOURGLASS], file="scoring.yaml")
    assert str(caught.value).startswith(where), str(caught.value)
    assert caught.value.code == "scoring.config_invalid"


def test_the_shipped_file_scores_only_running_models(tmp_path: Path) -> None:
    # a company running only its own models is not refused for the shipped hourglass block
    assert scoring_config_for(tmp_path, [VALUE_JOURNEY]).models == ()
    (shipped,) = scoring_config_for(tmp_path, [HOURGLASS]).models
    assert shipped.model == "hourglass"
    assert [lab.name for lab in shipped.labels] == ["marketing-qualified", "sales-qualified"]


def test_a_data_dir_file_is_strict(tmp_path: Path) -> None:
    (tmp_path / "scoring.yaml").write_text("models:\n  hourglass: {}\n")
    with pytest.raises(ScoringConfigError, match="unknown key 'hourglass'"):
        scoring_config_for(tmp_path, [VALUE_JOURNEY])
    with pytest.raises(ScoringConfigError, match="cannot read"):
        load_scoring(tmp_path / "missing.yaml", [HOURGLASS])


def test_product_labels_override_the_model_labels() -> None:
    (cfg,) = load_scoring_text(
        "models:\n  hourglass:\n    labels: [{name: mql, min_score: 10}]\n"
        "    products:\n      kit: {labels: [{name: hot, min_score: 90}]}\n",
        [HOURGLASS],
    ).models
    assert [lab.name for lab in cfg.labels_for("kit")] == ["hot"]
    assert [lab.name for lab in cfg.labels_for("other")] == ["mql"]
    assert [lab.name for lab in cfg.labels_for("other", account=True)] == ["mql"]
