"""``waymark events --user-id X`` with and without a server holding the data directory, and
``waymark serve`` refusing a directory another server holds."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import msgspec
import pytest
from click.testing import CliRunner, Result

from tests._server import ServerProcess, free_port
from waymark.cli.main import cli
from waymark.core.events import Event

CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def said(result: Result) -> str:
    return " ".join(result.stderr.split())  # rich wraps long lines


def latest(data: Path, *args: str) -> tuple[list[Event], Result]:
    result = run("events", "--data", str(data), "--json", *args)
    assert result.exit_code == 0, result.output
    events = [msgspec.json.decode(line, type=Event) for line in result.stdout.splitlines()]
    return events, result


def seed(tmp_path: Path, data: Path) -> None:
    lines = [
        {"type": "track", "event": f"Step {i}", "userId": "alice", "messageId": f"a{i}",
         "timestamp": f"2026-01-0{i + 1}T12:00:00Z"}
        for i in range(3)
    ] + [
        {"type": "page", "name": "Home", "userId": "bob", "messageId": f"b{i}",
         "timestamp": f"2026-01-0{i + 4}T12:00:00Z"}
        for i in range(2)
    ]  # fmt: skip
    path = tmp_path / "seed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run("import", str(path), "--data", str(data))
    assert result.exit_code == 0, result.output


def test_events_without_a_server_reads_the_store_read_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(tmp_path, data)
    alice, result = latest(data, "--user-id", "alice")
    assert [e.message_id for e in alice] == ["a2", "a1", "a0"]  # newest first
    assert {e.user_id for e in alice} == {"alice"}
    assert "read-only (no server holds it)" in said(result)

    everyone, _ = latest(data, "--limit", "4")
    assert [e.message_id for e in everyone] == ["b1", "b0", "a2", "a1"]

    table = run("events", "--data", str(data), "--user-id", "bob")
    assert table.exit_code == 0
    assert "Latest 2 events for bob" in table.stdout and "page: Home" in table.stdout

    nobody, _ = latest(data, "--user-id", "carol")
    assert nobody == []


@pytest.mark.slow
def test_events_through_a_running_server_and_after_it_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(tmp_path, data)
    offline, _ = latest(data, "--user-id", "alice")
    # No tokens in the environment: the server keeps them in credentials.json for the CLI.
    server = ServerProcess(data, env={"WAYMARK_ADMIN_TOKEN": "", "WAYMARK_WRITE_KEYS": ""})
    server.start()
    try:
        online, result = latest(data, "--user-id", "alice")
        assert f"going through its API at {server.url}" in said(result)
        assert [msgspec.to_builtins(e) for e in online] == [msgspec.to_builtins(e) for e in offline]

        key = json.loads((data / "credentials.json").read_text())["write_key"]
        sent = httpx.post(
            f"{server.url}/v1/track",
            json={
                "userId": "alice",
                "event": "Live",
                "messageId": "live-1",
                "timestamp": "2026-01-10T00:00:00Z",
            },
            auth=(key, ""),
            timeout=30,
        )
        assert sent.status_code == 200, sent.text
        live, _ = latest(data, "--user-id", "alice", "--limit", "2")
        assert [e.message_id for e in live] == ["live-1", "a2"]

        # a second server on the same directory refuses, in one line
        second = run("serve", "--port", str(free_port()), "--data", str(data), "--quiet")
        assert second.exit_code == 1
        assert second.stderr.startswith("error: ") and "in use by another Waymark" in said(second)
    finally:
        server.stop()
    after, result = latest(data, "--user-id", "alice")
    assert [e.message_id for e in after] == ["live-1", "a2", "a1", "a0"]
    assert "no server holds it" in said(result)
