"""``waymark serve``: the HTTP server on the embedded store."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

import click
import uvicorn

from waymark.api.app import create_app
from waymark.cli._common import SERVER_FILE, console, credentials, data_option, load_settings
from waymark.core.errors import ConfigError
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                "(is another server running? pick another --port)",
                field="port",
            ) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8420, show_default=True, type=click.IntRange(1, 65535))
@data_option
@click.option(
    "--flows",
    "flows_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Folder of flow files (default: $WAYMARK_FLOWS or the shipped seed 000 flows).",
)
@click.option("--quiet", is_flag=True, help="Do not print the credentials banner.")
def serve(
    *, host: str, port: int, data_dir: Path | None, flows_dir: Path | None, quiet: bool
) -> None:
    """Run the tracking API, admin API and dashboard on the embedded store."""
    settings = credentials(load_settings(data_dir), create=True)
    environ = dict(os.environ)
    if flows_dir is not None:
        environ["WAYMARK_FLOWS"] = str(flows_dir)
    ensure_port_free(host, port)
    store = DuckDBStore(settings.data_dir, dedupe_window=settings.dedupe_window)
    server_file = settings.data_dir / SERVER_FILE
    try:
        services = build_services(
            settings, event_log=store.events, stores=store.features(), environ=environ
        )
        app = create_app(services)
        url = f"http://{host}:{port}"
        server_file.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        if not quiet:
            console.print(f"[bold]Waymark[/bold] serving {settings.data_dir} at {url}")
            console.print(f"  dashboard    {url}/")
            console.print(f"  API document {url}/openapi.json")
            token = settings.admin_token.reveal() if settings.admin_token else "(none)"
            console.print(f"  write key    {settings.write_keys[0].key}")
            console.print(f"  admin token  {token}")
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
        )
        uvicorn.Server(config).run()
    finally:
        server_file.unlink(missing_ok=True)
        store.close()


commands = [serve]
