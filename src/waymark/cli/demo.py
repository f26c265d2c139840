"""``waymark demo`` (``make demo``): a server on a fresh demo data directory, a simulated
population modelled on seed 000 streamed into it through the real tracking API, and the
dashboard URL with the admin token. Runs until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from waymark.cli._common import console, wait_healthy
from waymark.cli.serve import ensure_port_free
from waymark.core.errors import ConfigError, WaymarkError


def _free_port(host: str, preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        try:
            ensure_port_free(host, port)
        except ConfigError:
            continue
        return port
    raise ConfigError(f"no free port between {preferred} and {preferred + 49}", field="port")


@click.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=Path("waymark-demo"),
    show_default=True,
    help="Demo data directory (emptied at start).",
)
@click.option("--port", default=8420, show_default=True, type=click.IntRange(1, 65535))
@click.option("--customers", default=2000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--days", default=60, show_default=True, type=click.IntRange(1, 3650))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--exit-after-load", is_flag=True, help="Stop once the population is sent (tests).")
def demo(
    *, data_dir: Path, port: int, customers: int, days: int, seed: int, exit_after_load: bool
) -> None:
    """Start a server and stream a simulated population through it."""
    host = "127.0.0.1"
    port = _free_port(host, port)
    url = f"http://{host}:{port}"
    if data_dir.exists():
        if not (data_dir / "waymark.duckdb").exists() and any(data_dir.iterdir()):
            raise ConfigError(
                f"{data_dir} exists and is not a Waymark demo directory", field="data"
            )
        shutil.rmtree(data_dir)
    write_key, token = secrets.token_urlsafe(12), secrets.token_urlsafe(18)
    env = {**os.environ, "WAYMARK_WRITE_KEYS": f"{write_key}:demo", "WAYMARK_ADMIN_TOKEN": token}
    cli = [sys.executable, "-m", "waymark.cli"]
    server = subprocess.Popen(
        [*cli, "serve", "--host", host, "--port", str(port), "--data", str(data_dir), "--quiet"],
        env=env,
        # Ctrl-C reaches the demo alone, which then stops the server gracefully (below)
        start_new_session=True,
    )
    try:
        wait_healthy(url, server, 60.0)
        console.print(f"[bold]Waymark demo[/bold] running at {url}")
        console.print(f"  dashboard    [bold]{url}/[/bold]   (admin token: [bold]{token}[/bold])")
        console.print(
            f"  sending {customers:,} simulated customers over {days} days "
            "through the tracking API..."
        )
        sim = subprocess.run(
            [
                *cli,
                "simulate",
                "--customers",
                str(customers),
                "--days",
                str(days),
                "--seed",
                str(seed),
                "--send",
                url,
                "--write-key",
                write_key,
            ],
            env=env,
            check=False,
        )
        if sim.returncode != 0:
            raise WaymarkError(f"the simulator failed with status {sim.returncode}")
        console.print(f"  done. Dashboard: [bold]{url}/[/bold]  admin token: [bold]{token}[/bold]")
        if exit_after_load:
            return
        console.print("  press Ctrl-C to stop")
        while server.poll() is None:
            time.sleep(0.5)
        raise WaymarkError(f"the server exited with status {server.returncode}")
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()


commands = [demo]
