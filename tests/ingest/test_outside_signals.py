"""Outside signals at the edge: through a real ``waymark serve`` over loopback and through
``waymark import``, validated with errors naming the property, stored, reported, and never
turned into a profile or a journey."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from tests._server import ServerProcess
from waymark.cli.main import cli
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.store.duckdb.store import DuckDBStore

T0 = datetime(2026, 2, 2, 9, tzinfo=UTC)
CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def signal(i: int, **props: Any) -> dict[str, Any]:
    base = {"kind": "press", "stage": "evaluation", "product": "genius-kit", "brand": "ours",
            "source": "techradar.com", "reach": 5000}  # fmt: skip
    return {
        "type": "track",
        "event": OUTSIDE_SIGNAL,
        "messageId": f"s{i}",
        "timestamp": _at(i),
        "properties": {**base, **props},
    }


def customer(i: int, user: str, event: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": user,
        "messageId": f"c{i}",
        "timestamp": _at(i),
        "properties": {"product_id": "genius-kit"},
    }


def test_signals_through_the_tracking_api(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        auth = (server.write_key, "")
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.url, timeout=60) as http:
            batch = [
                customer(1, "ann", "Product Viewed"),
                customer(2, "ann", "Trial Started"),
                customer(3, "bob", "Product Viewed"),
                signal(4),  # no ids at all: about no one
                signal(5, brand="rival-co", kind="review", anonymousId="g2"),
                # a partner referral naming a known customer, and one naming nobody known
                {**signal(6, kind="referral", brand="ours", source="partner-x"), "userId": "ann"},
                {**signal(7, kind="referral", source="partner-x"), "userId": "zoe"},
                signal(8, kind="gossip"),
                signal(9, sentiment=3),
                {**signal(10), "properties": {"kind": "press", "stage": "evaluation"}},
            ]
            r = http.post("/v1/batch", json={"batch": batch}, auth=auth)
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer["accepted"] == 7
            rejected = {x["index"]: x for x in answer["rejected"]}
            assert set(rejected) == {7, 8, 9}
            assert "properties.kind" in rejected[7]["message"]
            assert "press, review, social, comparison, referral" in rejected[7]["message"]
            assert "properties.sentiment" in rejected[8]["message"]
            assert "properties.product" in rejected[9]["message"]
            # a single /v1/track call is validated the same way
            one = http.post("/v1/track", json=signal(11, reach=-1), auth=auth)
            assert one.status_code == 400
            assert one.json()["code"] == "ingest.invalid_message"
            assert "properties.reach" in one.json()["message"]

            # no profile from a signal: zoe (only in a referral) is unknown; ann is one profile
            zoe = http.get("/api/v1/profiles/lookup", params={"user_id": "zoe"}, headers=admin)
            assert zoe.status_code == 404
            ann = http.get("/api/v1/profiles/lookup", params={"user_id": "ann"}, headers=admin)
            assert ann.status_code == 200 and ann.json()["event_count"] == 2
            # and no journey: only ann and bob are on the hourglass
            hourglass = http.get("/api/v1/analytics/hourglass", headers=admin).json()
            assert sum(p["customers"] for p in hourglass["products"]) == 2
            # journey quality counts customers' own events only, all of them recognised
            quality = http.get("/api/v1/analytics/quality", headers=admin).json()
            assert (quality["events"], quality["recognition_rate"]) == (3, 1.0)

            report = http.get("/api/v1/analytics/signals", params={"period": "day"}, headers=admin)
            assert report.status_code == 200, report.text
            body = report.json()
            assert body["signals"] == 4 and body["named"] == 1
            evaluation = {v["key"]: v for v in body["by_stage"]}["evaluation"]
            assert (evaluation["ours"], evaluation["total"]) == (3, 4)
            assert evaluation["competitors"] == {"rival-co": 1}
            bad = http.get("/api/v1/analytics/signals", params={"period": "year"}, headers=admin)
            assert bad.status_code == 400 and "period" in bad.json()["message"]
    finally:
        server.stop()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=CLEAN_ENV)


def test_signals_through_bulk_import(tmp_path: Path) -> None:
    path = tmp_path / "mentions.csv"
    columns = ["event", "messageId", "timestamp", "anonymousId", "properties.kind",
               "properties.stage", "properties.product", "properties.brand", "properties.source",
               "properties.reach"]  # fmt: skip
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerow([OUTSIDE_SIGNAL, "m1", _at(0), "", "press", "research", "genius-kit",
                         "ours", "wired.com", "12000"])  # fmt: skip
        writer.writerow([OUTSIDE_SIGNAL, "m2", _at(30), "", "comparison", "evaluation",
                         "genius-kit", "rival-co", "versus.com", ""])  # fmt: skip
        writer.writerow([OUTSIDE_SIGNAL, "m3", _at(50), "", "social", "", "genius-kit", "ours",
                         "x.com", "10"])  # fmt: skip
        writer.writerow(["Product Viewed", "m4", _at(60), "anon-1", "", "", "", "", "", ""])
    data = tmp_path / "data"
    imported = run("import", str(path), "--data", str(data), "--json")
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.stdout)[0]
    assert (summary["stored"], summary["rejected"]) == (3, 1)
    rejected = path.with_name(path.name + ".rejects.jsonl").read_text().splitlines()
    rejects = [json.loads(line) for line in rejected]
    assert rejects[0]["line"] == 4 and "properties.stage" in rejects[0]["message"]

    result = run("report", "signals", "--data", str(data), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["signals"] == 2
    assert [(v["key"], v["ours"], v["total"]) for v in report["by_stage"]] == [
        ("research", 1, 1),
        ("evaluation", 0, 1),
    ]
    assert report["by_stage"][0]["ours_reach"] == 12000
    table = run("report", "signals", "--data", str(data))
    assert table.exit_code == 0 and "association, not cause" in " ".join(table.stdout.split())


@pytest.mark.parametrize("bad", ["hourglass: [\n", "hourglass:\n  default: {stages: {x: {}}}\n"])
def test_report_goals_names_a_bad_goals_file(tmp_path: Path, bad: str) -> None:
    data = tmp_path / "data"
    DuckDBStore(data).close()
    (data / "goals.yaml").write_text(bad)
    result = run("report", "goals", "--data", str(data))
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the terminal may wrap the one line
    assert f"{data / 'goals.yaml'}:" in said and "Traceback" not in said
