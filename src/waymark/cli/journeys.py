"""``waymark journeys``: where one customer stands on every journey model, per product; or,
with ``--model`` and no customer, how many customers are at each stage.

Looks the customer up by ``--email``, ``--user-id``, ``--anonymous-id``, ``--phone`` or
``--id``. Reads the data directory directly when no server holds it, else goes through the
server's API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import (
    Remote,
    console,
    data_option,
    load_settings,
    open_local_or_remote,
    out,
)
from waymark.core.errors import ValidationError
from waymark.identity.api import StoredProfiles
from waymark.identity.api import config_for as identity_config
from waymark.journey.api import JourneyService, config_for
from waymark.journey.contracts import JourneyView, StageCounts
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.store import DuckDBStore


class _Answer(msgspec.Struct):
    profile_id: str
    as_of: datetime
    journeys: list[JourneyView]


def _local_service(target: DuckDBStore, data_dir: Path) -> JourneyService:
    store = DuckDBJourneyStore(target.db)
    behind = target.events.max_seq() - store.checkpoint()
    if behind > 0:
        console.print(
            f"[yellow]journeys do not include the latest {behind} events yet "
            "(start the server, or rebuild, to bring them up to date)[/yellow]"
        )
    return JourneyService(config_for(data_dir).load_models(), store=store)


def _customer(
    data_dir: Path | None,
    key: tuple[str, str] | None,
    profile_id: str | None,
    model: str | None,
    as_of: datetime | None,
) -> _Answer:
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        if profile_id is None:
            assert key is not None
            profile_id = target.get("/api/v1/profiles/lookup", **{key[0]: key[1]})["id"]
        payload = target.get(
            f"/api/v1/profiles/{profile_id}/journeys",
            model=model,
            as_of=as_of.isoformat() if as_of else None,
        )
        return msgspec.convert(payload, _Answer)
    try:
        profiles = StoredProfiles(DuckDBProfileStore(target.db), identity_config(settings.data_dir))
        found = profiles.lookup(*key) if key is not None else profiles.profile(profile_id or "")
        service = _local_service(target, settings.data_dir)
        if model is not None:
            service.model(model)
        when = as_of or datetime.now(UTC)
        views = service.journeys(found.id, as_of=when)
        return _Answer(
            profile_id=found.id,
            as_of=when,
            journeys=[v for v in views if model is None or v.model == model],
        )
    finally:
        target.close()


def _counts(
    data_dir: Path | None, model: str, product: str | None, as_of: datetime | None
) -> StageCounts:
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        payload = target.get(
            f"/api/v1/journeys/{model}",
            product=product,
            as_of=as_of.isoformat() if as_of else None,
        )
        return msgspec.convert(payload, StageCounts)
    try:
        service = _local_service(target, settings.data_dir)
        return service.counts(model, product=product, as_of=as_of)
    finally:
        target.close()


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _print_customer(answer: _Answer, history: bool) -> None:
    if not answer.journeys:
        out.print(f"Profile {answer.profile_id} is not on any journey yet.")
        return
    table = Table(title=f"Journeys of {answer.profile_id} as of {_when(answer.as_of)}")
    for column in ("model", "product", "stage", "phase", "furthest", "since", "status", "moves"):
        table.add_column(column, overflow="fold")
    for j in answer.journeys:
        stage = f"{j.stage} ({j.level})" if j.level else j.stage
        table.add_row(
            j.model,
            "brand" if j.product == "*" else j.product,
            stage,
            j.phase.replace("_", "-"),
            j.furthest,
            _when(j.since),
            j.status.value,
            str(len(j.history)),
        )
    out.print(table)
    if not history:
        return
    for j in answer.journeys:
        steps = Table(title=f"{j.model} / {j.product}")
        for column in ("at", "from", "to", "event"):
            steps.add_column(column, overflow="fold")
        for t in j.history:
            steps.add_row(_when(t.at), t.from_stage or "(entered)", t.to_stage, t.message_id)
        out.print(steps)


def _print_counts(counts: StageCounts) -> None:
    title = f"{counts.model}" + (f" / {counts.product}" if counts.product else "")
    table = Table(title=f"{title} as of {_when(counts.as_of)}")
    statuses: list[str] = []
    for c in counts.counts:
        if c.status.value not in statuses:
            statuses.append(c.status.value)
    for column in ("stage", *statuses, "total"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    by_stage: dict[str, dict[str, int]] = {}
    for c in counts.counts:
        by_stage.setdefault(c.stage, {})[c.status.value] = c.count
    for stage, row in by_stage.items():
        table.add_row(stage, *(str(row.get(s, 0)) for s in statuses), str(sum(row.values())))
    out.print(table)


@click.command()
@click.option("--email", default=None, help="The customer's email (any case or spacing).")
@click.option("--user-id", default=None, help="The customer's userId.")
@click.option("--anonymous-id", default=None, help="One of the customer's anonymousIds.")
@click.option("--phone", default=None, help="The customer's phone number (any format).")
@click.option("--id", "profile_id", default=None, help="A profile id (merged ids work too).")
@click.option("--model", default=None, help="Only this model; alone, counts per stage.")
@click.option("--product", default=None, help="With --model alone: only this product.")
@click.option(
    "--as-of",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Status as of this UTC time (default now).",
)
@click.option("--history", is_flag=True, help="Also print every journey's transitions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@data_option
def journeys(
    *,
    email: str | None,
    user_id: str | None,
    anonymous_id: str | None,
    phone: str | None,
    profile_id: str | None,
    model: str | None,
    product: str | None,
    as_of: datetime | None,
    history: bool,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Show where a customer stands on every journey, per product (or stage counts)."""
    given = [
        (k, v)
        for k, v in {
            "email": email,
            "user_id": user_id,
            "anonymous_id": anonymous_id,
            "phone": phone,
        }.items()
        if v
    ]
    if len(given) + (profile_id is not None) > 1:
        raise ValidationError(
            "give one of --email, --user-id, --anonymous-id, --phone, --id", field="email"
        )
    when = as_of.replace(tzinfo=UTC) if as_of is not None else None
    if not given and profile_id is None:
        if model is None:
            raise ValidationError(
                "give a customer (--email, --user-id, --anonymous-id, --phone or --id), "
                "or --model for stage counts",
                field="email",
            )
        counts = _counts(data_dir, model, product, when)
        if as_json:
            click.echo(msgspec.json.encode(counts).decode())
        else:
            _print_counts(counts)
        return
    if product is not None:
        raise ValidationError("--product goes with --model alone (stage counts)", field="product")
    answer = _customer(data_dir, given[0] if given else None, profile_id, model, when)
    if as_json:
        click.echo(msgspec.json.encode(answer).decode())
        return
    _print_customer(answer, history)


commands = [journeys]
