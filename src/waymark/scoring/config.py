"""Lead-scoring configuration: ``scoring.yaml`` in the data directory, or the shipped one.

One block per journey model scored (see ``docs/scoring.md`` for the file format)::

    models:
      hourglass:
        half_life_days: 14
        stage_weights: {engagement: 0.5, research: 1.0, evaluation: 2.0}
        fit:
          - {trait: title, matches: "director|head", points: 15}
          - {trait: company_size, gte: 50, points: 10}
        engagement:
          evidence_points: 2
          rules:
            - {events: [Demo Requested], points: 20}
        labels:
          - {name: marketing-qualified, min_score: 40, min_stage: research}
          - {name: sales-qualified, min_score: 70, min_stage: evaluation}
        products:
          genius-kit: {labels: [...]}
        account: {top_members: 3, fit: [...]}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

import msgspec

CONFIG_FILENAME: Final = "scoring.yaml"
SHIPPED_CONFIG: Final = Path(__file__).with_name("scoring.yaml")

FitOp = Literal["matches", "equals", "in", "gte", "gt", "lte", "lt", "exists"]
FIT_OPS: Final[tuple[FitOp, ...]] = ("matches", "equals", "in", "gte", "gt", "lte", "lt", "exists")


class FitRule(msgspec.Struct, frozen=True, kw_only=True):
    """Points when a trait holds: ``title matches /director|head/`` earns ``points``."""

    trait: str
    op: FitOp
    value: str | int | float | bool | tuple[str | int | float | bool, ...]
    points: float

    @property
    def id(self) -> str:
        shown = "/" + str(self.value) + "/" if self.op == "matches" else repr(self.value)
        return f"{self.trait} {self.op} {shown}"

    def pattern(self) -> re.Pattern[str]:
        return re.compile(str(self.value), re.IGNORECASE)


class EngagementRule(msgspec.Struct, frozen=True, kw_only=True):
    """Points for stage evidence whose track event (``events``) or page/screen name
    (``names``) is listed; the first matching rule wins."""

    id: str
    events: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    points: float


class Label(msgspec.Struct, frozen=True, kw_only=True):
    """A named qualification: score at least ``min_score`` and current stage at or after
    ``min_stage`` (in model order)."""

    name: str
    min_score: float
    min_stage: str | None = None


class AccountRules(msgspec.Struct, frozen=True, kw_only=True):
    """Account score = the sum of the ``top_members`` highest member engagement scores plus
    the account's fit (``fit`` rules over the account's traits)."""

    top_members: int = 3
    fit: tuple[FitRule, ...] = ()
    labels: tuple[Label, ...] | None = None
    """Default: the model's (or the product's) person labels."""


class ModelScoring(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    half_life_days: float = 14.0
    stage_weights: dict[str, float] = {}
    """Weight per stage name; a stage not listed weighs 1."""
    fit: tuple[FitRule, ...] = ()
    evidence_points: float = 1.0
    """Points of stage evidence no engagement rule names."""
    engagement: tuple[EngagementRule, ...] = ()
    labels: tuple[Label, ...] = ()
    product_labels: dict[str, tuple[Label, ...]] = {}
    account: AccountRules = AccountRules()
    explain_top: int = 5
    """Contributions kept per score to explain it (the largest after decay)."""

    def labels_for(self, product: str, *, account: bool = False) -> tuple[Label, ...]:
        if account and self.account.labels is not None:
            return self.account.labels
        return self.product_labels.get(product, self.labels)


class ScoringConfig(msgspec.Struct, frozen=True, kw_only=True):
    models: tuple[ModelScoring, ...] = ()


def config_path(data_dir: Path) -> Path:
    """``scoring.yaml`` in the data directory when there is one, else the shipped file."""
    path = data_dir / CONFIG_FILENAME
    return path if path.exists() else SHIPPED_CONFIG
