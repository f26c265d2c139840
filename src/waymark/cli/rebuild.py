"""``waymark rebuild``: recompute profiles, journeys and learned counts from the event log."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import console, data_option, load_settings, out
from waymark.core.errors import StoreLocked, TransientError
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore


@click.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def rebuild(data_dir: Path | None, as_json: bool) -> None:
    """Recompute identity, journeys, accounts, scores and decide's counts from the event log.

    Needs the data directory to itself: stop a running server first.
    """
    settings = load_settings(data_dir)
    try:
        store = DuckDBStore(settings.data_dir, dedupe_window=settings.dedupe_window)
    except StoreLocked as locked:
        raise TransientError(
            f"{locked.message}: rebuild needs the data directory to itself; stop the server first",
            code="store.locked",
        ) from None
    try:
        services = build_services(settings, event_log=store.events, stores=store.features())
        with console.status("rebuilding...") as status:
            summary = rebuild_derived(services, say=status.update)
    finally:
        store.close()
    if as_json:
        out.print_json(msgspec.json.encode(summary).decode())
        return
    table = Table(title=f"Rebuilt {settings.data_dir} from its event log", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in msgspec.structs.asdict(summary).items():
        shown = f"{value:,.2f} s" if name.endswith("seconds") else f"{value:,}"
        table.add_row(name.replace("_", " "), shown)
    out.print(table)


commands = [rebuild]
