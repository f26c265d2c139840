"""``waymark journeys`` reading a data directory no server holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from waymark.cli.main import cli
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService, config_for
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.store import DuckDBStore

CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _event(n: int, name: str, day: int, **fields: object) -> Event:
    when = T0 + timedelta(days=day)
    return Event(
        message_id=f"m{n}", type="track", event=name, timestamp=when, received_at=when, **fields
    )  # type: ignore[arg-type]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    store = DuckDBStore(path)
    try:
        batch = [
            _event(1, "Product Viewed", 0, anonymous_id="a1", properties={"product_id": "kit"}),
            _event(
                2,
                "Order Completed",
                1,
                anonymous_id="a1",
                user_id="u1",
                traits={"email": "Ray@Example.com"},
                properties={"product_id": "kit"},
            ),
            _event(3, "Product Viewed", 2, user_id="u2", properties={"product_id": "other"}),
        ]
        result = store.events.append(batch)
        stored = [
            Event(
                **{**{f: getattr(e, f) for f in e.__struct_fields__}, "seq": result.first_seq + i}
            )
            for i, e in enumerate(batch)
        ]
        identity = IdentityService(store=DuckDBProfileStore(store.db))
        journeys = JourneyService(
            config_for(path).load_models(), store=DuckDBJourneyStore(store.db)
        )
        identity.subscribe(journeys.on_resolved)
        identity.observe(stored)
        identity.flush()
        journeys.flush()
    finally:
        store.close()
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=CLEAN_ENV)


def test_journeys_of_a_customer_by_email(data: Path) -> None:
    result = run("journeys", "--email", "ray@example.com", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    placed = {(j["model"], j["product"]): j["stage"] for j in body["journeys"]}
    assert placed[("hourglass", "kit")] == "purchase"
    assert placed[("value-journey", "kit")] == "convert"
    assert placed[("buy-own-advocate", "kit")] == "buy"
    table = run("journeys", "--user-id", "u1", "--data", str(data), "--history")
    assert table.exit_code == 0, table.output
    assert "purchase" in table.stdout
    assert "evaluation" in table.stdout  # the history


def test_stage_counts_with_model_alone(data: Path) -> None:
    result = run(
        "journeys", "--model", "hourglass", "--as-of", "2026-01-08", "--data", str(data), "--json"
    )
    assert result.exit_code == 0, result.output
    counts = {
        (c["stage"], c["status"]): c["count"]
        for c in json.loads(result.stdout)["counts"]
        if c["count"]
    }
    assert counts == {("evaluation", "active"): 1, ("purchase", "active"): 1}


def test_bad_input_is_one_line_exit_2(data: Path) -> None:
    result = run("journeys", "--data", str(data))
    assert result.exit_code == 2
    assert "give a customer" in result.output
    unknown = run("journeys", "--model", "nope", "--data", str(data))
    assert unknown.exit_code != 0
    assert "Traceback" not in unknown.output
