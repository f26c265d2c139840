"""``waymark flows``: check a folder of flow files, or list the flows a running server has.

``waymark flows check [DIR]`` validates every flow file (default: the shipped seed 000 flows)
and prints what each one does; a mistake prints one line naming file, line and field and
exits 2. ``waymark flows list`` asks the server that holds the data directory."""

from __future__ import annotations

import os
from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import Remote, data_option, load_settings, open_local_or_remote, out
from waymark.core.errors import WaymarkError
from waymark.orchestrate.api import check_flows, shipped_flows_dir
from waymark.orchestrate.contracts import FlowList, FlowSummary


def flows_table(flows: list[FlowSummary], title: str, *, counts: bool = True) -> Table:
    table = Table(title=title)
    columns = ["flow", "trigger", "steps"]
    if counts:
        columns += ["active", "sent", "scheduled", "failed"]
    for column in columns:
        table.add_column(column, overflow="fold")
    for f in flows:
        row = [f.id if f.enabled else f"{f.id} (disabled)", f.trigger, "\n".join(f.steps)]
        if counts:
            row += [str(f.active), str(f.sent), str(f.scheduled), str(f.failed)]
        table.add_row(*row)
    return table


@click.group()
def flows() -> None:
    """Flows: what Waymark sends on its own, and when."""


@flows.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
def check(directory: Path | None) -> None:
    """Validate the flow files in DIRECTORY (default: the shipped example flows)."""
    folder = directory or shipped_flows_dir()
    found = check_flows(folder, environ=os.environ)
    out.print(flows_table(found, f"{len(found)} flows in {folder}: all valid", counts=False))


@flows.command("list")
@data_option
def list_flows(data_dir: Path | None) -> None:
    """The flows of the server that holds the data directory, with their counts."""
    target = open_local_or_remote(load_settings(data_dir), read_only=True)
    try:
        if not isinstance(target, Remote):
            raise WaymarkError(
                "no server holds this data directory; flows run inside `waymark serve` "
                "(use `waymark flows check` to validate files)"
            )
        listing = msgspec.convert(target.get("/api/v1/flows"), FlowList)
    finally:
        target.close()
    out.print(flows_table(listing.flows, f"{len(listing.flows)} flows on {target.url}"))


commands = [flows]
