"""Engagement points of stage evidence: what one event earns (streaming), and what every row of
journey's evidence table earns (rebuild, vectorised). Both read the journey model's own
evidence rules, through journey's matcher or its evidence table, never a second matcher.

An event earns points only as evidence of a stage for a product (an event no stage rule
names says nothing about buying): the first engagement rule naming it, else
``evidence_points``, times the weight of the furthest stage it is evidence of.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.events import Event
from waymark.journey.api import EvidenceMatcher
from waymark.journey.contracts import JourneyModel
from waymark.scoring._state import DAY_US, EPOCH_US, Top, anchored
from waymark.scoring.config import ModelScoring

DEFAULT_RULE = "stage evidence"


def event_labels(batch: pa.RecordBatch) -> pa.Table:
    """``seq`` and ``Event.label`` of every event of a log batch, vectorised (the same text the
    engagement rules name)."""
    type_, event, name = (batch.column(c) for c in ("type", "event", "name"))
    has_event = pc.and_(pc.equal(type_, "track"), pc.fill_null(pc.not_equal(event, ""), False))
    is_page = pc.is_in(type_, pa.array(["page", "screen"]))
    has_name = pc.fill_null(pc.not_equal(name, ""), False)
    page = pc.if_else(has_name, pc.binary_join_element_wise(type_, name, ": "), type_)
    label = pc.if_else(has_event, event, pc.if_else(is_page, page, type_))
    return pa.table({"seq": batch.column("seq"), "label": label})


class Points:
    """One model's scoring rules, compiled."""

    def __init__(self, model: JourneyModel, config: ModelScoring) -> None:
        self.model = model
        self.config = config
        self.by_label: dict[str, tuple[str, float]] = {}
        for rule in config.engagement:
            labels = (*rule.events, *(f"{t}: {n}" for n in rule.names for t in ("page", "screen")))
            for label in labels:
                self.by_label.setdefault(label, (rule.id, rule.points))
        weights = [config.stage_weights.get(s.name, 1.0) for s in model.stages]
        self.weights: npt.NDArray[np.float64] = np.array(weights, dtype=np.float64)
        self.matcher = EvidenceMatcher(model)
        # bounds for skipping label checks: no score below both can hold any label
        self.best_fit = sum(r.points for r in config.fit if r.points > 0)
        thresholds = [
            lab.min_score
            for labels in (config.labels, *config.product_labels.values())
            for lab in labels
        ]
        self.lowest_label = min(thresholds) if thresholds else float("inf")
        self._stage_pos = {s.name: i for i, s in enumerate(model.stages)}

    @property
    def half_life_us(self) -> float:
        return self.config.half_life_days * DAY_US

    def rule(self, label: str) -> tuple[str, float]:
        return self.by_label.get(label, (DEFAULT_RULE, self.config.evidence_points))

    def of_event(self, event: Event, ts_us: int) -> Iterator[tuple[str, Top]]:
        """(product, contribution) for each product the event is stage evidence for."""
        hits = self.matcher(event)
        if not hits:
            return
        label = event.label
        rule, base = self.rule(label)
        for hit in hits:
            if not hit.stages:
                continue
            stage = hit.stages[-1]
            points = base * float(self.weights[self._stage_pos[stage]])
            if points <= 0:
                continue
            lv = anchored(points, ts_us, self.half_life_us)
            yield hit.product, Top(lv, event.seq, ts_us, rule, label, stage, points)

    def of_evidence(self, evidence: pa.Table, labels: pa.Array) -> pa.Table:
        """Journey evidence rows (``EVIDENCE_SCHEMA`` of this model, with each row's event
        label) as contribution rows: profile_id, product, seq, ts, lv, rule, evidence, stage,
        points. Rows that are no stage evidence (a purchase alone) or earn nothing drop out."""
        mask = evidence.column("mask").to_numpy(zero_copy_only=False).astype(np.int64)
        keep = mask > 0
        # the furthest stage of the evidence: the highest bit set
        pos = np.zeros(len(mask), dtype=np.int64)
        pos[keep] = np.floor(np.log2(mask[keep].astype(np.float64))).astype(np.int64)
        encoded = pc.dictionary_encode(labels).combine_chunks()
        names = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        found = [self.rule(str(n)) for n in names]
        base = np.array([p for _, p in found], dtype=np.float64)[codes] if names else np.zeros(0)
        rule_ids = pa.array([r for r, _ in found], pa.string())
        points = base * self.weights[pos] if len(mask) else np.zeros(0)
        keep &= points > 0
        ts = evidence.column("ts").to_numpy(zero_copy_only=False).astype(np.int64)
        with np.errstate(divide="ignore"):
            lv = np.log2(points) + (ts - EPOCH_US) / self.half_life_us
        stage_names = pa.array([s.name for s in self.model.stages], pa.string())
        where = pa.array(keep)
        return pa.table(
            {
                "profile_id": evidence.column("profile_id").filter(where),
                "product": evidence.column("product").filter(where),
                "seq": evidence.column("seq").filter(where),
                "ts": pa.array(ts[keep], pa.int64()),
                "lv": pa.array(lv[keep], pa.float64()),
                "rule": pc.take(rule_ids, pa.array(codes[keep])),
                "evidence": pc.take(encoded.dictionary, pa.array(codes[keep])),
                "stage": pc.take(stage_names, pa.array(pos[keep])),
                "points": pa.array(points[keep], pa.float64()),
            }
        )
