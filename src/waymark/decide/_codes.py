"""Exclusion codes: why an experience could not be chosen. Stable: the decision log and the
API show them, and dashboards count them."""

from __future__ import annotations

from typing import Final

CODES: Final[tuple[str, ...]] = (
    "eligible",
    "placement.other",
    "placement.not_requested",
    "date.outside_validity",
    "date.out_of_season",
    "stage.not_eligible",
    "suppress.after_purchase",
    "suppress.acquisition_interest",
    "suppress.consumed",
    "suppress.support_case",
    "consent.channel",
    "contact.quiet_hours",
    "cap.total",
    "cap.channel",
    "cap.experience",
    "conditions.not_met",
    "template.render_failed",
    "holdout.default_only",
)
"""Exclusion codes in the order the policies run; index 0 means eligible."""
CODE: Final = {c: i for i, c in enumerate(CODES)}
