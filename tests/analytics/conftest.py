from __future__ import annotations

from collections.abc import Iterator

import pytest

from waymark.analytics.api import Analytics


@pytest.fixture(scope="session")
def analytics() -> Iterator[Analytics]:
    """One engine for the session: opening DuckDB costs more than a small funnel."""
    with Analytics() as engine:
        yield engine
