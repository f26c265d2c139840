"""``waymark scores ID``: a customer's (or with ``--account``, an account's) lead scores per
product, the label each earns and the contributions behind it. Reads the data directory
directly when no server holds it, else goes through the server's API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import Remote, data_option, load_settings, open_local_or_remote, out
from waymark.runtime.services import build_services
from waymark.scoring.contracts import ScoreList
from waymark.scoring.errors import ScoringUnavailable


def _fetch(
    data_dir: Path | None, subject_id: str, account: bool, as_of: datetime | None
) -> ScoreList:
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    kind = "accounts" if account else "profiles"
    if isinstance(target, Remote):
        payload = target.get(
            f"/api/v1/{kind}/{subject_id}/scores", as_of=as_of.isoformat() if as_of else None
        )
        return msgspec.convert(payload, ScoreList)
    try:
        # read-only: no flows (the orchestrator writes its meta on start), only derived reads
        stores = dataclasses.replace(target.features(), flows=None)
        services = build_services(settings, event_log=target.events, stores=stores)
        if services.scoring is None:
            raise ScoringUnavailable("lead scoring is not set up")
        read = services.scoring.account if account else services.scoring.person
        return read(subject_id, as_of=as_of)
    finally:
        target.close()


def _print(found: ScoreList) -> None:
    title = f"{'Account' if found.subject == 'account' else 'Profile'} {found.id}"
    if not found.scores:
        out.print(f"{title}: no scores yet (no stage evidence)")
        return
    for s in found.scores:
        table = Table(
            title=f"{title} · {s.model} · {s.product}: {s.score:.1f} "
            f"(fit {s.fit:.1f} + engagement {s.engagement:.1f}) · stage {s.stage or '-'} · "
            f"{s.label or 'no label'}"
        )
        for column in ("points", "kind", "rule", "evidence", "stage", "when", "member"):
            table.add_column(
                column, overflow="fold", justify="right" if column == "points" else "left"
            )
        for c in s.contributions:
            table.add_row(
                f"{c.points:.1f}",
                c.kind,
                c.rule,
                c.evidence,
                c.stage or "-",
                c.at.strftime("%Y-%m-%d %H:%M") if c.at else "-",
                c.member or "-",
            )
        out.print(table)


@click.command()
@click.argument("subject_id", metavar="ID")
@click.option("--account", is_flag=True, help="ID is an account (a group id), not a profile.")
@click.option("--as-of", type=click.DateTime(), default=None, help="Decay to this time (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@data_option
def scores(
    subject_id: str, account: bool, as_of: datetime | None, as_json: bool, data_dir: Path | None
) -> None:
    """Lead scores per product: fit + stage-weighted, decaying engagement, label, reasons."""
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    found = _fetch(data_dir, subject_id, account, when)
    if as_json:
        out.print_json(msgspec.json.encode(found).decode())
        return
    _print(found)


commands = [scores]
