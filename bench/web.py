"""Dashboard: how long the overview and the customer pages take to be fully drawn in Debian's
chromium, next to loading a bare page from the same server in the same browser.

``run(report)`` calls ``report.section(title)``, ``report.table(headers, rows)`` and
``report.note(text)``. Run alone: ``.venv/bin/python -m bench.web``.

The server is the real app (uvicorn on 127.0.0.1, DuckDB store in a temporary folder) with the
dashboard routes, fed through the tracking API; the browser is started once and each page is
loaded several times, each in a fresh context: an empty HTTP cache, as on a first visit (the
worst case; a returning user revalidates by ETag). "Drawn" means every section has left its
loading state.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.routing import Route

from bench._report import ConsoleReport
from bench._report import Sink as Report
from waymark.api.app import create_app
from waymark.core.settings import Secret, Settings, WriteKey
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore
from waymark.web.routes import routes as web_routes

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WRITE_KEY = "bench-write-key"
TOKEN = "bench-admin-token"
REPEATS = 7
CUSTOMERS = 2000
DRAWN = "() => document.querySelector('main h1') && !document.querySelector('main .loading')"


@contextmanager
def serving(data: Path) -> Iterator[str]:
    settings = Settings(
        data_dir=data,
        write_keys=(WriteKey(WRITE_KEY, "bench"),),
        admin_token=Secret(TOKEN),
    )
    store = DuckDBStore(data)
    # the same composition as ``waymark serve`` (without SMTP or webhook settings)
    services = build_services(settings, event_log=store.events, stores=store.features(), environ={})
    app = create_app(services)
    if not any(isinstance(r, Route) and r.path == "/" for r in app.routes):
        app.router.routes.extend(web_routes())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        store.close()


def population(customers: int) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=7)
    events: list[dict[str, Any]] = []
    steps = ("Product Viewed", "Product Shared", "Order Completed", "Order Delivered")
    for i in range(customers):
        t = start + timedelta(seconds=i * 30)
        user = f"bench-{i}"
        product = ("genius-kit", "starter-kit")[i % 2]
        events.append(
            {
                "type": "identify",
                "userId": user,
                "messageId": f"{user}-id",
                "timestamp": t.isoformat(),
                "traits": {"email": f"{user}@example.com", "name": f"Bench {i}"},
            }
        )
        for j, event in enumerate(steps[: 1 + i % len(steps)]):
            events.append(
                {
                    "type": "track",
                    "userId": user,
                    "event": event,
                    "messageId": f"{user}-{j}",
                    "timestamp": (t + timedelta(seconds=j + 1)).isoformat(),
                    "properties": {"product_id": product},
                }
            )
    return events


def timed_loads(browser: Any, url: str, *, signed_in: bool, wait: str | None) -> list[float]:
    times = []
    for _ in range(REPEATS):
        context = browser.new_context()
        if signed_in:
            context.add_init_script(f"sessionStorage.setItem('waymark.adminToken', '{TOKEN}')")
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        if wait:
            page.wait_for_function(wait, timeout=60000)
        times.append((time.perf_counter() - t0) * 1000)
        context.close()
    return times


def run(report: Report) -> None:
    report.section("Dashboard: time until a page is fully drawn (Chromium, loopback)")
    if not CHROMIUM.exists():
        report.note(f"Skipped: {CHROMIUM} is missing (`make browser`).")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp) / "data") as url:
        events = population(CUSTOMERS)
        with httpx.Client(base_url=url, auth=(WRITE_KEY, ""), timeout=60) as client:
            for i in range(0, len(events), 500):
                client.post("/v1/batch", json={"batch": events[i : i + 500]}).raise_for_status()
        admin = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=admin, timeout=120) as client:
            found = client.get("/api/v1/profiles", params={"query": "bench-1@"}).json()
            profile_id = found["profiles"][0]["id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                rows = []
                base = timed_loads(browser, f"{url}/healthz", signed_in=False, wait=None)
                rows.append(["bare page (GET /healthz), baseline", statistics.median(base), 1.0])
                for name, fragment in (
                    ("sign-in page", "#/login"),
                    ("overview", "#/overview"),
                    ("customer search", "#/customers?q=bench-1"),
                    ("customer 360", f"#/customers/{profile_id}"),
                    ("catalog", "#/catalog"),
                ):
                    signed_in = name != "sign-in page"
                    times = timed_loads(
                        browser, f"{url}/{fragment}", signed_in=signed_in, wait=DRAWN
                    )
                    median = statistics.median(times)
                    rows.append([name, median, median / statistics.median(base)])
            finally:
                browser.close()
    report.table(["page", f"median of {REPEATS} loads (ms)", "× baseline"], rows)
    report.note(
        f"{len(events):,} events from {CUSTOMERS:,} customers in the store. A page's time "
        "includes every API call it makes (the overview asks for six reports); the HTTP cache "
        "is empty each time."
    )


if __name__ == "__main__":
    run(ConsoleReport())
