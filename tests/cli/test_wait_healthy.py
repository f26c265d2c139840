"""Waiting for a started server: a server that exits, or never answers, is an error that
says which (the demo, the benchmarks and the test servers all wait this way)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from waymark.cli._common import wait_healthy
from waymark.core.errors import WaymarkError


def _unused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_server_that_exits_first_is_reported_with_its_status() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait(30)
    with pytest.raises(WaymarkError, match="exited with status 3"):
        wait_healthy(_unused_url(), proc, 30)


def test_a_server_that_never_answers_times_out() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(WaymarkError, match=r"did not answer on .* within 1 s"):
            wait_healthy(_unused_url(), proc, 1.0, poll=0.05)
    finally:
        proc.kill()
        proc.wait(10)
