"""The stage machine over a whole evidence table at once (batch rebuild).

Everything that does not depend on the order of moves is computed with NumPy over all rows:
whether the product was purchased by then (per key, and any purchase for the brand key), the
stages each row is eligible for, the stage it points to, its level, each key's last evidence
and purchase time. Only the moves themselves (forward, stay, back after a quiet time) run in a
tight loop over plain lists of the rows that point somewhere. The rules are those of
``_machine.ProfileMachine._apply``; the property test holds the two to identical results.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waymark.journey._machine import ModelRules
from waymark.journey._tables import STATES, TRANSITIONS
from waymark.journey.contracts import BRAND

_NONE: Final = -1


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Boolean: the row starts a new run of equal keys."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def fold(rules: ModelRules, evidence: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(states, transitions) of one model from its evidence rows, grouped by profile and in
    (ts, seq, pos) order within a profile (as ``_rebuild.evidence_tables`` gives them)."""
    n = evidence.num_rows
    if n == 0:
        return STATES.empty_table(), TRANSITIONS.empty_table()
    model = rules.model
    profile = pc.dictionary_encode(evidence.column("profile_id")).combine_chunks()
    product = pc.dictionary_encode(evidence.column("product")).combine_chunks()
    p_code = profile.indices.to_numpy().astype(np.int64)
    q_code = product.indices.to_numpy().astype(np.int64)
    q_values = product.dictionary
    brand_code = q_values.to_pylist().index(BRAND) if BRAND in q_values.to_pylist() else -1
    ts = evidence.column("ts").to_numpy()
    mask = evidence.column("mask").to_numpy()
    purchase = evidence.column("purchase").to_numpy(zero_copy_only=False)
    row = np.arange(n)

    # Any purchase by the profile up to this row (rows are in time order within a profile).
    first_buy = np.full(int(p_code.max()) + 1, n, dtype=np.int64)
    buyers, first = np.unique(p_code[purchase], return_index=True)
    first_buy[buyers] = row[purchase][first]
    profile_bought = row >= first_buy[p_code]

    # Per key (profile, product): rows grouped by key, time order kept inside a group.
    key = p_code * (len(q_values) + 1) + q_code
    order = np.argsort(key, kind="stable")
    k_sorted = key[order]
    starts = _group_starts(k_sorted)
    group = np.cumsum(starts) - 1
    bought_sorted = purchase[order].astype(np.int64)
    cum = np.cumsum(bought_sorted)
    before_group = (cum - bought_sorted)[starts][group]
    key_bought = (cum - before_group) > 0

    eligible = key_bought | ((q_code[order] == brand_code) & profile_bought[order])
    eff = np.where(eligible, mask[order], mask[order] & rules.pre_mask)
    target = np.full(n, _NONE, dtype=np.int64)
    for i in range(len(model.stages)):
        target[(eff >> i) & 1 == 1] = i
    level = np.full(n, _NONE, dtype=np.int64)
    for i, stage in enumerate(model.stages):
        if stage.levels:
            column = evidence.column(f"lv_{i}").to_numpy()[order]
            level = np.where(target == i, column, level)

    # Per key: last evidence (rows that are evidence of some stage) and first purchase.
    n_groups = int(group[-1]) + 1
    ts_sorted = ts[order]
    last_ev = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    has_mask = mask[order] != 0
    np.maximum.at(last_ev, group[has_mask], ts_sorted[has_mask])
    bought_at = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    buys = bought_sorted == 1
    np.minimum.at(bought_at, group[buys], ts_sorted[buys])
    first_row = order[starts]
    brand_group = q_code[first_row] == brand_code
    profile_first_buy = np.where(
        first_buy[p_code[first_row]] < n, ts[np.minimum(first_buy[p_code[first_row]], n - 1)], 0
    )
    no_key_buy = bought_at == np.iinfo(np.int64).max
    # the brand journey counts the profile's first purchase of anything (its own included)
    profile_has_buy = first_buy[p_code[first_row]] < n
    purchased_at = np.where(brand_group & profile_has_buy, profile_first_buy, bought_at)
    purchased_known = ~no_key_buy | (brand_group & profile_has_buy)

    moves = _moves(
        rules,
        order=order,
        group=group,
        target=target,
        level=level,
        ts_sorted=ts_sorted,
        eligible=eligible,
    )
    return _tables(
        rules,
        evidence,
        profile=profile,
        product=product,
        first_row=first_row,
        last_ev=last_ev,
        purchased_at=purchased_at,
        purchased_known=purchased_known,
        moves=moves,
    )


