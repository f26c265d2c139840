"""A real ``waymark serve`` process on 127.0.0.1, for tests that need the whole server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from waymark.cli._common import wait_healthy
from waymark.core.errors import WaymarkError

WRITE_KEY = "test-write-key"
ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_key = WRITE_KEY
        self.admin_token = ADMIN_TOKEN
        self.env = {
            **os.environ,
            "WAYMARK_WRITE_KEYS": f"{WRITE_KEY}:test",
            "WAYMARK_ADMIN_TOKEN": ADMIN_TOKEN,
            **(env or {}),
        }
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 120.0) -> ServerProcess:
        # generous: without cached bytecode a start compiles every import (10-45 s on a busy
        # 2-core machine); it only matters when the server never comes up
        # the child keeps its own copy of the descriptor; ours must not leak
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "waymark.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data",
                    str(self.data_dir),
                    "--quiet",
                    *self.args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_healthy(self.url, self.proc, timeout, poll=0.05)
        except WaymarkError as exc:
            self.kill()  # a server that never came up must not outlive the test
            raise RuntimeError(f"{exc}: {self.log()}") from None
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )
