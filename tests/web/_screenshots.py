"""The README's screenshots, from a simulated seed-000 population (not a test).

    .venv/bin/python -m tests.web._screenshots [--customers 1500]

Starts a server with the dashboard on a fresh data directory, streams ``waymark simulate``'s
population through the tracking API (the Segment SDK), lets a website ask decide for its
customers' pages and report views and clicks (so the catalog view has recent performance), then
saves the main pages with Debian's chromium into docs/screenshots/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import FloatRect, Page, sync_playwright

from tests.web._browser import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, DashboardServer

WAIT_MS = 120_000


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('main .loading')")
    page.wait_for_timeout(600)  # chart animations


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = DashboardServer(Path(tmp) / "data").start(timeout=180)
        try:
            subprocess.run(
                [
                    *(sys.executable, "-m", "waymark.cli", "simulate"),
                    *("--customers", str(args.customers), "--days", str(args.days)),
                    *("--seed", "7", "--send", server.url, "--write-key", server.write_key),
                ],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            with server.admin() as client:
                # the pipeline works through what was just sent before reports are complete
                while client.get("/api/v1/inspect").elapsed.total_seconds() > 0.2:
                    time.sleep(1)
                profiles = client.get("/api/v1/profiles", params={"query": "a", "limit": 200})
                ranked = sorted(profiles.json()["profiles"], key=lambda p: -p["event_count"])
                shown = next((p for p in ranked[:40] if _full_story(client, p["id"])), ranked[0])
                _website_visits(server, client, [p for p in ranked if p.get("user_id")])
                counted = client.get("/api/v1/activity/audiences").elapsed.total_seconds()
                print(f"audiences counted in {counted:.2f} s")
            shoot(server, shown)
        finally:
            server.stop()


def _website_visits(
    server: DashboardServer, client: httpx.Client, profiles: list[dict[str, str]]
) -> None:
    """What a website does on each page view: ask decide for the page's content, then report
    what was seen and (every fourth offer, a made-up but steady rate) clicked."""
    feedback: list[dict[str, object]] = []
    for i, profile in enumerate(profiles):
        for channel in ("web", "ads"):
            body = {"profile": {"id": profile["id"]}, "channel": channel, "count": 2}
            answer = client.post("/api/v1/decide", json=body).json()
            for k, offered in enumerate(answer.get("experiences", ())):
                props = {"decision_id": answer["decision_id"], "experience_id": offered["id"]}
                events = ["Experience Viewed"] + (
                    ["Experience Clicked"] if (i + k) % 4 == 0 else []
                )
                feedback += [
                    {"type": "track", "userId": profile["user_id"], "event": e, "properties": props}
                    for e in events
                ]
    server.send(feedback)


def _full_story(client: httpx.Client, profile_id: str) -> bool:
    """A customer with messages sent and something for the agent to offer."""
    messages = client.get(f"/api/v1/profiles/{profile_id}/messages")
    action = client.get(f"/api/v1/profiles/{profile_id}/next-best-action")
    return (
        messages.status_code == 200
        and bool(messages.json().get("messages"))
        and action.status_code == 200
        and bool(action.json().get("actions"))
    )


def shoot(server: DashboardServer, customer: dict[str, str]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 1100})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server.url}/")
        page.screenshot(path=str(SCREENSHOTS / "login.png"), clip=_clip(700))
        page.get_by_label("Admin token").fill(server.admin_token)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", level=1, name="Overview").wait_for()
        settle(page)
        page.screenshot(path=str(SCREENSHOTS / "overview.png"))
        page.locator("#funnel").get_by_role("button", name="Show funnel").click()
        page.locator("table.funnel-table").wait_for()
        page.wait_for_timeout(600)
        page.locator("#funnel").screenshot(path=str(SCREENSHOTS / "funnel.png"))
        page.goto(f"{server.url}/#/customers/{customer['id']}")
        settle(page)
        page.screenshot(path=str(SCREENSHOTS / "customer-360.png"))
        for name in ("catalog", "flows", "audiences"):
            page.goto(f"{server.url}/#/{name}")
            # a hash change is no load: wait for the new page's table before the loading marks
            page.locator(f"table.{name}-table").wait_for()
            settle(page)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), clip=_clip(900))
        browser.close()


def _clip(height: int) -> FloatRect:
    return {"x": 0, "y": 0, "width": 1360, "height": height}


if __name__ == "__main__":
    main()
