"""Helpers for the dashboard's browser tests: the server, console capture, sign-in, contrast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests._server import ServerProcess
from waymark.cli._common import wait_healthy
from waymark.core.errors import WaymarkError

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class DashboardServer(ServerProcess):
    """A real ``waymark serve`` (the app serves the dashboard itself)."""

    def start(self, timeout: float = 120.0) -> DashboardServer:
        # generous: on a loaded 2-core machine the server's imports alone can take 40 s
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "waymark.cli", "serve"),
                    *("--port", str(self.port), "--data", str(self.data_dir), "--quiet"),
                    *self.args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        try:
            wait_healthy(self.url, self.proc, timeout, poll=0.05)
        except WaymarkError as exc:
            raise RuntimeError(f"{exc}: {self.log()}") from None
        return self

    def send(self, batch: list[dict[str, Any]]) -> None:
        """Events through the public tracking API, as a server SDK sends them."""
        r = httpx.post(
            f"{self.url}/v1/batch",
            json={"batch": batch},
            auth=(self.write_key, ""),
            timeout=30,
        )
        assert r.status_code == 200, r.text

    def not_set_up(self, path: str) -> bool:
        """The endpoint exists but its feature is not configured (``<feature>.unavailable``)."""
        with self.admin() as client:
            r = client.get(path)
        if r.status_code < 400 or "json" not in r.headers.get("content-type", ""):
            return False
        return str(r.json().get("code", "")).endswith(".unavailable")

    def offers(self, method: str, path: str) -> bool:
        r = httpx.get(f"{self.url}/openapi.json", timeout=10)
        assert r.status_code == 200, f"GET /openapi.json answers {r.status_code}: {r.text[:200]}"
        paths = r.json()["paths"]
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


# WCAG 2.x contrast of every visible text element against the first opaque background behind it
# (canvas charts excluded: their colours are set in charts.js). Returns the failures.
CONTRAST_CHECK = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a >= 0.99) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    if (el.closest(".sr-only, [hidden], noscript, option, datalist")) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height || !el.checkVisibility()) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      const text = node.textContent.trim().slice(0, 40);
      const colours = `${style.color} on rgb(${bg.r}, ${bg.g}, ${bg.b})`;
      failures.push(`${ratio.toFixed(2)}: "${text}" (${colours})`);
    }
  }
  return failures;
}
"""
