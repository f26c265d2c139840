"""A simulation on disk: events as Segment JSONL, the ground truth beside them, read back."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from waymark.sim import api
from waymark.sim.errors import TruthError


def test_write_and_read_back(
    population: api.Population, messages: list[api.Message], tmp_path: Path
) -> None:
    seen: list[int] = []
    summary = population.write(tmp_path, progress=seen.append)
    assert sum(seen) == summary.events == len(messages)
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert [msgspec.json.decode(line) for line in lines[:50]] == messages[:50]
    assert len(lines) == len(messages)
    assert api.read_truth(tmp_path) == population.truth
    again = api.read_summary(tmp_path)
    assert again == summary
    assert again.people == population.people and again.customers == 1500


def test_a_broken_truth_file_names_file_and_line(
    population: api.Population, tmp_path: Path
) -> None:
    population.write_truth(tmp_path)
    path = tmp_path / "truth" / "identifiers.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = '{"kind": "nope"}'
    path.write_text("\n".join(lines))
    with pytest.raises(TruthError, match=r"identifiers.jsonl:3: "):
        api.read_truth(tmp_path)
    with pytest.raises(TruthError, match=r"is .* a simulator output"):
        api.read_truth(tmp_path / "nothing")
