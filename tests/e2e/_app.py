"""The whole app in process on a real socket: uvicorn in a background thread, so the Segment
SDK talks HTTP to it while the test holds the fake clock the services run on."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette

from tests._server import free_port


class AppServer:
    def __init__(self, app: Starlette, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 30.0) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if not self._thread.is_alive():
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the app did not become healthy")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)
