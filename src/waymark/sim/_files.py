"""A simulation on disk: the events as Segment JSONL, the ground truth beside them.

<out>/events.jsonl              one Segment message per line, in time order
<out>/truth/summary.json        model, stages, start day, days, products, seed, counts
<out>/truth/people.jsonl        PersonTruth per line
<out>/truth/identifiers.jsonl   IdentifierTruth per line
<out>/truth/transitions.jsonl   StageTransition per line, in time order
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from waymark.sim.contracts import GroundTruth, IdentifierTruth, PersonTruth, StageTransition
from waymark.sim.errors import TruthError

EVENTS: Final = "events.jsonl"
TRUTH: Final = "truth"
T = TypeVar("T")


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    preset: str
    model: str
    stages: tuple[str, ...]
    start: date
    days: int
    products: tuple[str, ...]
    seed: int
    customers: int
    people: int
    events: int
    transitions: int
    identifiers: int


_encoder = msgspec.json.Encoder()


def write_lines(
    path: Path, chunks: Iterable[list[Any]], progress: Callable[[int], None] | None = None
) -> int:
    """Write JSON lines chunk by chunk; returns the number of lines."""
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(_encoder.encode_lines(chunk))
            count += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return count


def write_truth(out: Path, truth: GroundTruth, summary: Summary) -> None:
    folder = out / TRUTH
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_bytes(msgspec.json.format(_encoder.encode(summary)))
    write_lines(folder / "people.jsonl", [list(truth.people)])
    write_lines(folder / "identifiers.jsonl", [list(truth.identifiers)])
    write_lines(folder / "transitions.jsonl", [list(truth.transitions)])


def _read_lines(path: Path, kind: type[T]) -> list[T]:
    decoder = msgspec.json.Decoder(kind)
    out: list[T] = []
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        out.append(decoder.decode(line))
                    except msgspec.DecodeError as exc:
                        raise TruthError(f"{path}:{number}: {exc}") from None
    except OSError as exc:
        raise TruthError(f"cannot read {path}: {exc}") from None
    return out


def read_summary(out: Path) -> Summary:
    path = out / TRUTH / "summary.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=Summary)
    except OSError as exc:
        raise TruthError(f"cannot read {path}: {exc} (is {out} a simulator output?)") from None
    except msgspec.DecodeError as exc:
        raise TruthError(f"{path}: {exc}") from None


def read_truth(out: Path) -> GroundTruth:
    """The ground truth written by ``write_truth``."""
    summary = read_summary(out)
    folder = out / TRUTH
    return GroundTruth(
        model=summary.model,
        stages=summary.stages,
        start=summary.start,
        days=summary.days,
        products=summary.products,
        people=tuple(_read_lines(folder / "people.jsonl", PersonTruth)),
        identifiers=tuple(_read_lines(folder / "identifiers.jsonl", IdentifierTruth)),
        transitions=tuple(_read_lines(folder / "transitions.jsonl", StageTransition)),
    )
