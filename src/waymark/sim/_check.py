"""Derived state against the ground truth: a pure function of (identifier -> profile) and the
derived stage of every (profile, product) per day.

Each person is represented by the profile of their home identifier (their userId once signed
up, else their first browser). A journey agrees on a day when that profile's stage for the
product at the end of the day is the true one. A false merge is a profile holding unambiguous
identifiers of two different people (shared and junk identifiers are left out: merging *through*
them shows up as the two people's own identifiers sharing a profile).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from waymark.sim.contracts import CheckReport, GroundTruth, StageTable

IdentityMap = Mapping[tuple[str, str], str]
"""(identifier kind, value) -> profile id, for every identifier the identity graph knows."""

EXAMPLES = 5


def truth_matrix(truth: GroundTruth) -> tuple[list[tuple[str, str]], npt.NDArray[np.int16]]:
    """The true stage of every (person, product) at the end of every day (-1 before entry)."""
    index: dict[tuple[str, str], int] = {}
    pair = np.empty(len(truth.transitions), dtype=np.int64)
    day = np.empty(len(truth.transitions), dtype=np.int64)
    stage = np.empty(len(truth.transitions), dtype=np.int16)
    start = datetime.combine(truth.start, datetime.min.time(), tzinfo=UTC)
    names = {name: i for i, name in enumerate(truth.stages)}
    for k, t in enumerate(truth.transitions):
        pair[k] = index.setdefault((t.person, t.product), len(index))
        day[k] = (t.at - start).days
        stage[k] = names[t.to_stage]
    matrix = np.full((len(index), truth.days), -1, dtype=np.int16)
    inside = (day >= 0) & (day < truth.days)
    # transitions are in time order: the last one of each (pair, day) is the day's stage
    key = pair[inside] * truth.days + day[inside]
    last = key.size - 1 - np.unique(key[::-1], return_index=True)[1]
    matrix[pair[inside][last], day[inside][last]] = stage[inside][last]
    return list(index), forward_fill(matrix)


def forward_fill(matrix: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Each -1 cell takes the value of the nearest set cell to its left (if any)."""
    cols = np.arange(matrix.shape[1])
    last = np.maximum.accumulate(np.where(matrix >= 0, cols[None, :], 0), axis=1)
    filled: npt.NDArray[np.int16] = np.take_along_axis(matrix, last, axis=1)
    return filled


def _derived(
    truth: GroundTruth,
    pairs: list[tuple[str, str]],
    home: dict[str, str | None],
    stages: StageTable,
) -> npt.NDArray[np.int16]:
    """The derived stage of each true journey, in the ground truth's stage numbering."""
    lut = np.array(
        [truth.stages.index(n) if n in truth.stages else -2 for n in stages.names] + [-1],
        dtype=np.int16,
    )
    rows = {key: k for k, key in enumerate(stages.keys)}
    which = np.array(
        [rows.get((home.get(person) or "", product), -1) for person, product in pairs],
        dtype=np.int64,
    )
    days = truth.days
    table = np.full((len(stages.keys) + 1, days), -1, dtype=np.int16)
    width = min(days, stages.stages.shape[1]) if stages.stages.ndim == 2 else 0
    if width:
        table[:-1, :width] = stages.stages[:, :width]
    derived: npt.NDArray[np.int16] = lut[table[which]]
    return derived


def compare(truth: GroundTruth, profile_of: IdentityMap, stages: StageTable) -> CheckReport:
    """Stage agreement per day, false merges and linked identifiers (see the module doc)."""
    home = {p.person: profile_of.get((p.home_kind, p.home_value)) for p in truth.people}
    pairs, true = truth_matrix(truth)
    derived = _derived(truth, pairs, home, stages)
    valid = true >= 0
    agree = (derived == true) & valid
    counted = valid.sum(axis=0)
    by_day = tuple(
        float(a / c) if c else float("nan")
        for a, c in zip(agree.sum(axis=0).tolist(), counted.tolist(), strict=True)
    )
    measured = [share for share in by_day if not math.isnan(share)]
    examples: list[str] = []
    if pairs:
        wrong = np.flatnonzero(valid[:, -1] & ~agree[:, -1])[:EXAMPLES]
        for k in wrong.tolist():
            person, product = pairs[k]
            got = int(derived[k, -1])
            examples.append(
                f"{person} {product}: true {truth.stages[int(true[k, -1])]}, derived "
                f"{truth.stages[got] if got >= 0 else 'none'} (profile {home.get(person)})"
            )
    merges, merged_profiles, merge_examples = _false_merges(truth, profile_of)
    linked, linkable_linked, apart, n_ids, n_linkable = _linked(truth, profile_of, home)
    return CheckReport(
        pairs=len(pairs),
        stage_agreement_end=measured[-1] if measured else 1.0,
        stage_agreement_min=min(measured) if measured else 1.0,
        stage_agreement_by_day=tuple(round(x, 6) if not math.isnan(x) else -1.0 for x in by_day),
        people=len(truth.people),
        false_merges=merges,
        profiles_with_false_merges=merged_profiles,
        identifiers=n_ids,
        identifiers_linked=linked,
        linkable_identifiers=n_linkable,
        linkable_linked=linkable_linked,
        unlinkable_kept_apart=apart,
        examples=tuple(merge_examples + examples),
    )


def _false_merges(truth: GroundTruth, profile_of: IdentityMap) -> tuple[int, int, list[str]]:
    owners: dict[str, set[str]] = {}
    for ident in truth.identifiers:
        if ident.note or ident.person is None:
            continue
        profile = profile_of.get((ident.kind, ident.value))
        if profile is not None:
            owners.setdefault(profile, set()).add(ident.person)
    merged = {profile: who for profile, who in owners.items() if len(who) > 1}
    examples = [
        f"profile {profile} holds {', '.join(sorted(who)[:4])}"
        for profile, who in list(merged.items())[:EXAMPLES]
    ]
    return sum(len(who) - 1 for who in merged.values()), len(merged), examples


def _linked(
    truth: GroundTruth, profile_of: IdentityMap, home: dict[str, str | None]
) -> tuple[float, float, float, int, int]:
    n = n_ok = n_linkable = n_linkable_ok = n_unlinkable = n_apart = 0
    for ident in truth.identifiers:
        if ident.note or ident.person is None:
            continue
        target = home.get(ident.person)
        ok = target is not None and profile_of.get((ident.kind, ident.value)) == target
        n += 1
        n_ok += ok
        if ident.linkable:
            n_linkable += 1
            n_linkable_ok += ok
        else:
            n_unlinkable += 1
            n_apart += not ok
    return (
        n_ok / n if n else 1.0,
        n_linkable_ok / n_linkable if n_linkable else 1.0,
        n_apart / n_unlinkable if n_unlinkable else 1.0,
        n,
        n_linkable,
    )


def stage_table(
    names: tuple[str, ...],
    histories: Mapping[tuple[str, str], list[tuple[datetime, str]]],
    *,
    start: datetime,
    days: int,
) -> StageTable:
    """A ``StageTable`` from stage histories: (profile, product) -> [(when, new stage), ...] in
    time order (what a journey engine's transition history gives)."""
    keys = list(histories)
    position = {name: i for i, name in enumerate(names)}
    matrix = np.full((len(keys), days), -1, dtype=np.int16)
    for k, key in enumerate(keys):
        for when, stage in histories[key]:
            day = (when - start).days
            if 0 <= day < days:
                matrix[k, day] = position[stage]
            elif day < 0:
                matrix[k, 0] = position[stage]
    return StageTable(names=names, keys=tuple(keys), stages=forward_fill(matrix))
