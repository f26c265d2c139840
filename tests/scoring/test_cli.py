"""``waymark scores`` reading a data directory no server holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli.main import cli
from waymark.core.events import Event
from waymark.core.settings import Settings
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore

CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _event(n: int, name: str, type: str = "track", **fields: object) -> Event:
    when = T0 + timedelta(hours=n)
    return Event(
        message_id=f"m{n}",
        type=type,  # type: ignore[arg-type]
        event=name if type == "track" else None,
        timestamp=when,
        received_at=when,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "data"
    store = DuckDBStore(path)
    try:
        services = build_services(
            Settings(data_dir=path), event_log=store.events, stores=store.features()
        )
        kit = {"product_id": "kit"}
        store.events.append(
            [
                _event(1, "", type="identify", user_id="u1", traits={"title": "Head of IT"}),
                _event(2, "Demo Requested", user_id="u1", properties=kit),
                _event(
                    3, "", type="group", user_id="u1", group_id="acme", traits={"employees": 80}
                ),
            ]
        )
        services.pipeline.catch_up(store.events)
        assert services.identity is not None
        pid = services.identity.resolve("user_id", "u1")
        assert pid is not None
    finally:
        store.close()
    return path, pid


def test_scores_of_a_person_and_an_account(data: tuple[Path, str]) -> None:
    path, pid = data
    runner = CliRunner(env=CLEAN_ENV)
    at = (T0 + timedelta(hours=3)).isoformat(timespec="seconds").replace("+00:00", "")
    result = runner.invoke(cli, ["scores", pid, "--json", "--as-of", at, "--data", str(path)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    (score,) = body["scores"]
    assert score["product"] == "kit" and score["stage"] == "evaluation"
    assert score["fit"] == 15  # the shipped title rule
    assert score["contributions"][0]["rule"] == "demo or quote"
    account = runner.invoke(cli, ["scores", "acme", "--account", "--data", str(path)])
    assert account.exit_code == 0, account.output
    assert "Account acme" in account.stdout and "kit" in account.stdout


def test_an_unknown_profile_is_one_line(data: tuple[Path, str]) -> None:
    path, _ = data
    result = CliRunner(env=CLEAN_ENV).invoke(cli, ["scores", "nobody", "--data", str(path)])
    assert result.exit_code == 2
    assert "no profile 'nobody'" in result.output
    assert "Traceback" not in result.output
