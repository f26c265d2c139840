"""``waymark report ...`` on a data directory holding a simulated log: tables, CSV and JSON that
equal the engine's answers, and one-line errors naming file, line and field."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result

from tests.analytics._sim import World
from waymark.analytics.api import Analytics, LogSources, load_goals
from waymark.analytics.contracts import (
    AdvocacyReport,
    CohortsReport,
    FunnelQuery,
    FunnelResult,
    FunnelStep,
    HourglassReport,
    InsightsReport,
    TransitionsReport,
)
from waymark.cli.main import cli
from waymark.core.eventframe import arrow_to_events
from waymark.identity.api import IdentityConfig
from waymark.store.duckdb.store import DuckDBStore

pytestmark = pytest.mark.slow
CLEAN_ENV = dict.fromkeys(("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN"))


@pytest.fixture(scope="module")
def data(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "data"
    store = DuckDBStore(path)
    try:
        store.events.append(arrow_to_events(world.events.drop_columns(["profile_id"])))
    finally:
        store.close()
    return path


def run(data: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["report", *args, "--data", str(data)], env=CLEAN_ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_hourglass_json_equals_the_engine(data: Path, world: World) -> None:
    result = run(data, "hourglass", "--format", "json")
    assert result.exit_code == 0, result.output
    report = msgspec.json.decode(result.stdout, type=HourglassReport)
    # the CLI rebuilds identity (the data directory's settings: the defaults) and journeys
    store = DuckDBStore(data, read_only=True)
    try:
        sources = LogSources(store.events, [world.model], identity=IdentityConfig.default())
        # with the stage goals the data directory has: the shipped ones
        with Analytics(goals=load_goals(data, [world.model])) as engine:
            expected = engine.hourglass(sources.snapshot().journeys, as_of=report.as_of)
    finally:
        store.close()
    assert msgspec.to_builtins(report.products) == msgspec.to_builtins(expected.products)
    assert all(p.goals for p in report.products)


def test_hourglass_table_and_csv(data: Path, world: World) -> None:
    table = run(data, "hourglass", "--product", "genius-kit")
    assert table.exit_code == 0, table.output
    assert "genius-kit" in table.stdout and "evaluation" in table.stdout
    rows = list(csv.DictReader(io.StringIO(run(data, "hourglass", "--format", "csv").stdout)))
    assert len(rows) == 3 * len(world.model.stages)
    as_json = msgspec.json.decode(
        run(data, "hourglass", "--format", "json").stdout, type=HourglassReport
    )
    assert sum(int(r["customers"]) for r in rows) == sum(p.customers for p in as_json.products)
    assert {r["product"] for r in rows} == {p.product for p in as_json.products}


def test_funnel_from_yaml(data: Path, tmp_path: Path, world: World) -> None:
    definition = tmp_path / "funnel.yaml"
    definition.write_text(
        "steps:\n"
        "  - event: Product Viewed\n"
        "  - stage: purchase\n"
        "    model: hourglass\n"
        "window_seconds: 2592000\n"
        "breakdown: channel\n"
    )
    result = run(data, "funnel", str(definition), "--format", "json")
    assert result.exit_code == 0, result.output
    got = msgspec.json.decode(result.stdout, type=FunnelResult)
    query = FunnelQuery(
        steps=(FunnelStep(event="Product Viewed"), FunnelStep(stage="purchase", model="hourglass")),
        window_seconds=2_592_000,
        breakdown="channel",
    )
    store = DuckDBStore(data, read_only=True)
    try:
        view = LogSources(store.events, [world.model], identity=IdentityConfig.default()).snapshot()
        expected = Analytics().funnel(query, view.events, transitions=view.journeys.transitions)
    finally:
        store.close()
    assert got == expected
    assert got.steps[1].count > 0
    shown = run(data, "funnel", str(definition))
    assert "Product Viewed" in shown.stdout and "By channel" in shown.stdout


def test_funnel_definition_errors_name_file_line_and_field(data: Path, tmp_path: Path) -> None:
    definition = tmp_path / "bad.yaml"
    definition.write_text("steps:\n  - event: A\n  - stage: purchase\n")
    result = run(data, "funnel", str(definition))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert f"{definition}:3" in said and "steps[1]" in said and "Traceback" not in result.output


def test_other_reports(data: Path, world: World) -> None:
    moves = msgspec.json.decode(
        run(data, "transitions", "--format", "json").stdout, type=TransitionsReport
    )
    assert {link.kind for link in moves.links} >= {"enter", "forward", "skip"}
    assert sum(map(sum, moves.matrix)) == sum(link.count for link in moves.links)
    cohorts = msgspec.json.decode(
        run(data, "cohorts", "--period", "week", "--format", "json").stdout, type=CohortsReport
    )
    assert cohorts.cohorts and all(c.shares[cohorts.stages[0]] == 1.0 for c in cohorts.cohorts)
    todo = msgspec.json.decode(
        run(data, "insights", "--format", "json").stdout, type=InsightsReport
    )
    assert todo.insights
    table = run(data, "insights")
    assert todo.insights[0].product in table.stdout
    catalog = Path(__file__).parents[2] / "src/waymark/decide/catalogs/learning-kits.yaml"
    covered = run(data, "coverage", "--catalog", str(catalog), "--format", "csv")
    assert covered.exit_code == 0, covered.output
    assert covered.stdout.splitlines()[0] == "product,stage,customers,experiences,generic,gap"
    loop = msgspec.json.decode(
        run(data, "advocacy", "--format", "json").stdout, type=AdvocacyReport
    )
    assert loop.reviews > 0 and loop.survey_responses > 0
    assert "NPS" in run(data, "advocacy").stdout
    quality = run(data, "quality", "--format", "csv").stdout.splitlines()
    assert quality[0] == "measure,value" and quality[1].startswith("events,")
    effect = run(data, "effectiveness", "--days", "7", "--format", "json")
    assert effect.exit_code == 0 and '"days":7' in effect.stdout.replace(" ", "")
    missing = run(data, "coverage")
    assert missing.exit_code == 1 and "catalog" in missing.stderr


def test_goals_table_and_json(data: Path) -> None:
    result = run(data, "goals", "--format", "json")
    assert result.exit_code == 0, result.output
    report = msgspec.json.decode(result.stdout, type=HourglassReport)
    checks = [c for p in report.products for c in p.goals]
    assert checks and {c.status for c in checks} <= {"met", "missed", "no_data"}
    rows = list(csv.DictReader(io.StringIO(run(data, "goals", "--format", "csv").stdout)))
    assert len(rows) == len(checks)
    # misses first within each product
    for product in {r["product"] for r in rows}:
        statuses = [r["status"] for r in rows if r["product"] == product]
        assert statuses == sorted(statuses, key=lambda s: s != "missed")
    table = run(data, "goals")
    assert table.exit_code == 0 and "goals (hourglass)" in table.stdout
