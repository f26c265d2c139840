"""The whole app in process on a real socket: uvicorn in a background thread, so the Segment
SDK talks HTTP to it while the test holds the fake clock the services run on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from tests._server import ADMIN_TOKEN, WRITE_KEY, free_port
from waymark.api.app import create_app
from waymark.core.clock import Clock
from waymark.core.settings import Secret, Settings, WriteKey
from waymark.runtime.services import Services, build_services
from waymark.store.duckdb.store import DuckDBStore


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


def start_waymark(
    data_dir: Path, clock: Clock, environ: Mapping[str, str], port: int
) -> tuple[DuckDBStore, Services, AppServer]:
    """The DuckDB store, the services on the fake clock, and the app serving them on ``port``
    (the admin token and write key of ``tests._server``). Close the store after the app."""
    settings = Settings(
        data_dir=data_dir,
        write_keys=(WriteKey(WRITE_KEY, "e2e"),),
        admin_token=Secret(ADMIN_TOKEN),
    )
    store = DuckDBStore(settings.data_dir)
    services = build_services(
        settings, event_log=store.events, stores=store.features(), clock=clock, environ=environ
    )
    return store, services, AppServer(create_app(services), port).start()


def segment_client(url: str, errors: list[Exception]) -> Any:
    """The real Segment SDK in sync mode: a call has been accepted when it returns."""
    from segment.analytics import Client

    on_error: Callable[[Exception, Any], None] = lambda e, _: errors.append(e)  # noqa: E731
    return Client(WRITE_KEY, host=url, sync_mode=True, max_retries=0, on_error=on_error)
