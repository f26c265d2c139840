"""Arbitration learns: on a simulated bandit with known click rates, traffic goes to the best."""

from __future__ import annotations

import numpy as np
import pytest

from tests.decide._bandit_sim import simulate


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_share_to_the_best_exceeds_90_percent_within_10k(seed: int) -> None:
    rates = [0.02, 0.04, 0.06, 0.08, 0.12]
    run = simulate(rates, steps=10_000, seed=seed)
    best = int(np.argmax(rates))
    # the share over the last thousand of the ten thousand decisions
    late_share = float(np.mean(run.chosen[-1_000:] == best))
    assert late_share > 0.9
    # and it paid: more clicks than choosing uniformly at random would expect
    assert run.clicks.sum() > 10_000 * float(np.mean(rates)) * 1.2


def test_feedback_moves_the_propensity() -> None:
    run = simulate([0.0, 1.0], steps=300, seed=3)
    assert float(np.mean(run.chosen[-100:] == 1)) > 0.95
