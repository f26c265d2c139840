"""The overview's stage-goals table and outside-signals panel in Debian's chromium, against a
real server fed through the tracking API (the ``page`` fixture fails on any console error)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.web._browser import DashboardServer, sign_in
from tests.web._population import PATHS, Population, recent_start, story_population
from waymark.core.signals import OUTSIDE_SIGNAL

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIGNAL_BRANDS = ("ours", "ours", "rival-co")


@pytest.fixture(scope="module")
def population(dashboard_server: DashboardServer) -> Population:
    p = story_population()
    start = recent_start()
    signals: list[dict[str, Any]] = [
        {
            "type": "track",
            "event": OUTSIDE_SIGNAL,
            "messageId": f"signal-{i}",
            "timestamp": (start + timedelta(minutes=i)).isoformat(),
            "properties": {
                "kind": "review",
                "stage": "evaluation",
                "product": "genius-kit",
                "brand": brand,
                "source": "g2.com",
            },
        }
        for i, brand in enumerate(SIGNAL_BRANDS)
    ]
    dashboard_server.send(p.messages(start) + signals)
    return p


def test_goals_table_shows_misses_first_with_the_actual(
    page: Page, dashboard_server: DashboardServer, population: Population
) -> None:
    sign_in(page, dashboard_server)
    rows = page.locator("#goals table.goals-table tbody tr")
    rows.first.wait_for()
    statuses = [r.get_attribute("data-status") for r in rows.all()]
    assert statuses == sorted(statuses, key=lambda s: {"missed": 0, "no_data": 1, "met": 2}[s])
    # purchase → adoption of genius-kit, from how the population is made (shipped goal: 60%)
    order = list(PATHS)
    at = [c for c in population.customers if c.product == "genius-kit"]
    purchased = sum(1 for c in at if order.index(c.stage) >= order.index("purchase"))
    adopted = sum(1 for c in at if c.stage == "adoption")
    row = (
        rows.filter(has_text="Purchase")
        .filter(has_text="conversion to next")
        .and_(page.locator("[data-product='genius-kit']"))
    )
    cells = row.locator("td").all_inner_texts()
    assert f"{adopted / purchased * 100:.1f}%".replace(".0%", "%") in cells
    assert ("Missed" if adopted / purchased < 0.6 else "Met") in cells


def test_signals_panel_shows_share_of_voice(
    page: Page, dashboard_server: DashboardServer, population: Population
) -> None:
    sign_in(page, dashboard_server)
    panel = page.locator("#signals")
    panel.locator("table.voice-table").wait_for()
    assert f"{len(SIGNAL_BRANDS)} signals" in panel.inner_text()
    ours = SIGNAL_BRANDS.count("ours")
    row = panel.locator("table.voice-table tbody tr").filter(has_text="Evaluation")
    share = f"{ours / len(SIGNAL_BRANDS) * 100:.1f}%"
    assert share in row.locator("td").all_inner_texts()
    assert "association, not a cause" in panel.inner_text()
    # signals are nobody's behaviour: the hourglass counts the customers only
    card = page.locator("article.hourglass-card[data-product='genius-kit']")
    card.locator("summary").click()
    shown = sum(
        int(r.locator("td").first.inner_text().replace(",", ""))
        for r in card.locator("tbody tr").all()
    )
    assert shown == population.viewers("genius-kit")
