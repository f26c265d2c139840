"""Thompson sampling: one Beta-Bernoulli arm per (experience, stage).

Each arm counts trials (``Experience Viewed``) and successes (the configured outcome,
``Experience Clicked`` by default). Its propensity is a draw from
``Beta(prior_alpha + successes, prior_beta + max(trials - successes, 0))``: uncertain arms are
sometimes drawn high, so they get tried, and the draws tighten as evidence arrives.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from waymark.decide._catalog import Catalog, Floats, Ints
from waymark.decide.config import NO_STAGE
from waymark.decide.contracts import Outcome


class BanditState:
    """Counts for one catalog's experiences × the arbitration model's stages (+ ``none``).

    Owned by one decider; ``rebased`` carries counts across a catalog change by experience id.
    """

    def __init__(self, experience_ids: tuple[str, ...], stages: tuple[str, ...]) -> None:
        self.experience_ids = experience_ids
        self.stages = (NO_STAGE, *stages)
        self._row = {e: i for i, e in enumerate(experience_ids)}
        self._col = {s: j for j, s in enumerate(self.stages)}
        shape = (len(experience_ids), len(self.stages))
        self.trials: npt.NDArray[np.float64] = np.zeros(shape)
        self.successes: npt.NDArray[np.float64] = np.zeros(shape)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> BanditState:
        model = catalog.doc.policy.arbitration.model
        return cls(tuple(e.id for e in catalog.experiences), catalog.models[model].stages)

    def rebased(self, catalog: Catalog) -> BanditState:
        """A state for ``catalog`` keeping the counts of experiences and stages it still has."""
        new = BanditState.for_catalog(catalog)
        rows = [(new._row[e], i) for e, i in self._row.items() if e in new._row]
        cols = [(new._col[s], j) for s, j in self._col.items() if s in new._col]
        if rows and cols:
            nr, orow = (list(x) for x in zip(*rows, strict=True))
            nc, ocol = (list(x) for x in zip(*cols, strict=True))
            new.trials[np.ix_(nr, nc)] = self.trials[np.ix_(orow, ocol)]
            new.successes[np.ix_(nr, nc)] = self.successes[np.ix_(orow, ocol)]
        return new

    def record(self, experience_id: str, stage: str, outcome: Outcome, target: Outcome) -> bool:
        """Count one feedback; False when the experience or stage is not in this state."""
        row, col = self._row.get(experience_id), self._col.get(stage)
        if row is None or col is None:
            return False
        if outcome == "viewed":
            self.trials[row, col] += 1
        elif outcome == target:
            self.successes[row, col] += 1
        return True

    def add_counts(self, rows: Ints, cols: Ints, trials: Floats, successes: Floats) -> None:
        """Add many counts at once (the vectorised rebuild)."""
        np.add.at(self.trials, (rows, cols), trials)
        np.add.at(self.successes, (rows, cols), successes)

    def row(self, experience_id: str) -> int | None:
        return self._row.get(experience_id)

    def col(self, stage: str) -> int | None:
        return self._col.get(stage)

    def posterior(self, rows: Ints, cols: Ints, catalog: Catalog) -> tuple[Floats, Floats]:
        """Beta parameters of the given arms (rows index the catalog the state was built for)."""
        succ = self.successes[rows, cols]
        fail = np.maximum(self.trials[rows, cols] - succ, 0.0)
        return catalog.prior_alpha[rows] + succ, catalog.prior_beta[rows] + fail

    def sample(self, rows: Ints, cols: Ints, catalog: Catalog, rng: np.random.Generator) -> Floats:
        """One Thompson draw per arm."""
        alpha, beta = self.posterior(rows, cols, catalog)
        return rng.beta(alpha, beta)

    def mean(self, rows: Ints, cols: Ints, catalog: Catalog) -> Floats:
        alpha, beta = self.posterior(rows, cols, catalog)
        out: Floats = alpha / (alpha + beta)
        return out
