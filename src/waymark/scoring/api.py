"""Lead-scoring facade: a score per person and per account, per product, that marketing and
sales read in the journey's terms.

Other packages import only this module and ``waymark.scoring.contracts``.

- ``load_scoring`` / ``load_scoring_text`` / ``scoring_config_for``: validated configuration.
- ``ScoringService``: streaming engagement from identity-resolved events (a listener on
  identity, after journeys), label changes for listeners, reads (``person``, ``account``),
  persistence through ``ScoreStore`` and the vectorised ``rebuild`` from journey evidence.

Score = fit + engagement. Fit is read from the current traits at read time. Engagement is
stored undecayed (see ``_state``) and decays at read time, so stored scores never go stale.
An account's score is the sum of its ``top_members`` highest member engagements plus the
account's fit; its stage is the account's own, derived by the accounts feature's rule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from waymark.core.clock import Clock, SystemClock
from waymark.core.events import Event
from waymark.core.listeners import notify
from waymark.identity.api import IdentityService
from waymark.identity.errors import ProfileNotFound
from waymark.journey.api import JourneyService
from waymark.journey.contracts import JourneyModel
from waymark.scoring import _rebuild
from waymark.scoring._fit import fit
from waymark.scoring._labels import label_of
from waymark.scoring._loader import load_scoring, load_scoring_text
from waymark.scoring._points import Points, event_labels
from waymark.scoring._state import KeyScore, decay_exponent, power2
from waymark.scoring._tables import (
    LABELS,
    SCORES,
    LabelKey,
    LabelState,
    labels_from_table,
    labels_table,
    scores_from_table,
    scores_table,
)
from waymark.scoring.config import (
    CONFIG_FILENAME,
    SHIPPED_CONFIG,
    ModelScoring,
    ScoringConfig,
    config_path,
)
from waymark.scoring.contracts import (
    Contribution,
    Score,
    ScoreLabelChanged,
    ScoreList,
    Subject,
)
from waymark.scoring.errors import SubjectNotFound
from waymark.scoring.ports import Memberships, ScoreStore

__all__ = [
    "CONFIG_FILENAME",
    "LABELS_SCHEMA",
    "SCORES_SCHEMA",
    "ScoringConfig",
    "ScoringService",
    "engagement_at",
    "load_scoring",
    "load_scoring_text",
    "scoring_config_for",
]

log = logging.getLogger(__name__)

SCORES_SCHEMA = SCORES
LABELS_SCHEMA = LABELS
LabelListener = Callable[[list[ScoreLabelChanged]], None]


def scoring_config_for(data_dir: Path, models: Sequence[JourneyModel]) -> ScoringConfig:
    """``scoring.yaml`` in the data directory (strict), else the shipped file for the running
    models."""
    path = config_path(data_dir)
    return load_scoring(path, models, only_running=path == SHIPPED_CONFIG)


def _labels_table(log: Iterable[pa.RecordBatch]) -> pa.Table:
    parts = [event_labels(b) for b in log]
    named = pa.concat_tables(parts) if parts else pa.table({"seq": [], "label": []})
    return named.cast(pa.schema([("seq", pa.int64()), ("label", pa.string())]))


def engagement_at(
    config: ModelScoring,
    model: JourneyModel,
    evidence: pa.Table,
    log: Iterable[pa.RecordBatch],
    as_of: datetime,
) -> pa.Table:
    """Everyone's engagement on one model as of ``as_of``, vectorised, from journey's evidence
    table (``profile_id`` the final profile; only rows before ``as_of`` count) and the log
    batches it came from: ``profile_id``, ``product``, ``engagement``. For evaluations over a
    population at a cut-off day."""
    points = Points(model, config)
    cut = _us(as_of)
    rows = evidence.filter(
        pc.and_(pc.equal(evidence.column("model"), model.name), pc.less(evidence.column("ts"), cut))
    )
    joined = rows.join(_labels_table(log), "seq", join_type="inner")
    found = points.of_evidence(joined, joined.column("label"))
    decayed = pc.power(
        2.0, pc.subtract(found.column("lv"), decay_exponent(cut, points.half_life_us))
    )
    grouped = (
        found.append_column("value", decayed)
        .group_by(["profile_id", "product"])
        .aggregate([("value", "sum")])
    )
    return pa.table(
        {
            "profile_id": grouped.column("profile_id"),
            "product": grouped.column("product"),
            "engagement": grouped.column("value_sum"),
        }
    )


def _us(when: datetime) -> int:
    return int(when.astimezone(UTC).timestamp() * 1_000_000)


def _from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


class ScoringService:
    """Scores per person and account, streaming, persisted and rebuildable.

    Feed it from identity after journeys (``identity.subscribe(scoring.on_resolved)``), so the
    stages labels read already include the batch. Events at or before the checkpoint are
    skipped, so replays after a restart change nothing.
    """

    name = "scoring"

    def __init__(
        self,
        config: ScoringConfig,
        *,
        identity: IdentityService,
        journeys: JourneyService,
        store: ScoreStore | None = None,
        memberships: Memberships | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self._identity = identity
        self._journeys = journeys
        self._store = store
        self._clock = clock or SystemClock()
        self._points = {m.model: Points(journeys.model(m.model), m) for m in config.models}
        self._lock = threading.RLock()
        self._listeners: list[LabelListener] = []
        self._state: dict[str, dict[tuple[str, str], KeyScore]] = {}
        self._labels: dict[LabelKey, LabelState] = {}
        self._labelled: set[str] = set()
        self._fit_alone_labels = any(p.best_fit >= p.lowest_label for p in self._points.values())
        """Persons holding a label for some product (they must be re-evaluated to lose it)."""
        self._dirty: set[str] = set()
        self._dirty_labels: set[LabelKey] = set()
        self._checkpoint = 0
        self._saved = 0
        self._memberships: Memberships | None = None
        if store is not None:
            self._load(store)
        if memberships is not None:
            self.attach(memberships)

    def _load(self, store: ScoreStore) -> None:
        scores, labels = store.load()
        for profile_id, model, product, key in scores_from_table(scores):
            self._state.setdefault(profile_id, {})[(model, product)] = key
        self._labels = labels_from_table(labels)
        self._labelled = _labelled(self._labels)
        self._checkpoint = self._saved = store.checkpoint()

    def attach(self, memberships: Memberships) -> None:
        """Score accounts from this membership source (the accounts feature)."""
        self._memberships = memberships
        memberships.subscribe(self.on_accounts_changed)

    def subscribe(self, listener: LabelListener) -> None:
        """Call ``listener(changes)`` with every label change (persons and accounts)."""
        self._listeners.append(listener)

    # -- streaming -----------------------------------------------------------------------------

    def on_resolved(self, events: Sequence[Event], resolution: Any) -> None:
        """Identity's listener (see ``JourneyService.on_resolved`` for ``resolution``)."""
        touched: set[str] = set()
        with self._lock:
            for merge in resolution.merges:
                if merge.profile_id and merge.other_id:
                    self._merge(merge.profile_id, merge.other_id)
                    touched.add(merge.profile_id)
            for event, profile_id in zip(events, resolution.final_profile_ids, strict=True):
                if profile_id is None or (0 < event.seq <= self._checkpoint):
                    continue
                touched.add(profile_id)
                self._observe(event, profile_id)
            if events:
                self._checkpoint = max(self._checkpoint, *(e.seq for e in events))
        if touched:
            self._relabel(touched)

    def _observe(self, event: Event, profile_id: str) -> None:
        ts = _us(event.timestamp)
        for points in self._points.values():
            keep = points.config.explain_top
            for product, top in points.of_event(event, ts):
                keyed = self._state.setdefault(profile_id, {})
                keyed.setdefault((points.model.name, product), KeyScore()).add(top, keep)
                self._dirty.add(profile_id)

    def _merge(self, survivor: str, absorbed: str) -> None:
        gone = self._state.pop(absorbed, None)
        self._dirty.update((survivor, absorbed))
        for key in [k for k in self._labels if k[0] == "person" and k[1] == absorbed]:
            del self._labels[key]
            self._dirty_labels.add(key)
        if not gone:
            return
        keyed = self._state.setdefault(survivor, {})
        for (model, product), other in gone.items():
            keep = self._points[model].config.explain_top if model in self._points else 0
            keyed.setdefault((model, product), KeyScore()).absorb(other, keep)

    def on_accounts_changed(self, account_ids: list[str]) -> None:
        """The accounts feature's listener: membership or stage changed."""
        self._relabel_accounts(set(account_ids))

    def _relabel(self, profiles: set[str]) -> None:
        now = self._clock.now()
        changes: list[ScoreLabelChanged] = []
        for profile_id in sorted(profiles):
            if not self._may_be_labelled(profile_id, now):
                continue
            for score in self._person_scores(profile_id, now, explain=False):
                changes += self._note("person", profile_id, profile_id, score, now)
        accounts: set[str] = set()
        if self._memberships is not None:
            for profile_id in profiles:
                accounts.update(self._memberships.accounts_of(profile_id))
        self._notify(changes)
        if accounts:
            self._relabel_accounts(accounts)

    def _may_be_labelled(self, profile_id: str, now: datetime) -> bool:
        """False when no label can hold and none is held: the score is below every label's
        threshold even with every fit rule's points. Most people of a population are, and
        this spares them the profile and journey reads on every event."""
        if profile_id in self._labelled or self._fit_alone_labels:
            return True
        now_us = _us(now)
        with self._lock:
            keyed = self._state.get(profile_id, {})
            for (model, _), key in keyed.items():
                points = self._points.get(model)
                if points is not None and (
                    key.value(now_us, points.half_life_us) + points.best_fit >= points.lowest_label
                ):
                    return True
        return False

    def _relabel_accounts(self, accounts: set[str]) -> None:
        if self._memberships is None:
            return
        now = self._clock.now()
        changes: list[ScoreLabelChanged] = []
        for account_id in sorted(accounts):
            members = sorted(self._members(account_id))
            if not members:
                continue
            for score in self._account_scores(account_id, members, now, explain=False):
                changes += self._note("account", account_id, members[0], score, now)
        self._notify(changes)

    def _note(
        self, subject: Subject, id_: str, profile_id: str, score: Score, now: datetime
    ) -> list[ScoreLabelChanged]:
        key = (subject, id_, score.model, score.product)
        with self._lock:
            old, crossings = self._labels.get(key, (None, 0))
            if old == score.label:
                return []
            self._labels[key] = (score.label, crossings + 1)
            self._dirty_labels.add(key)
            if subject == "person" and score.label is not None:
                self._labelled.add(id_)
        occurrence = f"{subject}/{id_}/{score.model}/{score.product}/{score.label}#{crossings + 1}"
        return [
            ScoreLabelChanged(
                subject=subject,
                id=id_,
                model=score.model,
                product=score.product,
                old=old,
                new=score.label,
                at=now,
                profile_id=profile_id,
                occurrence=occurrence,
            )
        ]

    def _notify(self, changes: list[ScoreLabelChanged]) -> None:
        notify(self._listeners, changes, log=log, failed="a score-label listener failed")

    def checkpoint(self) -> int:
        return self._checkpoint

    def flush(self) -> None:
        """Persist the profiles and labels changed since the last flush, with the checkpoint."""
        if self._store is None:
            return
        with self._lock:
            if not self._dirty and not self._dirty_labels and self._checkpoint == self._saved:
                return
            profiles = sorted(self._dirty)
            scores = scores_table((p, self._state[p]) for p in profiles if p in self._state)
            labels = labels_table({k: self._labels.get(k, (None, 0)) for k in self._dirty_labels})
            checkpoint = self._checkpoint
            self._dirty.clear()
            self._dirty_labels.clear()
        self._store.save(profiles=profiles, scores=scores, labels=labels, checkpoint=checkpoint)
        self._saved = checkpoint

    # -- batch ---------------------------------------------------------------------------------

    def rebuild(self, evidence: pa.Table, log: Iterable[pa.RecordBatch], *, checkpoint: int) -> int:
        """Recompute engagement from journey's evidence table (every model; ``profile_id`` the
        final profile) and the log batches it came from (for the event labels), replace the
        stored state, and continue streaming from ``checkpoint``. The label memory is set to
        the labels as of now (so a rebuild starts no flow), keeping the crossing counts.
        Returns the contributions counted."""
        state: _rebuild.State = {}
        counted = 0
        named = _labels_table(log)
        for name, points in self._points.items():
            rows = evidence.filter(pc.equal(evidence.column("model"), name))
            joined = rows.join(named, "seq", join_type="inner")
            counted += _rebuild.engagement(points, joined, joined.column("label"), state)
        with self._lock:
            self._state = state
            self._checkpoint = checkpoint
            self._dirty.clear()
        now = self._clock.now()
        subjects: list[tuple[Subject, str, str, list[Score]]] = [
            ("person", p, p, self._person_scores(p, now, explain=False)) for p in sorted(state)
        ]
        if self._memberships is not None:
            accounts = {a for p in state for a in self._memberships.accounts_of(p)}
            for account_id in sorted(accounts):
                members = sorted(self._members(account_id))
                if members:
                    scores = self._account_scores(account_id, members, now, explain=False)
                    subjects.append(("account", account_id, members[0], scores))
        with self._lock:
            labels: dict[LabelKey, LabelState] = {
                k: (None, n) for k, (_, n) in self._labels.items()
            }
            for subject, id_, _, scores in subjects:
                for s in scores:
                    key = (subject, id_, s.model, s.product)
                    labels[key] = (s.label, labels.get(key, (None, 0))[1])
            self._labels = labels
            self._labelled = _labelled(labels)
            self._dirty_labels.clear()
            if self._store is not None:
                self._store.replace_all(
                    scores=scores_table(sorted(state.items())),
                    labels=labels_table(labels),
                    checkpoint=checkpoint,
                )
            self._saved = checkpoint
        return counted

    # -- reading -------------------------------------------------------------------------------

    def engagement_state(self) -> dict[str, dict[tuple[str, str], tuple[float, list[Any]]]]:
        """Every stored engagement (log total and kept contributions), for equality checks of
        streaming against rebuild."""
        with self._lock:
            return {
                p: {k: (v.log_total, list(v.top)) for k, v in keyed.items()}
                for p, keyed in self._state.items()
            }

    def person(self, profile_id: str, *, as_of: datetime | None = None) -> ScoreList:
        """Scores of a person, per model and product, with their top contributions."""
        found = self._identity.canonical(profile_id)
        if found is None:
            raise SubjectNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
        now = as_of or self._clock.now()
        return ScoreList(
            subject="person", id=found, as_of=now, scores=tuple(self._person_scores(found, now))
        )

    def account(self, account_id: str, *, as_of: datetime | None = None) -> ScoreList:
        """Scores of an account: its top members' engagement plus its own fit."""
        members = sorted(self._members(account_id))
        if not members:
            raise SubjectNotFound(f"no account {account_id!r}", account_id=account_id)
        now = as_of or self._clock.now()
        return ScoreList(
            subject="account",
            id=account_id,
            as_of=now,
            scores=tuple(self._account_scores(account_id, members, now)),
        )

    def person_scores(self, profile_id: str, *, as_of: datetime | None = None) -> list[Score]:
        """A person's scores without explanations (for decisions and flows)."""
        now = as_of or self._clock.now()
        return self._person_scores(profile_id, now, explain=False)

    def account_scores(self, profile_id: str, *, as_of: datetime | None = None) -> list[Score]:
        """Scores (without explanations) of the accounts a person belongs to."""
        if self._memberships is None:
            return []
        now = as_of or self._clock.now()
        out: list[Score] = []
        for account_id in sorted(self._memberships.accounts_of(profile_id)):
            members = sorted(self._members(account_id))
            if members:
                out += self._account_scores(account_id, members, now, explain=False)
        return out

    def _members(self, account_id: str) -> set[str]:
        if self._memberships is None:
            return set()
        canonical = self._identity.canonical
        return {c for m in self._memberships.member_ids(account_id) if (c := canonical(m))}

    def _traits(self, profile_id: str) -> dict[str, Any]:
        # current values only: building the whole profile (identities, trait histories) for
        # every scored person was a third of scoring's streaming time
        try:
            return self._identity.trait_values(profile_id)
        except ProfileNotFound:
            return {}

    def _stages(self, profile_id: str) -> dict[tuple[str, str], str]:
        return self._journeys.current_stages(profile_id)

    def _person_scores(
        self, profile_id: str, now: datetime, *, explain: bool = True
    ) -> list[Score]:
        now_us = _us(now)
        with self._lock:
            keyed = dict(self._state.get(profile_id, {}))
        stages = self._stages(profile_id)
        traits = self._traits(profile_id)
        out: list[Score] = []
        for name, points in self._points.items():
            cfg = points.config
            fits = fit(cfg.fit, traits)
            fit_points = sum(c.points for c in fits)
            products = sorted(
                {p for m, p in keyed if m == name} | {p for m, p in stages if m == name}
            )
            for product in products:
                key = keyed.get((name, product), KeyScore())
                engaged = key.value(now_us, points.half_life_us)
                stage = stages.get((name, product))
                contributions = (
                    _explain(cfg, fits, [(None, key)], now_us, points.half_life_us)
                    if explain
                    else ()
                )
                out.append(
                    Score(
                        model=name,
                        product=product,
                        score=fit_points + engaged,
                        fit=fit_points,
                        engagement=engaged,
                        stage=stage,
                        label=label_of(
                            cfg.labels_for(product), points.model, fit_points + engaged, stage
                        ),
                        contributions=contributions,
                    )
                )
        return out

    def _account_scores(
        self, account_id: str, members: list[str], now: datetime, *, explain: bool = True
    ) -> list[Score]:
        assert self._memberships is not None
        now_us = _us(now)
        traits = self._memberships.account_traits(account_id)
        with self._lock:
            keyed = {m: dict(self._state.get(m, {})) for m in members}
        stages = {m: self._stages(m) for m in members}
        out: list[Score] = []
        for name, points in self._points.items():
            cfg = points.config
            model = points.model
            fits = fit(cfg.account.fit, traits)
            fit_points = sum(c.points for c in fits)
            products = sorted(
                {p for m in members for mm, p in keyed[m] if mm == name}
                | {p for m in members for mm, p in stages[m] if mm == name}
            )
            for product in products:
                ranked = sorted(
                    ((keyed[m].get((name, product), KeyScore()), m) for m in members),
                    key=lambda km: (-km[0].value(now_us, points.half_life_us), km[1]),
                )[: cfg.account.top_members]
                engaged = sum(k.value(now_us, points.half_life_us) for k, _ in ranked)
                # the account's own stage, by the accounts feature's rule for the model
                # (furthest, majority or a role's), so sales and the account view agree
                stage = self._memberships.account_stage(account_id, name, product)
                total = fit_points + engaged
                out.append(
                    Score(
                        model=name,
                        product=product,
                        score=total,
                        fit=fit_points,
                        engagement=engaged,
                        stage=stage,
                        label=label_of(cfg.labels_for(product, account=True), model, total, stage),
                        contributions=_explain(
                            cfg, fits, [(m, k) for k, m in ranked], now_us, points.half_life_us
                        )
                        if explain
                        else (),
                    )
                )
        return out


def _labelled(labels: dict[LabelKey, LabelState]) -> set[str]:
    return {k[1] for k, (label, _) in labels.items() if k[0] == "person" and label is not None}


def _explain(
    cfg: ModelScoring,
    fits: Iterable[Contribution],
    keys: Iterable[tuple[str | None, KeyScore]],
    now_us: int,
    half_life_us: float,
) -> tuple[Contribution, ...]:
    """The largest contributions after decay, fit and engagement together."""
    found = list(fits)
    for member, key in keys:
        for t in key.top:
            found.append(
                Contribution(
                    kind="event",
                    rule=t.rule,
                    evidence=t.evidence,
                    stage=t.stage,
                    points=t.points * power2(-(now_us - t.ts) / half_life_us),
                    at=_from_us(t.ts),
                    seq=t.seq,
                    member=member,
                )
            )
    found.sort(key=lambda c: (-abs(c.points), c.seq or 0))
    return tuple(found[: cfg.explain_top])
