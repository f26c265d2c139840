"""Presets: the shipped one is valid against its model, and a bad one is refused with an error
that names the file, the line and the field."""

from __future__ import annotations

from importlib import resources

import pytest

from waymark.journey.api import load_model
from waymark.sim import api
from waymark.sim._evidence import reading
from waymark.sim._plan import with_product
from waymark.sim.errors import PresetError, PresetNotFound

SHIPPED = resources.files("waymark.sim").joinpath("presets", "learning-kits.yaml").read_text()


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_shipped_preset_signals_are_the_models_evidence(preset: api.Preset) -> None:
    model = load_model(preset.config.model)
    assert preset.plan.stages == model.stage_names
    for stage, plan in enumerate(preset.plan.per_stage):
        assert plan.signals, model.stage_names[stage]
        for template in plan.signals:
            found = reading(model, with_product(template))
            post = {s for s in found.stages if preset.plan.post[s]}
            if preset.plan.post[stage]:
                assert post == {stage}, template
            else:
                assert found.stages == {stage} and not found.purchase, template
    purchase = reading(model, with_product(preset.plan.purchase))
    assert purchase.purchase
    assert purchase.stages <= {preset.plan.purchase_stage}


BROKEN = [
    # (text to replace, replacement, field named, words in the message, line holding)
    ("  app: 0.35 ", "  app: 1.35 ", "people.app", "between 0 and 1", "app: 1.35"),
    ("  facebook: 0.45\n", "  facebok: 0.45\n", "people.facebok", "unknown key", "facebok"),
    (
        "dwell_days: 4\n",
        "dwell_days: four\n",
        "journeys.hourglass.stages.engagement.dwell_days",
        "Expected `float`",
        "four",
    ),
    (
        "education: 0.25, research: 0.20",
        "educaton: 0.25, research: 0.20",
        "journeys.hourglass.stages.engagement.next.educaton",
        "not a stage of model 'hourglass'",
        "educaton",
    ),
    (
        "{justification: 0.35, purchase: 0.20,",
        "{justification: 0.35, adoption: 0.20,",
        "journeys.hourglass.stages.evaluation.next.adoption",
        "leads into the post-purchase",
        "justification: 0.35, adoption",
    ),
    (
        "{expansion: 0.15, exit: 0.85}",
        "{evaluation: 0.15, exit: 0.85}",
        "journeys.hourglass.stages.advocacy.next.evaluation",
        "never moves a customer back",
        "evaluation: 0.15, exit: 0.85",
    ),
    (
        "{Guide Downloaded: 3,",
        "{Product Viewed: 3,",
        "journeys.hourglass.stages.education.signals['Product Viewed']",
        "evidence of evaluation",
        "{Product Viewed: 3,",
    ),
    (
        "    Page Liked: 2\n",
        "    Ad Clicked: 2\n",
        "neutral.pre_purchase['Ad Clicked']",
        "is not neutral",
        "    Ad Clicked: 2",
    ),
    (
        "engagement: 0.40, education: 0.15",
        "adoption: 0.40, education: 0.15",
        "journeys.hourglass.entry.adoption",
        "people enter before purchase",
        "entry: {adoption",
    ),
    (
        "  products: [0.7, 0.22, 0.08]",
        "  products: [0.7, -0.22, 0.08]",
        "people.products[1]",
        "0 or more",
        "products: [0.7, -0.22",
    ),
    (
        "delivery_days: [2, 6]",
        "delivery_days: [6, 2]",
        "journeys.hourglass.delivery_days",
        "first <= second",
        "delivery_days: [6, 2]",
    ),
    (
        "- {id: creative-kit,",
        "- {id: genius-kit,",
        "products[4].id",
        "listed twice",
        "{id: genius-kit, sku: CRK",
    ),
    (
        "model: hourglass",
        "model: no-such-model",
        "model",
        "cannot load journey model",
        "model: no-such-model",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "words", "line_text"), BROKEN)
def test_a_bad_preset_names_file_line_and_field(
    old: str, new: str, field: str, words: str, line_text: str
) -> None:
    assert old in SHIPPED, old
    text = SHIPPED.replace(old, new, 1)
    with pytest.raises(PresetError) as caught:
        api.load_preset_text(text, file="kits.yaml")
    err = caught.value
    assert err.code == "sim.preset_invalid"
    assert err.field == field
    assert words in str(err)
    assert err.line == _line_of(text, line_text)
    assert str(err).startswith(f"kits.yaml:{err.line}: {field}: ")


def test_syntax_errors_and_missing_presets() -> None:
    with pytest.raises(PresetError, match=r"^x.yaml:2: \(document\): not valid YAML"):
        api.load_preset_text("name: a\n  b: [\n", file="x.yaml")
    with pytest.raises(PresetNotFound):
        api.load_preset("no-such-preset")


@pytest.mark.parametrize("model", ["value-journey", "buy-own-advocate"])
def test_every_shipped_model_has_settings(model: str) -> None:
    loaded = api.load_preset("learning-kits", model=model)
    assert loaded.plan.model.name == model
    assert all(plan.signals for plan in loaded.plan.per_stage)


def test_a_model_without_settings_is_named() -> None:
    text = SHIPPED.replace("model: hourglass", "model: value-journey").replace(
        "  value-journey:\n", "  value-journey-old:\n"
    )
    with pytest.raises(PresetError, match="journeys: has no settings for model 'value-journey'"):
        api.load_preset_text(text, file="kits.yaml")
    # stage names are the model's: hourglass stages are unknown to the value journey
    text = SHIPPED.replace(
        "  value-journey:\n    entry: {aware: 0.55", "  value-journey:\n    entry: {research: 0.55"
    )
    with pytest.raises(PresetError, match="'research' is not a stage of model 'value-journey'"):
        api.load_preset_text(text.replace("model: hourglass", "model: value-journey"))


def test_sizes_are_checked(preset: api.Preset) -> None:
    with pytest.raises(PresetError, match="customers: must be between 1 and"):
        api.simulate(preset, customers=0, products=1, days=10, seed=1)
