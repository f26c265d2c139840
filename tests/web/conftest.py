"""Fixtures for the dashboard: the app in process, a real server with the dashboard, and Debian's
chromium driven by Playwright with every console error collected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from starlette.testclient import TestClient

from tests.web._browser import CHROMIUM, CHROMIUM_ARGS, Console, DashboardServer
from waymark.api.app import create_app
from waymark.runtime.services import Services

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright


@pytest.fixture
def web_client(services: Services) -> Iterator[TestClient]:
    """The whole app, dashboard included, in process."""
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    server = DashboardServer(tmp_path_factory.mktemp("dashboard") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A fresh browser context (empty sessionStorage); fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    p = context.new_page()
    p.set_default_timeout(15000)
    p.on("console", console.on_console)
    p.on("pageerror", console.on_page_error)
    yield p
    context.close()
    assert console.unexpected() == []
