"""``waymark accounts list|show``: accounts (companies, schools, households) from group calls,
their stage per product, members with roles, and buying groups with missing roles.

Reads the data directory directly when no server holds it, else goes through the server's API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import msgspec
from rich.table import Table

from waymark.accounts.api import AccountsService
from waymark.accounts.api import config_for as accounts_config_for
from waymark.accounts.contracts import AccountPage, AccountView
from waymark.cli._common import (
    Remote,
    console,
    data_option,
    load_settings,
    open_local_or_remote,
    out,
)
from waymark.identity.api import StoredProfiles
from waymark.identity.api import config_for as identity_config
from waymark.journey.api import JourneyService
from waymark.journey.api import config_for as journeys_config
from waymark.runtime.contexts import trait_values
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.store import DuckDBStore


def local_accounts(target: DuckDBStore, data_dir: Path) -> AccountsService:
    """The accounts of a data directory no server holds (read-only)."""
    behind = target.events.max_seq() - target.accounts.checkpoint()
    if behind > 0:
        console.print(
            f"[yellow]accounts do not include the latest {behind} events yet "
            "(start the server, or rebuild, to bring them up to date)[/yellow]"
        )
    models = journeys_config(data_dir).load_models()
    journeys = JourneyService(models, store=DuckDBJourneyStore(target.db))
    profiles = StoredProfiles(DuckDBProfileStore(target.db), identity_config(data_dir))
    return AccountsService(
        accounts_config_for(data_dir, models),
        models,
        stages_of=journeys.states,
        traits_of=trait_values(profiles),
        store=target.accounts,
    )


def _ask(data_dir: Path | None, path: str, local: Any, answer: type[Any], **query: Any) -> Any:
    """The API's answer at ``path`` from a running server, else ``local(service)``."""
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        return msgspec.convert(target.get(path, **query), answer)
    try:
        return local(local_accounts(target, settings.data_dir))
    finally:
        target.close()


@click.group()
def accounts() -> None:
    """Accounts from group calls: stage per product, members, buying groups."""


@accounts.command("list")
@click.option("--stage", default=None, help="Only accounts at this stage.")
@click.option("--product", default=None, help="The product the stage is for (or any).")
@click.option("--model", default=None, help="The journey model (default: the first running).")
@click.option("--offset", default=0, type=click.IntRange(0), help="Accounts to skip.")
@click.option("--limit", default=50, type=click.IntRange(1, 500), help="Accounts to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@data_option
def list_accounts(
    *,
    stage: str | None,
    product: str | None,
    model: str | None,
    offset: int,
    limit: int,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """List accounts, optionally only those at a stage."""
    query = {"stage": stage, "product": product, "model": model, "offset": offset, "limit": limit}
    page: AccountPage = _ask(
        data_dir, "/api/v1/accounts", lambda s: s.page(**query), AccountPage, **query
    )
    if as_json:
        click.echo(msgspec.json.encode(page).decode())
        return
    table = Table(title=f"Accounts {offset + 1}-{offset + len(page.accounts)} of {page.total}")
    for column in ("id", "name", "kind", "members", "stage"):
        table.add_column(column, overflow="fold")
    for a in page.accounts:
        table.add_row(a.id, a.name or "-", a.kind or "-", str(a.members), a.stage or "-")
    out.print(table)


@accounts.command("show")
@click.argument("account_id")
@click.option("--history", is_flag=True, help="Also print each journey's stage changes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@data_option
def show_account(*, account_id: str, history: bool, as_json: bool, data_dir: Path | None) -> None:
    """One account: traits, members and roles, stage per product, buying groups."""
    view: AccountView = _ask(
        data_dir, f"/api/v1/accounts/{account_id}", lambda s: s.account(account_id), AccountView
    )
    if as_json:
        click.echo(msgspec.json.encode(view).decode())
        return
    _print(view, history)


def _print(view: AccountView, history: bool) -> None:
    out.print(f"[bold]{view.name or view.id}[/bold] ({view.kind or 'account'}, id {view.id})")
    for key, value in view.traits.items():
        out.print(f"  {key}: {value}")
    members = Table(title="Members")
    for column in ("profile", "role", "joined", "stages"):
        members.add_column(column, overflow="fold")
    for m in view.members:
        stages = ", ".join(f"{s.model}/{s.product}: {s.stage}" for s in m.stages)
        members.add_row(m.profile_id, m.role or "-", f"{m.joined_at:%Y-%m-%d}", stages or "-")
    out.print(members)
    journeys = Table(title="Account stage per product")
    for column in ("model", "product", "stage", "since", "rule", "missing roles"):
        journeys.add_column(column, overflow="fold")
    missing = {(g.model, g.product): g.missing for g in view.buying_groups}
    for j in view.journeys:
        gap = ", ".join(missing.get((j.model, j.product), ())) or "-"
        journeys.add_row(j.model, j.product, j.stage, f"{j.entered_at:%Y-%m-%d}", j.rule, gap)
    out.print(journeys)
    for g in view.buying_groups:
        table = Table(title=f"Buying group: {g.model} / {g.product} (at {g.stage})")
        for column in ("stage", "members", "roles", "needs", "missing"):
            table.add_column(column, overflow="fold")
        for s in g.stages:
            table.add_row(
                s.stage,
                str(len(s.members)),
                ", ".join(s.roles) or "-",
                ", ".join(s.needed) or "-",
                ", ".join(s.missing) or "-",
            )
        out.print(table)
    if history:
        for j in view.journeys:
            steps = Table(title=f"{j.model} / {j.product}")
            for column in ("at", "from", "to"):
                steps.add_column(column)
            for t in j.history:
                steps.add_row(f"{t.at:%Y-%m-%d %H:%M}", t.from_stage or "(entered)", t.to_stage)
            out.print(steps)


commands = [accounts]
