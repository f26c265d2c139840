"""``waymark events``: the latest events, for a user or overall."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import Remote, data_option, load_settings, open_local_or_remote, out
from waymark.core.events import Event


def fetch_latest(
    settings_dir: Path | None, *, user_id: str | None, anonymous_id: str | None, limit: int
) -> list[Event]:
    target = open_local_or_remote(load_settings(settings_dir), read_only=True)
    try:
        if isinstance(target, Remote):
            page = target.get(
                "/api/v1/events", user_id=user_id, anonymous_id=anonymous_id, limit=limit
            )
            return msgspec.convert(page["events"], list[Event])
        return target.events.latest(
            user_ids=[user_id] if user_id else [],
            anonymous_ids=[anonymous_id] if anonymous_id else [],
            limit=limit,
        )
    finally:
        target.close()


def events_table(events: list[Event], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("time (UTC)", "channel", "what", "user", "anonymous", "properties"):
        table.add_column(column, overflow="fold")
    for e in events:
        props = ", ".join(f"{k}={v}" for k, v in list(e.properties.items())[:4])
        table.add_row(
            e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            e.channel,
            e.label,
            e.user_id or "",
            e.anonymous_id or "",
            props,
        )
    return table


@click.command()
@click.option("--user-id", default=None, help="Only this userId.")
@click.option("--anonymous-id", default=None, help="Only this anonymousId.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@data_option
def events(
    user_id: str | None, anonymous_id: str | None, limit: int, as_json: bool, data_dir: Path | None
) -> None:
    """Show the latest events, newest first."""
    found = fetch_latest(data_dir, user_id=user_id, anonymous_id=anonymous_id, limit=limit)
    if as_json:
        for e in found:
            click.echo(msgspec.json.encode(e).decode())
        return
    who = user_id or anonymous_id or "all users"
    out.print(events_table(found, f"Latest {len(found)} events for {who}"))


commands = [events]
