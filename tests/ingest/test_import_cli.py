"""``waymark import`` for JSONL, CSV and Parquet: good rows kept, bad rows reported with their
line numbers and written to the rejects file, re-import adds nothing; also while a server
holds the data directory (then the CLI goes through its API and says so)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests._server import ServerProcess
from waymark.cli.main import cli
from waymark.core.events import Event
from waymark.store.duckdb.store import DuckDBStore


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    # The CLI reads credentials from the environment when set; keep the test's own clear.
    base = {"WAYMARK_DATA": None, "WAYMARK_WRITE_KEYS": None, "WAYMARK_ADMIN_TOKEN": None}
    return CliRunner().invoke(cli, list(args), env={**base, **(env or {})})


def import_json(path: Path, data: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    result = run("import", str(path), "--data", str(data), "--json", *extra, env=env)
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return json.loads(result.stdout)[0]


def stored(data: Path) -> list[Event]:
    store = DuckDBStore(data, read_only=True)
    try:
        return store.events.events_after(0, limit=100_000)
    finally:
        store.close()


def rejects_of(path: Path) -> list[dict[str, Any]]:
    rejects = path.with_name(path.name + ".rejects.jsonl")
    if not rejects.exists():
        return []
    return [json.loads(line) for line in rejects.read_text().splitlines()]


# -- JSONL: an invariant over generated files ------------------------------------------------


@dataclass(frozen=True)
class Row:
    good: bool
    text: str
    user: str | None = None


BAD_LINES = [
    "not json at all",
    '{"type": "track", "userId": "x"}',  # a track without event
    '{"type": "dance", "userId": "x"}',
    '{"event": "E"}',  # neither userId nor anonymousId
    '{"type": "track", "event": "E", "userId": "x", "timestamp": "tomorrow"}',
    "[1, 2, 3]",
    '{"type": "identify", "userId": "x", "traits": "not an object"}',
    '{"type": "track", "event": "E", "userId": "x", "messageId": "' + "m" * 120 + '"}',
]


@st.composite
def jsonl_rows(draw: st.DrawFn) -> list[Row]:
    rows: list[Row] = []
    for i, good in enumerate(draw(st.lists(st.booleans(), min_size=1, max_size=40))):
        if good:
            user = f"user-{i}"
            message: dict[str, Any] = {"type": "track", "event": "Viewed", "userId": user}
            if draw(st.booleans()):  # without messageId the stable hash must deduplicate
                message["messageId"] = f"m-{i}"
            if draw(st.booleans()):
                message["properties"] = {"i": i, "text": draw(st.text(max_size=20))}
            rows.append(Row(True, json.dumps(message), user))
        else:
            rows.append(Row(False, draw(st.sampled_from(BAD_LINES))))
        if draw(st.integers(0, 9)) == 0:
            rows.append(Row(False, "", None))  # blank lines are skipped, not rejected
    return rows


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=jsonl_rows())
def test_jsonl_import_keeps_good_rows_reports_bad_ones_and_reimport_adds_nothing(
    rows: list[Row],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        path.write_text("".join(r.text + "\n" for r in rows))
        data = Path(tmp) / "data"
        bad_lines = [n for n, r in enumerate(rows, start=1) if not r.good and r.text]
        good_users = sorted(r.user for r in rows if r.good and r.user)

        first = import_json(path, data)
        assert first["stored"] == len(good_users)
        assert first["rejected"] == len(bad_lines)
        assert [r["line"] for r in rejects_of(path)] == bad_lines
        for reject in rejects_of(path):
            assert reject["record"] == rows[reject["line"] - 1].text
            assert reject["code"].startswith("ingest.") and reject["message"]
        assert sorted(e.user_id or "" for e in stored(data)) == good_users

        again = import_json(path, data)
        assert again["stored"] == 0
        assert again["duplicates"] == len(good_users)
        assert len(stored(data)) == len(good_users)


def test_summary_names_bad_lines_on_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"type":"track","event":"A","userId":"u"}\nnope\n\n{"userId":"u"}\n')
    result = run("import", str(path), "--data", str(tmp_path / "data"))
    assert result.exit_code == 0, result.output
    assert "1 stored, 0 duplicates skipped, 2 rejected" in result.stdout
    assert "line 2: message is not valid JSON" in result.stdout
    assert "line 4: type must be one of" in result.stdout
    assert "read-write (no server holds it)" in " ".join(result.stderr.split())


# -- CSV with the documented columns ---------------------------------------------------------

CSV = """\
type,event,name,userId,anonymous_id,messageId,timestamp,properties,properties.price,traits.email,context.campaign.medium,context.channel
track,Order Completed,,u1,,c1,2026-01-05T10:00:00Z,"{""sku"": ""SKU-1""}",12.5,,cpc,
page,,Pricing,,anon-7,c2,2026-01-05T09:00:00Z,,,,,
identify,,,u1,,c3,,,,ann@example.com,,call_centre
track,,,u2,,c4,,,,,,
track,Clicked,,u3,,c5,,"{not json",,,,
track,Clicked,,,,c6,,,,,,
track,Clicked,,u4,,c7,not-a-time,,,,,
"""


def test_csv_import_maps_documented_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(CSV)
    data = tmp_path / "data"
    report = import_json(path, data)
    assert (report["stored"], report["rejected"]) == (3, 4)
    assert [r["line"] for r in rejects_of(path)] == [5, 6, 7, 8]
    events = {e.message_id: e for e in stored(data)}
    order = events["c1"]
    assert order.type == "track" and order.event == "Order Completed" and order.user_id == "u1"
    assert order.properties == {"sku": "SKU-1", "price": 12.5}  # JSON column + dotted number
    assert order.campaign == {"medium": "cpc"} and order.channel == "ads"
    assert order.timestamp == datetime(2026, 1, 5, 10, tzinfo=UTC)
    page = events["c2"]
    assert page.name == "Pricing" and page.anonymous_id == "anon-7" and page.channel == "web"
    who = events["c3"]
    assert who.traits == {"email": "ann@example.com"} and who.channel == "call_centre"

    again = import_json(path, data)
    assert (again["stored"], again["duplicates"], again["rejected"]) == (0, 3, 4)


def test_csv_without_message_ids_is_still_deduplicated(tmp_path: Path) -> None:
    path = tmp_path / "no-ids.csv"
    path.write_text("event,user_id,properties.n\nA,u1,1\nA,u1,2\nA,u1,1\n")
    data = tmp_path / "data"
    first = import_json(path, data)
    assert (first["stored"], first["duplicates"]) == (2, 1)  # rows 2 and 4 are the same
    assert import_json(path, data)["stored"] == 0


# -- Parquet ---------------------------------------------------------------------------------


def write_parquet(path: Path) -> None:
    table = pa.table(
        {
            "type": ["track", "track", "identify", "dance", "page"],
            "event": ["Bought", "Bought", None, None, None],
            "user_id": ["u1", None, "u2", "u3", "u4"],
            "message_id": ["p1", "p2", "p3", "p4", "p5"],
            "timestamp": pa.array(
                [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)] * 5, pa.timestamp("us", tz="UTC")
            ),
            "properties": pa.array(
                [{"sku": "S1", "qty": 2}, None, None, None, {"sku": None, "qty": None}],
                pa.struct([("sku", pa.string()), ("qty", pa.int64())]),
            ),
            "traits.email": [None, None, "b@example.com", None, None],
        }
    )
    pq.write_table(table, path)


def test_parquet_import_with_typed_and_nested_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    write_parquet(path)
    data = tmp_path / "data"
    report = import_json(path, data)
    assert (report["stored"], report["rejected"]) == (3, 2)
    assert [r["line"] for r in rejects_of(path)] == [2, 4]  # no user; unknown type
    events = {e.message_id: e for e in stored(data)}
    assert events["p1"].properties == {"sku": "S1", "qty": 2}
    assert events["p1"].timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert events["p3"].traits == {"email": "b@example.com"}
    assert import_json(path, data)["duplicates"] == 3


# -- while a server holds the data directory -------------------------------------------------


@pytest.mark.slow
def test_import_goes_through_the_server_that_holds_the_data(tmp_path: Path) -> None:
    # No tokens in the environment: the server writes credentials.json, the CLI reads it.
    server = ServerProcess(
        tmp_path / "data", env={"WAYMARK_ADMIN_TOKEN": "", "WAYMARK_WRITE_KEYS": ""}
    ).start()
    try:
        jsonl = tmp_path / "e.jsonl"
        jsonl.write_text(
            '{"type":"track","event":"A","userId":"srv","messageId":"s1"}\n'
            "broken\n"
            '{"type":"page","name":"Home","userId":"srv"}\n'
        )
        csv_path = tmp_path / "e.csv"
        csv_path.write_text(CSV)
        parquet = tmp_path / "e.parquet"
        write_parquet(parquet)

        for path, good, bad_lines in (
            (jsonl, 2, [2]),
            (csv_path, 3, [5, 6, 7, 8]),
            (parquet, 3, [2, 4]),
        ):
            result = run("import", str(path), "--data", str(server.data_dir), "--json")
            assert result.exit_code == 0, result.output
            said = " ".join(result.stderr.split())  # rich wraps long lines
            assert f"going through its API at {server.url}" in said
            report = json.loads(result.stdout)[0]
            assert (report["stored"], report["rejected"]) == (good, len(bad_lines))
            assert [r["line"] for r in rejects_of(path)] == bad_lines
            again = json.loads(
                run("import", str(path), "--data", str(server.data_dir), "--json").stdout
            )[0]
            assert (again["stored"], again["duplicates"]) == (0, good)

        token = json.loads((server.data_dir / "credentials.json").read_text())["admin_token"]
        with server.admin() as admin:
            admin.headers["Authorization"] = f"Bearer {token}"
            page = admin.get("/api/v1/events", params={"limit": 1000}).json()
        assert page["total_in_log"] == 2 + 3 + 3
    finally:
        server.stop()
    ids = [e.message_id for e in stored(server.data_dir)]
    assert len(ids) == len(set(ids)) == 8


def test_import_api_takes_json_records_and_text_records(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """What the CLI sends when a server holds the data: JSON records embedded as they are,
    malformed ones as text, each rejected by its own line."""
    body = {
        "source": "import",
        "records": [
            {"line": 1, "message": {"type": "track", "event": "A", "userId": "api-user"}},
            {"line": 2, "text": "{not json"},
            {"line": 3, "message": {"type": "track", "userId": "api-user"}},
        ],
    }
    response = client.post("/api/v1/import", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["stored"] == 1
    assert [r["index"] for r in reply["rejected"]] == [2, 3]
    # the request type must also describe itself in the OpenAPI document
    assert "/api/v1/import" in client.get("/openapi.json").json()["paths"]
