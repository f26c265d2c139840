"""The dashboard in Debian's chromium against a real server fed through the tracking API.

Every test fails on any console error or uncaught page error (see the ``page`` fixture). Tests of
a page whose API another area has not shipped yet skip with the endpoint they wait for; the
empty states of those pages are tested instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.web._browser import CONTRAST_CHECK, Console, DashboardServer, sign_in
from tests.web._population import Population, recent_start, story_population

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "overview": "Overview",
    "customers": "Customers",
    "catalog": "Catalog",
    "flows": "Flows",
    "audiences": "Audiences",
    "privacy": "Privacy",
}


# one GET per feature the pages read, and the URL fragments of that feature's endpoints
FEATURES = {
    "/api/v1/analytics/insights": ("/api/v1/analytics/",),
    "/api/v1/profiles?query=a": ("/api/v1/profiles",),
    "/api/v1/journeys": ("/api/v1/journeys", "/journeys"),
    "/api/v1/decide/catalog": ("/api/v1/decide/", "/next-best-action", "/api/v1/audiences/"),
    "/api/v1/flows": ("/api/v1/flows", "/messages"),
}


def allow_features_not_set_up(console: Console, server: DashboardServer) -> None:
    """A feature the server runs without answers 400/503 ``<feature>.unavailable`` (and the
    browser logs the status); its sections say "not set up on this server" instead."""
    for probe, fragments in FEATURES.items():
        if server.not_set_up(probe):
            for fragment in fragments:
                console.allow(fragment)


@pytest.fixture(scope="module")
def population(dashboard_server: DashboardServer) -> Population:
    p = story_population()
    dashboard_server.send(p.messages(recent_start()))
    return p


def test_sign_in_keeps_the_token_out_of_urls_and_storage_but_the_tab(
    page: Page, console: Console, dashboard_server: DashboardServer
) -> None:
    requests: list[Request] = []

    def record(request: Request) -> None:  # playwright cannot wrap a bound builtin method
        requests.append(request)

    page.on("request", record)
    page.goto(f"{dashboard_server.url}/#/customers")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to Waymark"
    assert page.evaluate(CONTRAST_CHECK) == []

    console.allow("401")  # the wrong token is refused by the API on purpose
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Sign-in failed").wait_for()
    assert page.evaluate("sessionStorage.length") == 0

    page.get_by_label("Admin token").fill(dashboard_server.admin_token)
    page.get_by_role("button", name="Sign in").click()
    # back to the page that was asked for before signing in
    page.get_by_role("heading", level=1, name="Customers").wait_for()
    assert page.evaluate("Object.values(sessionStorage)") == [dashboard_server.admin_token]
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    api_calls = [r for r in requests if "/api/v1/" in r.url]
    assert api_calls
    for r in requests:
        assert dashboard_server.admin_token not in r.url
    good = [r for r in api_calls if r.headers.get("authorization", "").endswith("test-admin-token")]
    assert good, "API calls carry the token as a bearer header"

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", level=1, name="Sign in to Waymark").wait_for()
    assert page.evaluate("sessionStorage.length") == 0


def test_every_page_loads_without_a_console_error(
    page: Page, console: Console, dashboard_server: DashboardServer, population: Population
) -> None:
    allow_features_not_set_up(console, dashboard_server)
    sign_in(page, dashboard_server)
    for slug, title in PAGES.items():
        page.get_by_role("navigation", name="Main").get_by_role("link", name=title).click()
        page.get_by_role("heading", level=1, name=title).wait_for()
        link = page.get_by_role("navigation", name="Main").get_by_role("link", name=title)
        assert link.get_attribute("aria-current") == "page"
        # a hash route is no navigation, so wait for the page's own loading states to end
        page.wait_for_function("() => !document.querySelector('main .loading')")
        # every section shows content or a clear empty state, never nothing
        for body in page.locator(".section-body").all():
            assert body.inner_text().strip(), f"an empty section on {slug}"
        assert page.evaluate(CONTRAST_CHECK) == [], f"text below WCAG AA contrast on {slug}"


def test_reports_the_server_does_not_offer_show_empty_states_and_are_never_asked(
    page: Page, console: Console, dashboard_server: DashboardServer
) -> None:
    """Degrading gracefully: the page reads /openapi.json, so an endpoint the server does not
    declare is never requested (no 404 in the console) and its section says so. A feature that
    is declared but not configured answers ``<feature>.unavailable`` and reads "not set up"."""
    hidden = ("/api/v1/analytics/insights", "/api/v1/analytics/transitions")
    asked: list[str] = []

    def without_some_endpoints(route: Route) -> None:
        doc = route.fetch().json()
        for path in hidden:
            doc["paths"].pop(path, None)
        route.fulfill(json=doc)

    def cohorts_not_set_up(route: Route) -> None:
        body = {"code": "analytics.unavailable", "message": "analytics is not set up here"}
        route.fulfill(status=503, json=body)

    def record(request: Request) -> None:
        asked.append(request.url)

    page.on("request", record)
    page.route("**/openapi.json", without_some_endpoints)
    page.route("**/api/v1/analytics/cohorts*", cohorts_not_set_up)
    console.allow("503")  # the browser logs the status of the unconfigured feature
    sign_in(page, dashboard_server)
    page.wait_for_function("() => !document.querySelector('main .loading')")
    for path in hidden:
        note = page.get_by_role("note").filter(has_text=path)
        from playwright.sync_api import expect  # the module is imported only where Chromium runs

        expect(note).to_have_count(1)  # waits: sections fill in after the loading marker goes
        assert "not available on this server yet" in note.inner_text()
        assert not [url for url in asked if path in url], f"{path} was requested"
    cohorts = page.locator("#cohorts").get_by_role("note")
    assert "Cohorts: not set up on this server" in cohorts.inner_text()
    assert "analytics.unavailable" in cohorts.inner_text()
    # the rest of the page still works
    page.locator("article.hourglass-card").first.wait_for()


def test_the_live_event_rate_counts_what_the_tracking_api_accepted(
    page: Page, dashboard_server: DashboardServer, population: Population
) -> None:
    sign_in(page, dashboard_server)
    total = page.locator("#live-total-value")
    sent = len(population.messages(recent_start()))
    page.wait_for_function(
        "n => document.querySelector('#live-total-value')?.textContent.replace(/,/g, '') === n",
        arg=str(sent),
    )
    assert int(total.inner_text().replace(",", "")) == sent
    assert re.fullmatch(r"[\d.,]+ events/s", page.locator("#live-rate-text").inner_text())
    # whether the reports include everything accepted, from /healthz's reports_behind
    page.locator("#live-reports-behind").get_by_text(
        re.compile(r"Reports below (include every event received|lag the log by [\d,]+ events)")
    ).wait_for()
    if dashboard_server.offers("get", "/api/v1/inspect"):
        log = page.locator("#live .log-stats")
        log.get_by_text(f"{sent} events in the log").wait_for()
        counts = log.locator("ul.channel-counts li .count").all_inner_texts()
        assert sum(int(c.replace(",", "")) for c in counts) == sent


def test_keyboard_users_can_skip_to_content_and_move_between_pages(
    page: Page, dashboard_server: DashboardServer
) -> None:
    sign_in(page, dashboard_server)
    page.reload()  # start from the top of a freshly loaded page, as a keyboard user arrives
    page.get_by_role("heading", level=1, name="Overview").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("link", name="Customers").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Customers").wait_for()
    # focus lands on the new page, not on the old link
    page.wait_for_function("document.activeElement && document.activeElement.closest('main')")
    page.keyboard.type("customer001@example.com")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "customer-search"


def test_the_hourglass_shows_the_stage_counts_of_the_population(
    page: Page, dashboard_server: DashboardServer, population: Population
) -> None:
    if not dashboard_server.offers("get", "/api/v1/analytics/hourglass"):
        pytest.skip("waiting for GET /api/v1/analytics/hourglass (analytics, issue 8)")
    sign_in(page, dashboard_server)
    for product in ("genius-kit", "starter-kit"):
        card = page.locator(f"article.hourglass-card[data-product='{product}']")
        card.wait_for()
        card.locator("summary").click()
        shown = {
            row.get_attribute("data-stage"): int(
                row.locator("td").first.inner_text().replace(",", "")
            )
            for row in card.locator("tbody tr").all()
        }
        expected = population.expected_counts(product)
        assert {s: n for s, n in shown.items() if n} == dict(expected), product


def test_a_customer_search_opens_the_360_view(
    page: Page, console: Console, dashboard_server: DashboardServer, population: Population
) -> None:
    if not dashboard_server.offers("get", "/api/v1/profiles"):
        pytest.skip("waiting for GET /api/v1/profiles (identity, issue 4)")
    allow_features_not_set_up(console, dashboard_server)
    customer = next(c for c in population.customers if c.stage == "adoption")
    sign_in(page, dashboard_server, "#/customers")
    page.get_by_label("Find a customer").fill(customer.email)
    page.get_by_label("Find a customer").press("Enter")
    page.locator("#search-results").get_by_role(
        "link", name=re.compile(re.escape(customer.email))
    ).click()
    page.get_by_role("heading", level=1, name=customer.name).wait_for()
    identities = page.locator("table.identities-table")
    identities.wait_for()
    assert customer.email in identities.inner_text()
    assert customer.user_id in identities.inner_text()
    page.wait_for_function("() => !document.querySelector('main .loading')")
    timeline = page.locator("ol.timeline")
    if dashboard_server.offers("get", "/api/v1/profiles/{id}/events"):
        for event in ("Product Viewed", "Order Completed", "Order Delivered"):
            assert event in timeline.inner_text()


def test_a_funnel_can_be_built_and_shows_numbers(
    page: Page, dashboard_server: DashboardServer, population: Population
) -> None:
    if not dashboard_server.offers("post", "/api/v1/analytics/funnel"):
        pytest.skip("waiting for POST /api/v1/analytics/funnel (analytics, issue 8)")
    sign_in(page, dashboard_server)
    funnel = page.locator("#funnel")
    funnel.get_by_role("button", name="Show funnel").wait_for()
    steps = funnel.locator(".steps > li")
    steps.nth(0).get_by_label("Event name").fill("Product Viewed")
    steps.nth(0).get_by_label("Where (property=value)").fill("product_id=genius-kit")
    funnel.get_by_role("button", name="Add a step").click()
    steps.nth(2).get_by_label("Event name").fill("Order Completed")
    steps.nth(1).get_by_role("button", name="Remove").click()
    funnel.get_by_role("button", name="Show funnel").click()
    rows = funnel.locator("table.funnel-table tbody tr")
    rows.first.wait_for()
    counts = [int(r.locator("td").first.inner_text().replace(",", "")) for r in rows.all()]
    assert counts == [population.viewers("genius-kit"), population.purchasers("genius-kit")]


def _cells(page: Page, table: str, row_id: str) -> list[str]:
    row = page.locator(f"table.{table} tr[data-id='{row_id}']")
    return [c.strip() for c in row.locator("th, td").all_inner_texts()]


def _header(page: Page, table: str) -> list[str]:
    return [c.strip() for c in page.locator(f"table.{table} thead th").all_text_contents()]


def test_catalog_flows_and_audiences_show_their_recent_performance(
    page: Page, console: Console, dashboard_server: DashboardServer, population: Population
) -> None:
    if not dashboard_server.offers("get", "/api/v1/activity/catalog"):
        pytest.skip("waiting for GET /api/v1/activity/catalog")
    allow_features_not_set_up(console, dashboard_server)
    owner = next(c for c in population.customers if c.stage == "adoption")
    with dashboard_server.admin() as api:
        for _ in range(3):
            body = {"profile": {"user_id": owner.user_id}, "channel": "web", "count": 1}
            assert api.post("/api/v1/decide", json=body).status_code == 200
        flows = api.get("/api/v1/activity/flows").json()
        audiences = api.get("/api/v1/activity/audiences").json()
        catalog = api.get("/api/v1/activity/catalog").json()
    sign_in(page, dashboard_server, "#/audiences")
    page.locator("table.audiences-table").wait_for()
    page.wait_for_function("() => !document.querySelector('main .loading')")
    header = _header(page, "audiences-table")
    assert "Members now" in header, header
    # the page says when the sizes were counted (the server shares a count for a minute)
    from playwright.sync_api import expect  # the module is imported only where Chromium runs

    expect(page.locator("#list .hint").filter(has_text="Counted")).to_have_count(1)
    for row in audiences["audiences"]:
        cells = dict(zip(header, _cells(page, "audiences-table", row["name"]), strict=True))
        assert cells["Members now"] == f"{row['size']:,}", row
    owners = next(a for a in audiences["audiences"] if a["name"] == "kit-owners")
    # the population's buyers, counted by how it was built: every buyer has an e-mail
    bought = population.purchasers("genius-kit") + population.purchasers("starter-kit")
    assert owners["size"] == bought

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    page.locator("table.catalog-table").wait_for()
    page.wait_for_function("() => !document.querySelector('main .loading')")
    header = _header(page, "catalog-table")
    offered = 0
    for row in catalog["experiences"]:
        cells = dict(zip(header, _cells(page, "catalog-table", row["experience_id"]), strict=True))
        shown = int(cells["Offered"].split()[0].replace(",", ""))
        # decisions the flows make meanwhile may only add to what the page read
        assert shown >= row["treated"]["chosen"], (row, cells)
        offered += shown
    assert offered >= 3
    # waits: ECharts draws its canvas in a later frame than the table
    expect(page.locator(".activity-chart canvas")).to_have_count(1)
    # the window picker asks again over 30 days
    page.get_by_label("Performance over").select_option("30")
    page.get_by_role("columnheader", name="Decisions (30 d)").wait_for()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flows").click()
    page.locator("table.flows-table").wait_for()
    page.wait_for_function("() => !document.querySelector('main .loading')")
    header = _header(page, "flows-table")
    for row in flows["flows"]:
        cells = dict(zip(header, _cells(page, "flows-table", row["id"]), strict=True))
        assert int(cells["Runs started (7 d)"].replace(",", "")) >= row["started"], (row, cells)
    onboarding = next(f for f in flows["flows"] if f["id"] == "onboarding")
    assert onboarding["started"] == len([c for c in population.customers if c.stage == "adoption"])
    assert page.evaluate(CONTRAST_CHECK) == []
