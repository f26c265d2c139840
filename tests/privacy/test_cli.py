"""``waymark privacy export`` on a data directory no server holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from waymark.cli.main import cli
from waymark.core.events import Event
from waymark.core.settings import Settings
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _seed(data_dir: Path) -> None:
    store = DuckDBStore(data_dir)
    try:
        svc = build_services(
            Settings(data_dir=data_dir), event_log=store.events, stores=store.features()
        )
        store.events.append(
            [
                Event(
                    message_id="i1",
                    type="identify",
                    timestamp=T0,
                    received_at=T0,
                    user_id="u-77",
                    traits={"email": "Kim@Example.org", "plan": "kit"},
                ),
                Event(
                    message_id="t1",
                    type="track",
                    timestamp=T0,
                    received_at=T0,
                    user_id="u-77",
                    event="Order Completed",
                    properties={"product_id": "kit-1"},
                ),
                Event(
                    message_id="o1",
                    type="track",
                    timestamp=T0,
                    received_at=T0,
                    user_id="someone-else",
                    event="Order Completed",
                ),
            ]
        )
        svc.pipeline.catch_up(store.events)
        svc.pipeline.flush()
    finally:
        store.close()


def test_export_by_email_to_a_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _seed(data_dir)
    target = tmp_path / "kim.json"
    result = CliRunner().invoke(
        cli,
        [
            "privacy",
            "export",
            "--data",
            str(data_dir),
            "--email",
            "kim@example.org",
            "--out",
            str(target),
        ],
        env={"WAYMARK_DATA": None, "WAYMARK_ADMIN_TOKEN": None},
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(target.read_text())
    assert [e["message_id"] for e in doc["events"]] == ["i1", "t1"]
    assert doc["profile"]["traits"]["plan"]["value"] == "kit"
    assert "someone-else" not in target.read_text()


def test_export_needs_exactly_one_identifier(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["privacy", "export", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "exactly one" in result.output
