"""``waymark simulate`` end to end, in process: files, the check table, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli.main import cli
from waymark.sim import api


def test_simulate_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--customers",
            "150",
            "--days",
            "30",
            "--seed",
            "9",
            "--out",
            str(out),
            "--check",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "stage agreement, last day" in result.output
    summary = api.read_summary(out)
    assert summary.customers == 150 and summary.days == 30 and summary.seed == 9
    lines = (out / "events.jsonl").read_text().splitlines()
    assert len(lines) == summary.events
    report = json.loads((out / "check.json").read_text())
    assert report["false_merges"] == 0
    assert report["stage_agreement_end"] >= 0.99
    assert len(report["stage_agreement_by_day"]) == 30


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--send", "http://127.0.0.1:9"], "--send needs --write-key"),
        (["--write-key", "k"], "only used with --send"),
        (["--customers", "0"], "0 is not in the range"),
        (["--preset", "nope"], "no simulator preset 'nope'"),
    ],
)
def test_bad_options_fail_with_one_line(args: list[str], words: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", "--out", str(tmp_path), *args])
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output
