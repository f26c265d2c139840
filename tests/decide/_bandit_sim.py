"""A simulated bandit with known click rates, driven through the Decider's public path
(decide, then feedback). Shared by the learning test and bench/decide.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from tests.decide._helpers import MODELS
from waymark.decide.api import Decider, build_catalog
from waymark.decide.contracts import DecideRequest, DecisionContext, Feedback


@dataclass(frozen=True)
class Run:
    chosen: np.ndarray
    """Index of the arm chosen at each step."""
    clicks: np.ndarray


def bandit_decider(n_arms: int, seed: int, prior: tuple[float, float] = (1.0, 1.0)) -> Decider:
    doc = {
        "policy": {"arbitration": {"prior": {"alpha": prior[0], "beta": prior[1]}}},
        "experiences": [
            {"id": f"arm{i}", "kind": "content", "purpose": "service", "channels": ["web"]}
            for i in range(n_arms)
        ],
    }
    return Decider(build_catalog(doc, models=MODELS), rng=np.random.default_rng(seed))


def simulate(rates: list[float], steps: int, seed: int) -> Run:
    """Each step: one decision for a new visitor, a view, and a click with the arm's rate."""
    decider = bandit_decider(len(rates), seed)
    world = np.random.default_rng(seed + 1)
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    request = DecideRequest(channel="web")
    chosen = np.zeros(steps, dtype=np.int64)
    clicks = np.zeros(steps, dtype=np.int64)
    for t in range(steps):
        d = decider.decide(DecisionContext(profile_id=f"v{t}", now=now), request)
        arm = d.experiences[0].id
        i = int(arm[3:])
        click = bool(world.random() < rates[i])
        feedback = [Feedback(decision_id=d.decision_id, experience_id=arm, outcome="viewed")]
        if click:
            feedback.append(
                Feedback(decision_id=d.decision_id, experience_id=arm, outcome="clicked")
            )
        decider.apply_feedback(feedback)
        chosen[t], clicks[t] = i, click
    return Run(chosen, clicks)