class _Moves:
    """What the loop found: every transition (in group, then time order), and per group that
    was placed, its level at the end. The rest of each group's state follows from its
    transitions: the stage and since of the last one, the furthest of all."""

    def __init__(self) -> None:
        self.t_group: list[int] = []
        self.t_n: list[int] = []
        self.t_from: list[int] = []
        self.t_to: list[int] = []
        self.t_row: list[int] = []
        self.t_ts: list[int] = []
        self.end_level: list[int] = []

    def final(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(group, stage, furthest, entered, level) per placed group."""
        group = np.asarray(self.t_group, dtype=np.int64)
        to = np.asarray(self.t_to, dtype=np.int64)
        ts = np.asarray(self.t_ts, dtype=np.int64)
        if len(group) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty, empty
        starts = np.flatnonzero(_group_starts(group))
        ends = np.append(starts[1:], len(group)) - 1
        return (
            group[starts],
            to[ends],
            np.maximum.reduceat(to, starts),
            ts[ends],
            np.asarray(self.end_level, dtype=np.int64),
        )


def _moves(
    rules: ModelRules,
    *,
    order: np.ndarray,
    group: np.ndarray,
    target: np.ndarray,
    level: np.ndarray,
    ts_sorted: np.ndarray,
    eligible: np.ndarray,
) -> _Moves:
    placed = target != _NONE
    first_post = rules.first_post
    back_after = rules.back_after
    out = _Moves()
    add_group, add_n, add_from = out.t_group.append, out.t_n.append, out.t_from.append
    add_to, add_row, add_ts = out.t_to.append, out.t_row.append, out.t_ts.append
    end_level = out.end_level.append
    current_group = -1
    stage = last_current = lvl = _NONE
    count = 0
    for g, t, lv, ts, r, is_bought in zip(
        group[placed].tolist(),
        target[placed].tolist(),
        level[placed].tolist(),
        ts_sorted[placed].tolist(),
        order[placed].tolist(),
        eligible[placed].tolist(),
        strict=True,
    ):
        if g != current_group:
            if current_group >= 0:
                end_level(lvl)
            current_group = g
            stage = _NONE
            count = 0
        elif t == stage:
            last_current = ts
            if lv > lvl:  # noqa: PLR1730  (max() costs a call per row here)
                lvl = lv
            continue
        elif t < stage and (
            (is_bought and stage >= first_post and t < first_post) or ts - last_current < back_after
        ):
            continue  # owners stay post-purchase; moving back waits for a quiet time
        add_group(g)
        add_n(count)
        add_from(stage)
        add_to(t)
        add_row(r)
        add_ts(ts)
        count += 1
        stage = t
        last_current = ts
        lvl = lv
    if current_group >= 0:
        end_level(lvl)
    return out


def _tables(
    rules: ModelRules,
    evidence: pa.Table,
    *,
    profile: pa.DictionaryArray,
    product: pa.DictionaryArray,
    first_row: np.ndarray,
    last_ev: np.ndarray,
    purchased_at: np.ndarray,
    purchased_known: np.ndarray,
    moves: _Moves,
) -> tuple[pa.Table, pa.Table]:
    model = rules.model
    names = pa.array(rules.names, pa.string())
    level_names = pa.array([lv.name for s in model.stages for lv in s.levels] or [""], pa.string())
    level_base = np.cumsum([0] + [len(s.levels) for s in model.stages])

    g, stage, furthest, entered, lvl = moves.final()
    rows = first_row[g]
    has_level = lvl != _NONE
    level_idx = np.where(has_level, level_base[stage] + np.maximum(lvl, 0), 0)
    ts_type = pa.timestamp("us")
    states = pa.table(
        {
            "model": pa.array(np.full(len(g), model.name, dtype=object), pa.string()),
            "profile_id": profile.take(pa.array(rows)).cast(pa.string()),
            "product": product.take(pa.array(rows)).cast(pa.string()),
            "stage": names.take(pa.array(stage)),
            "furthest": names.take(pa.array(furthest)),
            "entered_at": pa.array(entered).cast(ts_type),
            "last_evidence_at": pa.array(last_ev[g]).cast(ts_type),
            "purchased_at": pa.array(purchased_at[g], mask=~purchased_known[g]).cast(ts_type),
            "level": pa.array(
                level_names.take(pa.array(level_idx)).to_numpy(zero_copy_only=False),
                mask=~has_level,
                type=pa.string(),
            ),
        },
        schema=STATES,
    )
    t_rows = np.asarray(moves.t_row, dtype=np.int64)
    t_from = np.asarray(moves.t_from, dtype=np.int64)
    t_group = np.asarray(moves.t_group, dtype=np.int64)
    key_rows = first_row[t_group] if len(t_group) else np.zeros(0, dtype=np.int64)
    transitions = pa.table(
        {
            "model": pa.array(np.full(len(t_rows), model.name, dtype=object), pa.string()),
            "profile_id": profile.take(pa.array(key_rows)).cast(pa.string()),
            "product": product.take(pa.array(key_rows)).cast(pa.string()),
            "n": pa.array(moves.t_n, pa.int32()),
            "from_stage": names.take(pa.array(np.maximum(t_from, 0)))
            if len(t_from)
            else pa.array([], pa.string()),
            "to_stage": names.take(pa.array(np.asarray(moves.t_to, dtype=np.int64))),
            "at": evidence.column("ts").take(pa.array(t_rows)).cast(ts_type),
            "seq": evidence.column("seq").take(pa.array(t_rows)),
            "message_id": evidence.column("message_id").take(pa.array(t_rows)),
        },
        schema=TRANSITIONS,
    )
    if len(t_from):
        from_col = pc.if_else(
            pa.array(t_from == _NONE), pa.scalar(None, pa.string()), transitions["from_stage"]
        )
        transitions = transitions.set_column(4, "from_stage", from_col)
    return states, transitions
