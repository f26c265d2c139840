"""Helpers for the dashboard's browser tests: the server, console capture, sign-in, screenshots."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests._server import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


class DashboardServer(ServerProcess):
    """A real ``waymark serve`` (through ``tests.web._serve``, which adds the dashboard)."""

    def start(self, timeout: float = 30.0) -> DashboardServer:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.web._serve", "serve"),
                    *("--port", str(self.port), "--data", str(self.data_dir), "--quiet"),
                    *self.args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not become healthy in {timeout}s: {self.log()}")

    def send(self, batch: list[dict[str, Any]]) -> None:
        """Events through the public tracking API, as a server SDK sends them."""
        r = httpx.post(
            f"{self.url}/v1/batch",
            json={"batch": batch},
            auth=(self.write_key, ""),
            timeout=30,
        )
        assert r.status_code == 200, r.text

    def offers(self, method: str, path: str) -> bool:
        paths = httpx.get(f"{self.url}/openapi.json", timeout=10).json()["paths"]
        return method.lower() in paths.get(path, {})


class Console:
    """Console errors, uncaught page errors and failed requests seen by a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning", "assert"):
            self.errors.append(f"console.{message.type}: {message.text} ({message.location})")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"page error: {error}")

    def allow(self, fragment: str) -> None:
        """Accept errors containing ``fragment`` (a test that provokes one on purpose)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


def sign_in(page: Page, server: DashboardServer, start: str = "#/overview") -> None:
    page.goto(f"{server.url}/{start}")
    page.get_by_label("Admin token").fill(server.admin_token)
    page.get_by_role("button", name="Sign in").click()
    page.locator("nav[aria-label=Main]").wait_for(state="visible")


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot for the docs (only when WAYMARK_SCREENSHOTS=1, so tests write nothing)."""
    if os.environ.get("WAYMARK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
