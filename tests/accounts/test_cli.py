"""``waymark accounts list|show`` reading a data directory no server holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner, Result

from waymark.cli.main import cli
from waymark.core.events import Event
from waymark.core.settings import Settings
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore

CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _event(n: int, user: str, day: int, **fields: Any) -> Event:
    when = T0 + timedelta(days=day)
    return Event(message_id=f"m{n}", user_id=user, timestamp=when, received_at=when, **fields)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    store = DuckDBStore(path)
    try:
        services = build_services(
            Settings(data_dir=path), event_log=store.events, stores=store.features()
        )
        kit = {"product_id": "kit"}
        batch = [
            _event(1, "bea", 0, type="identify", traits={"title": "Bursar"}),
            _event(2, "bea", 0, type="group", group_id="hill", traits={"name": "Hill School"}),
            _event(3, "tia", 0, type="group", group_id="hill", traits={"kind": "school"}),
            _event(4, "tia", 1, type="track", event="Quote Requested", properties=kit),
            _event(5, "zed", 1, type="group", group_id="acme", traits={"name": "Acme"}),
        ]
        result = store.events.append(batch)
        services.pipeline(
            [msgspec.structs.replace(e, seq=result.first_seq + i) for i, e in enumerate(batch)]
        )
        services.pipeline.flush()
    finally:
        store.close()
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=CLEAN_ENV)


def test_list_and_filter_by_stage(data: Path) -> None:
    result = run("accounts", "list", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert [a["id"] for a in json.loads(result.stdout)["accounts"]] == ["acme", "hill"]
    result = run("accounts", "list", "--stage", "justification", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    (hill,) = json.loads(result.stdout)["accounts"]
    assert (hill["id"], hill["name"], hill["members"], hill["stage"]) == (
        "hill",
        "Hill School",
        2,
        "justification",
    )
    table = run("accounts", "list", "--data", str(data))
    assert table.exit_code == 0, table.output
    assert "Hill School" in table.stdout


def test_show_an_account_with_its_buying_group(data: Path) -> None:
    result = run("accounts", "show", "hill", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert sorted(m["role"] for m in body["members"]) == ["finance", "user"]
    (group,) = [g for g in body["buying_groups"] if g["model"] == "hourglass"]
    # the bursar is finance but has no journey on the kit: finance is missing
    assert group["missing"] == ["finance", "decision_maker"]
    table = run("accounts", "show", "hill", "--history", "--data", str(data))
    assert table.exit_code == 0, table.output
    assert "Buying group" in table.stdout and "decision_maker" in table.stdout


def test_an_unknown_account_is_one_line_without_traceback(data: Path) -> None:
    result = run("accounts", "show", "nope", "--data", str(data))
    assert result.exit_code == 2  # a terminal error: asking again will not help
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == ["error: no account 'nope'"]
    assert "Traceback" not in result.output


def test_report_accounts(data: Path) -> None:
    result = run("report", "accounts", "--data", str(data), "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout[result.stdout.index("{") :])
    (kit,) = body["products"]
    counts = {s["stage"]: (s["accounts"], s["reached"], s["members"]) for s in kit["stages"]}
    assert counts["justification"] == (1, 1, 1)
    assert counts["research"] == (0, 1, 0)
    table = run("report", "accounts", "--data", str(data))
    assert table.exit_code == 0, table.output
    assert "Members per stage, by account" in table.stdout
