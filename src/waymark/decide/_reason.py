"""Reasons in plain words: why this experience, for this customer, now."""

from __future__ import annotations

from waymark.decide.config import NO_STAGE, Experience
from waymark.decide.contracts import Scored

_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd"}


def _ordinal(n: int) -> str:
    return _ORDINAL.get(n if n < 20 else n % 10, f"{n}th") if n not in (11, 12, 13) else f"{n}th"


def _where(exp: Experience, model: str, stage: str, product_name: str | None) -> str:
    if stage == NO_STAGE:
        about = f" {product_name}" if product_name else ""
        return f"the customer has not started a journey with{about or ' us'} yet"
    on = f" for {product_name}" if product_name else ""
    return f"the customer is at {stage}{on} ({model})"


def chosen_reason(
    exp: Experience,
    scored: Scored,
    *,
    model: str,
    product_name: str | None,
    clauses: list[str],
    rank: int,
    eligible: int,
) -> str:
    """One paragraph: what it is for, what about the customer made it eligible, how it ranked."""
    parts = [exp.why.strip().rstrip(".") + "." if exp.why.strip() else f"{exp.name or exp.id}."]
    because = [_where(exp, model, scored.stage, product_name), *clauses]
    parts.append("Chosen because " + "; ".join(because) + ".")
    parts.append(
        f"Ranked {_ordinal(rank)} of {eligible} eligible: propensity {scored.propensity:.3f}"
        f" x weight {scored.context_weight:g} x value {scored.value:g} x lever {scored.lever:g}"
        f" = {scored.score:.3f}."
    )
    return " ".join(parts)


def holdout_reason(exp: Experience, channel: str) -> str:
    return (
        f"{exp.why.strip().rstrip('.') or exp.name or exp.id}. The customer is in the holdout "
        f"group, which gets the default {channel} experience so uplift can be measured."
    )
