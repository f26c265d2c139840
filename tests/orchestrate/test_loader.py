"""Flow files: the shipped seed 000 flows load; every mistake is named by file, line and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.core.errors import ConfigError
from waymark.orchestrate._durations import format_duration, parse_duration
from waymark.orchestrate.api import check_flows, shipped_flows_dir
from waymark.orchestrate.errors import FlowInvalid

GOOD = """\
id: hello
trigger:
  event: Signed Up
steps:
  - id: welcome
    send:
      channel: email
      subject: Welcome
      text: Hi
"""


def check(tmp_path: Path, text: str, **kw: object) -> FlowInvalid:
    (tmp_path / "flow.yaml").write_text(text)
    with pytest.raises(FlowInvalid) as info:
        check_flows(tmp_path, **kw)  # type: ignore[arg-type]
    return info.value


def test_shipped_flows_cover_the_seed_000_messages() -> None:
    flows = {f.id: f for f in check_flows(shipped_flows_dir())}
    # follow-up email with the video, shipping notice, onboarding, thank-you + review request,
    # holiday referral, story request, website welcome-back (inbox), and the four webhook uses
    assert {
        "call-follow-up",
        "shipping-notice",
        "onboarding",
        "review-request",
        "holiday-referral",
        "story-request",
        "ad-audiences",
        "call-centre",
        "gift-order",
    } <= set(flows)
    assert flows["review-request"].trigger == "3d after event Order Delivered"
    assert "welcome-back (send inbox)" in flows["call-follow-up"].steps
    assert flows["holiday-referral"].trigger.startswith("every year on 12-10")


def test_a_good_flow_loads(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(GOOD)
    [summary] = check_flows(tmp_path)
    assert summary.id == "hello"
    assert summary.steps == ["welcome (send email)"]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        (
            "  event: Signed Up\n",
            "  event: Signed Up\n  audience: vips\n",
            2,
            "trigger",
            "exactly one",
        ),
        (
            "      subject: Welcome\n",
            "      subjekt: Welcome\n",
            8,
            "steps[0].send.subjekt",
            "unknown field",
        ),
        (
            "  - id: welcome\n",
            "  - id: pause\n    wait: soon\n  - id: welcome\n",
            6,
            "steps[0].wait",
            "duration",
        ),
        ("      channel: email\n", "      channel: fax\n", 7, "steps[0].send.channel", "fax"),
        ("      text: Hi\n", "      text: Hi {{ name \n", 9, "steps[0].send.text", "template"),
        ("      text: Hi\n", "", 6, "steps[0].send.text", "text or html"),
        (
            "  event: Signed Up\n",
            "  stage: {model: hourglass, enter: bliss}\n",
            3,
            "trigger.stage.enter",
            "bliss",
        ),
        (
            "  event: Signed Up\n",
            "  stage: {model: funnel}\n",
            3,
            "trigger.stage.model",
            "unknown journey",
        ),
        (
            "  event: Signed Up\n",
            "  date: {every_year: 12-10, at: 10:00}\n",
            3,
            "trigger.date.at",
            "quotes",
        ),
        (
            "  event: Signed Up\n",
            '  date: {every_year: "02-30"}\n',
            3,
            "trigger.date.every_year",
            "month-day",
        ),
    ],
)
def test_mistakes_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, words: str
) -> None:
    assert old in GOOD
    err = check(tmp_path, GOOD.replace(old, new))
    assert isinstance(err, ConfigError)
    assert err.code == "orchestrate.flow_invalid"
    assert err.field == field, str(err)
    assert err.line == line, str(err)
    assert words in str(err)
    assert str(err).startswith(f"{tmp_path / 'flow.yaml'}:{line}: {field}: ")


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = """\
id: many
trigger: {event: A, delay: -3d}
steps:
  - id: one
    branch:
      - {goto: ghost}
  - id: one
    send: {channel: webhook, target: nowhere}
  - id: last
    wait: 1d
"""
    err = check(tmp_path, text)
    fields = {p.field for p in err.problems}
    assert {
        "trigger.delay",
        "steps[0].branch[0].goto",
        "steps[1].id",
        "steps[1].send.target",
        "steps[2].wait",
    } <= fields
    lines = {p.field: p.line for p in err.problems}
    assert lines["steps[1].send.target"] == 8
    assert "WAYMARK_WEBHOOK_NOWHERE_URL" in str(err)


def test_webhook_target_can_come_from_the_environment(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      channel: email\n      subject: Welcome\n      text: Hi\n",
        "      channel: webhook\n      target: crm\n",
    )
    check(tmp_path, text)
    (tmp_path / "flow.yaml").write_text(text)
    assert check_flows(tmp_path, environ={"WAYMARK_WEBHOOK_CRM_URL": "http://127.0.0.1:9/x"})


def test_goto_must_jump_forward_and_else_comes_last(tmp_path: Path) -> None:
    text = """\
id: loops
trigger: {event: A}
steps:
  - id: first
    send: {channel: inbox, title: Hi}
  - id: check
    branch:
      - {goto: exit}
      - when: [{trait: vip, op: eq, value: true}]
        goto: first
"""
    err = check(tmp_path, text)
    messages = {p.field: p.message for p in err.problems}
    assert "forward" in messages["steps[1].branch[1].goto"]
    assert "last" in messages["steps[1].branch[0]"]


def test_condition_shapes_are_checked(tmp_path: Path) -> None:
    text = """\
id: conds
trigger:
  event: A
  where:
    - {trait: plan, op: in, value: gold}
    - {trait: plan, event: B}
    - {journey: hourglass, op: eq, value: heaven}
    - {trait: age, op: gt, value: [1]}
steps:
  - id: s
    send: {channel: inbox, title: Hi}
"""
    err = check(tmp_path, text)
    fields = [p.field for p in err.problems]
    assert fields == [
        "trigger.where[0].value",
        "trigger.where[1]",
        "trigger.where[2].value",
        "trigger.where[3].value",
    ]
    assert [p.line for p in err.problems] == [5, 6, 7, 8]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(FlowInvalid, match=r"also used by .*a\.yaml"):
        check_flows(tmp_path)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = check(tmp_path, GOOD + "  - id: [unclosed\n")
    assert err.line in (10, 11)  # PyYAML notices at the end of the stream
    assert "not valid YAML" in str(err)


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_durations_round_trip(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize("text", ["", "3", "d", "3x", "1d-2h", "--1d", "1.d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
