"""``waymark inspect``: what a data directory holds."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import Remote, data_option, load_settings, open_local_or_remote, out
from waymark.core.ports import LogStats


def _size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("waymark.duckdb*") if p.is_file())


@click.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect(data_dir: Path | None, as_json: bool) -> None:
    """Summarise a data directory: events by source and channel, time range, size."""
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        stats = msgspec.convert(target.get("/api/v1/inspect"), LogStats)
    else:
        try:
            stats = target.events.stats()
        finally:
            target.close()
    size = _size(settings.data_dir)
    if as_json:
        payload = {**msgspec.to_builtins(stats), "data_dir": str(settings.data_dir), "bytes": size}
        out.print_json(msgspec.json.encode(payload).decode())
        return
    table = Table(title=f"Waymark data in {settings.data_dir}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    span = f"{stats.first_event or '-'} / {stats.last_event or '-'}"
    table.add_row("events", f"{stats.events:,}")
    table.add_row("first / last event", span)
    table.add_row("by source", ", ".join(f"{k} {v:,}" for k, v in stats.by_source.items()) or "-")
    table.add_row("by channel", ", ".join(f"{k} {v:,}" for k, v in stats.by_channel.items()) or "-")
    table.add_row("database size", f"{size / 1e6:,.1f} MB")
    out.print(table)


commands = [inspect]
