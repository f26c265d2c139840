"""The simulator's reading of a template agrees with the journey engine's own reading
(``waymark.journey.api.evidence_of``), on every shipped model, for the preset's events and for
random ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.core.events import Event
from waymark.journey.api import SHIPPED_MODELS, evidence_of, load_model
from waymark.journey.contracts import JourneyModel
from waymark.sim import api
from waymark.sim._evidence import Reading, Template, reading

MODELS = {name: load_model(name) for name in SHIPPED_MODELS}
NAMES = sorted(
    {e for m in MODELS.values() for s in m.stages for r in s.evidence for e in r.events}
    | {"Email Opened", "Order Refunded", "Signed Up", "Order Completed"}
)
WHEN = datetime(2024, 11, 1, tzinfo=UTC)


def _engine_reading(model: JourneyModel, template: Template) -> Reading:
    event = Event(
        message_id="m",
        type=template.type,  # type: ignore[arg-type]
        event=template.event,
        name=template.name,
        timestamp=WHEN,
        received_at=WHEN,
        anonymous_id="a",
        properties=template.properties,
    )
    hits = evidence_of(model, event)
    if not hits:
        return Reading(frozenset(), False)
    names = model.stage_names
    return Reading(frozenset(names.index(n) for n in hits[0].stages), hits[0].purchase)


@pytest.mark.parametrize("model_name", SHIPPED_MODELS)
def test_every_preset_template_reads_as_the_engine_reads_it(
    preset: api.Preset, model_name: str
) -> None:
    model = MODELS[model_name]
    plan = preset.plan
    templates = [t for s in plan.per_stage for t in s.signals]
    templates += [t for n in plan.neutral for group in n.templates for t in group]
    templates.append(plan.purchase)
    for template in templates:
        for props in (template.properties, {**template.properties, "product_id": "kit"}):
            probe = Template(
                key=template.key,
                type=template.type,
                event=template.event,
                name=template.name,
                properties=props,
            )
            assert reading(model, probe) == _engine_reading(model, probe), probe


_values = st.one_of(
    st.integers(-2, 12), st.sampled_from(["upsell", "add_on", "x", "", "9"]), st.booleans()
)


@st.composite
def templates(draw: st.DrawFn) -> Template:
    kind = draw(st.sampled_from(["track", "track", "page", "screen"]))
    props: dict[str, Any] = {}
    for key in ("product_id", "score", "order_type", "content_stage", "content_level"):
        if draw(st.booleans()):
            if key == "content_stage":
                props[key] = draw(st.sampled_from(["engagement", "aware", "own", "nope"]))
            elif key == "content_level":
                props[key] = draw(st.sampled_from(["problem_aware", "solution_aware", "x"]))
            else:
                props[key] = draw(_values)
    if kind == "track":
        return Template(key="t", type=kind, event=draw(st.sampled_from(NAMES)), properties=props)
    return Template(
        key="t", type=kind, name=draw(st.sampled_from(["Home", "Blog"])), properties=props
    )


@settings(max_examples=300, deadline=None)
@given(template=templates(), model_name=st.sampled_from(SHIPPED_MODELS))
def test_random_templates_read_the_same(template: Template, model_name: str) -> None:
    model = MODELS[model_name]
    assert reading(model, template) == _engine_reading(model, template)
