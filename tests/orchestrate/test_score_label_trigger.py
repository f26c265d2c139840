"""The ``score_label`` trigger: "became sales-qualified" starts a run once per crossing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from waymark.orchestrate._flow import FlowSet
from waymark.orchestrate._loader import load_dir
from waymark.orchestrate._triggers import from_label_changes
from waymark.orchestrate.api import _context, check_flows
from waymark.orchestrate.errors import FlowInvalid
from waymark.scoring.contracts import ScoreLabelChanged

AT = datetime(2026, 9, 8, 10, tzinfo=UTC)
FLOW = """
id: handoff
name: Hand-off
trigger:
  score_label: {label: sales-qualified, subject: account, product: kit}
steps:
  - id: tell
    send: {channel: inbox, title: "Qualified", body: "{{ trigger.account }}"}
"""


def _change(**overrides: object) -> ScoreLabelChanged:
    fields: dict[str, object] = {
        "subject": "account",
        "id": "hillside",
        "model": "hourglass",
        "product": "kit",
        "old": "marketing-qualified",
        "new": "sales-qualified",
        "at": AT,
        "profile_id": "p1",
        "occurrence": "account/hillside/hourglass/kit/sales-qualified#2",
    }
    fields.update(overrides)
    return ScoreLabelChanged(**fields)  # type: ignore[arg-type]


def _flows(tmp_path: Path) -> FlowSet:
    (tmp_path / "handoff.yaml").write_text(FLOW)
    return FlowSet(load_dir(tmp_path, _context(tmp_path, {}, None)))


def test_a_crossing_starts_one_run_with_a_stable_id(tmp_path: Path) -> None:
    flows = _flows(tmp_path)
    runs = from_label_changes([_change()], flows, get_profile=lambda _: None, now=AT)
    (run,) = runs
    assert run.profile_id == "p1" and run.flow_id == "handoff"
    assert '"account":"hillside"' in run.context
    again = from_label_changes([_change()], flows, get_profile=lambda _: None, now=AT)
    assert [r.run_id for r in again] == [run.run_id]  # a replayed crossing: the same run
    later = _change(occurrence="account/hillside/hourglass/kit/sales-qualified#4")
    (other,) = from_label_changes([later], flows, get_profile=lambda _: None, now=AT)
    assert other.run_id != run.run_id  # lost and reached again: a new crossing


@pytest.mark.parametrize(
    "change",
    [
        _change(subject="person", id="p1"),
        _change(product="other"),
        _change(new="marketing-qualified"),
        _change(new=None),
    ],
)
def test_other_changes_start_nothing(tmp_path: Path, change: ScoreLabelChanged) -> None:
    assert from_label_changes([change], _flows(tmp_path), get_profile=lambda _: None, now=AT) == []


def test_one_trigger_kind_only(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(FLOW.replace("trigger:\n", "trigger:\n  event: X\n"))
    with pytest.raises(FlowInvalid, match="give exactly one of event, stage, date, audience"):
        check_flows(tmp_path)


def test_the_shipped_sales_handoff_flow_loads() -> None:
    from waymark.orchestrate.api import shipped_flows_dir

    found = {f.id: f for f in check_flows(shipped_flows_dir())}
    assert found["sales-handoff"].trigger == "an account becomes sales-qualified"
