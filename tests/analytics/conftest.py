from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.analytics._sim import World, simulated_world
from waymark.analytics.api import Analytics


@pytest.fixture(scope="session")
def analytics() -> Iterator[Analytics]:
    """One engine for the session: opening DuckDB costs more than a small funnel."""
    with Analytics() as engine:
        yield engine


@pytest.fixture(scope="session")
def world() -> World:
    """A small simulated population through ingest, identity and the journey engine."""
    return simulated_world()
