"""Starting and stopping a real ``waymark serve`` (or another server) for a bench module."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests._server import free_port

from waymark.cli._common import wait_healthy as waymark_wait_healthy
from waymark.core.errors import WaymarkError

__all__ = ["free_port", "stop", "wait_healthy"]


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Wait until ``url``/healthz answers 200; fail with the server's log if it does not."""
    try:
        waymark_wait_healthy(url, proc, timeout)
    except WaymarkError as exc:
        raise RuntimeError(f"{exc}: {log.read_text()[-2000:]}") from None


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT first (uvicorn's graceful stop), then kill."""
    proc.send_signal(2)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
