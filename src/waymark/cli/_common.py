"""What every command shares: settings from the environment and flags, the data directory,
and the choice between opening the store here or going through a running server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
import msgspec
from rich.console import Console

from waymark.core.errors import ConfigError, StoreLocked, TransientError, WaymarkError
from waymark.core.settings import Secret, Settings, WriteKey
from waymark.store.duckdb.store import DuckDBStore

F = TypeVar("F", bound=Callable[..., Any])
SERVER_FILE = "server.json"
CREDENTIALS_FILE = "credentials.json"

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], timeout: float, *, poll: float = 0.1
) -> None:
    """Wait until the server ``proc`` started answers 200 on ``url``/healthz. Raises
    ``WaymarkError`` when it exits first or does not answer within ``timeout`` seconds (the
    demo, the benchmarks and the tests start servers and wait for them the same way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise WaymarkError(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise WaymarkError(f"the server did not answer on {url} within {timeout:.0f} s")


def data_option(fn: F) -> F:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path, file_okay=True),
        default=None,
        help="Data directory (default: $WAYMARK_DATA or ./waymark-data).",
    )(fn)


def load_settings(data_dir: Path | None, **overrides: object) -> Settings:
    return Settings.from_env(os.environ, data_dir=data_dir, **overrides)


def credentials(settings: Settings, *, create: bool) -> Settings:
    """Settings with a write key and admin token: from the environment, else from (or into)
    ``credentials.json`` in the data directory (mode 0600)."""
    if settings.write_keys and settings.admin_token:
        return settings
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise ConfigError(
            f"--data {settings.data_dir} is a file, not a directory", field="data_dir"
        )
    path = settings.data_dir / CREDENTIALS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}", field="credentials") from None
    elif create:
        stored = {"write_key": secrets.token_urlsafe(18), "admin_token": secrets.token_urlsafe(24)}
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror}", field="data_dir") from None
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
    changes: dict[str, Any] = {}
    if not settings.write_keys and stored.get("write_key"):
        changes["write_keys"] = (WriteKey(key=stored["write_key"], source="default"),)
    if settings.admin_token is None and stored.get("admin_token"):
        changes["admin_token"] = Secret(stored["admin_token"])
    return msgspec.structs.replace(settings, **changes) if changes else settings


class Remote:
    """A running server that holds the data directory; commands go through its API."""

    def __init__(self, url: str, pid: int | None, settings: Settings) -> None:
        self.url = url.rstrip("/")
        self.pid = pid
        token = settings.admin_token
        headers = {"Authorization": f"Bearer {token.reveal()}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=60.0)

    def get(self, path: str, **params: Any) -> Any:
        return self._check(
            self.client.get(path, params={k: v for k, v in params.items() if v is not None})
        )

    def post(self, path: str, body: bytes) -> Any:
        return self._check(
            self.client.post(path, content=body, headers={"Content-Type": "application/json"})
        )

    def close(self) -> None:
        self.client.close()

    def _check(self, response: httpx.Response) -> Any:
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200:
            message = payload.get("message") if isinstance(payload, dict) else None
            detail = message or response.text[:200]
            raise WaymarkError(f"server at {self.url} answered {response.status_code}: {detail}")
        return payload


def remote_for(settings: Settings, locked: StoreLocked) -> Remote:
    info_path = settings.data_dir / SERVER_FILE
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError):
        raise TransientError(
            f"{locked.message}, and it does not publish its address ({info_path} is missing); "
            "stop it or wait for it to finish",
            code="store.locked",
        ) from None
    return Remote(str(info["url"]), info.get("pid"), credentials(settings, create=False))


def open_local_or_remote(settings: Settings, *, read_only: bool) -> DuckDBStore | Remote:
    """The store in this process, or the server that holds it; says which on stderr."""
    try:
        store = DuckDBStore(
            settings.data_dir, read_only=read_only, dedupe_window=settings.dedupe_window
        )
    except StoreLocked as locked:
        remote = remote_for(settings, locked)
        console.print(
            f"[dim]a server (pid {remote.pid}) holds {settings.data_dir}; "
            f"going through its API at {remote.url}[/dim]"
        )
        return remote
    mode = "read-only" if read_only else "read-write"
    console.print(f"[dim]opened {settings.data_dir} {mode} (no server holds it)[/dim]")
    return store


def fail(message: str) -> None:
    raise click.ClickException(message)
