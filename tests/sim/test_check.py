"""The comparison with ground truth, on small hand-made and random truths, against a brute-force
count."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.sim import api
from waymark.sim.contracts import (
    GroundTruth,
    IdentifierTruth,
    PersonTruth,
    StageTransition,
)

STAGES = ("a", "b", "c", "d")
START = datetime(2024, 11, 1, tzinfo=UTC)
DAYS = 6


def person(p: int) -> PersonTruth:
    return PersonTruth(person=f"p{p}", home_kind="user_id", home_value=f"u{p}", arrived_at=START)


def truth_of(moves: list[tuple[int, str, float, str]], people: int) -> GroundTruth:
    """moves: (person, product, day as a float, stage), any order."""
    transitions = []
    last: dict[tuple[str, str], str] = {}
    for p, product, day, stage in sorted(moves, key=lambda m: m[2]):
        key = (f"p{p}", product)
        transitions.append(
            StageTransition(
                person=key[0],
                product=product,
                from_stage=last.get(key),
                to_stage=stage,
                at=START + timedelta(days=day),
                message_id=f"m{len(transitions)}",
            )
        )
        last[key] = stage
    return GroundTruth(
        model="test",
        stages=STAGES,
        start=date(2024, 11, 1),
        days=DAYS,
        products=("x", "y"),
        people=tuple(person(p) for p in range(people)),
        identifiers=tuple(
            IdentifierTruth(kind=kind, value=f"{prefix}{p}", person=f"p{p}", linkable=linkable)
            for p in range(people)
            for kind, prefix, linkable in (("user_id", "u", True), ("anonymous_id", "a", False))
        ),
        transitions=tuple(transitions),
    )


def brute(
    truth: GroundTruth, derived: dict[tuple[str, str], list[tuple[float, str]]]
) -> list[float]:
    shares = []
    for d in range(DAYS):
        total = agree = 0
        end = START + timedelta(days=d + 1)
        keys = {(t.person, t.product) for t in truth.transitions}
        for p, product in keys:
            true = [
                t.to_stage
                for t in truth.transitions
                if (t.person, t.product) == (p, product) and t.at < end
            ]
            if not true:
                continue
            total += 1
            got = [
                s
                for day, s in derived.get((f"u{p[1:]}", product), [])
                if START + timedelta(days=day) < end
            ]
            agree += bool(got) and got[-1] == true[-1]
        shares.append(agree / total if total else float("nan"))
    return shares


moves = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["x", "y"]),
        st.floats(0, DAYS - 0.01, allow_nan=False),
        st.sampled_from(STAGES),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(
    moves=moves, noise=st.lists(st.tuples(st.integers(0, 24), st.sampled_from(STAGES)), max_size=6)
)
def test_agreement_matches_a_brute_force_count(
    moves: list[tuple[int, str, float, str]], noise: list[tuple[int, str]]
) -> None:
    truth = truth_of(moves, people=4)
    derived: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for p, product, day, stage in sorted(moves, key=lambda m: m[2]):
        derived.setdefault((f"u{p}", product), []).append((day, stage))
    # corrupt some derived moves
    flat = [(k, i) for k, v in derived.items() for i in range(len(v))]
    for n, stage in noise:
        if flat:
            key, i = flat[n % len(flat)]
            day, _ = derived[key][i]
            derived[key][i] = (day, stage)
    mapping = {("user_id", f"u{p}"): f"u{p}" for p in range(4)}
    table = api.stage_table(
        STAGES,
        {k: [(START + timedelta(days=d), s) for d, s in v] for k, v in derived.items()},
        start=START,
        days=DAYS,
    )
    report = api.compare(truth, mapping, table)
    expected = brute(truth, derived)
    got = report.stage_agreement_by_day
    for e, g in zip(expected, got, strict=True):
        assert (g == -1.0) if math.isnan(e) else abs(e - g) < 1e-6
    measured = [e for e in expected if not math.isnan(e)]
    assert abs(report.stage_agreement_end - measured[-1]) < 1e-6
    assert abs(report.stage_agreement_min - min(measured)) < 1e-6
    assert report.false_merges == 0


def test_false_merges_and_linked_shares() -> None:
    truth = truth_of([(0, "x", 0.5, "a"), (1, "x", 0.5, "b"), (2, "y", 1.5, "c")], people=3)
    table = api.stage_table(STAGES, {}, start=START, days=DAYS)
    one = {("user_id", "u0"): "P", ("user_id", "u1"): "P", ("user_id", "u2"): "Q"}
    report = api.compare(truth, one, table)
    assert report.false_merges == 1 and report.profiles_with_false_merges == 1
    assert report.identifiers == 6 and report.linkable_identifiers == 3
    assert report.linkable_linked == 1.0  # each user id is its own person's home
    assert report.identifiers_linked == 0.5  # no anonymous id is known
    assert report.unlinkable_kept_apart == 1.0
    assert report.stage_agreement_end == 0.0  # no derived journeys at all
    assert any("profile P holds p0, p1" in e for e in report.examples)
    linked = {**one, ("user_id", "u1"): "R", ("anonymous_id", "a2"): "Q"}
    again = api.compare(truth, linked, table)
    assert again.false_merges == 0
    assert again.unlinkable_kept_apart == 2 / 3


def test_truth_matrix_takes_the_last_stage_of_each_day() -> None:
    truth = truth_of([(0, "x", 1.2, "a"), (0, "x", 1.9, "c"), (0, "x", 3.5, "b")], people=1)
    pairs, matrix = api.truth_matrix(truth)
    assert pairs == [("p0", "x")]
    assert np.array_equal(matrix, np.array([[-1, 2, 2, 1, 1, 1]], dtype=np.int16))
