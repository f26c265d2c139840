"""Shared fixtures: an in-process app over a DuckDB store in tmp_path, and a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from tests._server import ADMIN_TOKEN, WRITE_KEY, ServerProcess
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Secret, Settings, WriteKey
from waymark.runtime.services import Services, build_services
from waymark.store.duckdb.store import DuckDBStore

# Properties stay random (they have found real bugs), but a failure must be reproducible from
# the CI log alone (print_blob), and wall-clock deadlines only measure how loaded the 2-core
# machine is: behaviour is tested here, speed in bench/.
hypothesis_settings.register_profile("waymark", deadline=None, print_blob=True)
hypothesis_settings.load_profile("waymark")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        write_keys=(WriteKey(WRITE_KEY, "test"),),
        admin_token=Secret(ADMIN_TOKEN),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(settings: Settings) -> Iterator[DuckDBStore]:
    s = DuckDBStore(settings.data_dir)
    yield s
    s.close()


@pytest.fixture
def services(settings: Settings, store: DuckDBStore, clock: FakeClock) -> Services:
    return build_services(settings, event_log=store.events, stores=store.features(), clock=clock)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """The whole ASGI app in process (lifespan included), no sockets."""
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``waymark serve`` on 127.0.0.1 with a fresh data directory."""
    proc = ServerProcess(tmp_path / "server-data").start()
    yield proc
    proc.stop()
