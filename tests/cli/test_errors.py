"""The real ``waymark`` entry point (a subprocess) answers bad paths, busy ports and corrupt
files with one clear ``error:`` line and a non-zero exit, never a traceback.

Every case runs in process through click's runner (an exception escaping the CLI's error
handling shows there as ``result.exception``); a few also run through the real entry point in
subprocesses, started together since each fresh interpreter takes a second or two.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli.main import cli


@dataclass(frozen=True)
class Case:
    args: list[str]
    exit_code: int
    says: str


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def cases(tmp: Path, busy_port: int) -> dict[str, Case]:
    (tmp / "a-file").write_text("not a directory")
    (tmp / "corrupt.parquet").write_bytes(b"PAR1 this is not really parquet")
    (tmp / "events.jsonl").write_text('{"type":"track","event":"E","userId":"u"}\n')
    (tmp / "notes.txt").write_text("hello")
    data = str(tmp / "data")
    return {
        "missing file": Case(
            ["import", str(tmp / "nope.jsonl"), "--data", data], 2, "no such file"
        ),
        "corrupt parquet": Case(
            ["import", str(tmp / "corrupt.parquet"), "--data", data],
            2,
            "corrupt.parquet is not a readable Parquet file",
        ),
        "unknown format": Case(
            ["import", str(tmp / "notes.txt"), "--data", data], 2, "cannot tell the format"
        ),
        "busy port": Case(
            ["serve", "--port", str(busy_port), "--data", data, "--quiet"],
            2,
            f"cannot listen on 127.0.0.1:{busy_port}",
        ),
        "import into a file": Case(
            ["import", str(tmp / "events.jsonl"), "--data", str(tmp / "a-file")],
            2,
            "is a file, not a directory",
        ),
        "events from a file": Case(
            ["events", "--data", str(tmp / "a-file")], 2, "is a file, not a directory"
        ),
        "serve on a file": Case(
            ["serve", "--port", "1", "--data", str(tmp / "a-file")],
            2,
            "is a file, not a directory",
        ),
        "events without data": Case(
            ["events", "--data", str(tmp / "empty")], 2, "no Waymark data in"
        ),
        # click's own usage errors: "Error: Invalid value for '--limit' ..." after a usage line
        "bad limit": Case(["events", "--limit", "0", "--data", data], 2, "'--limit'"),
    }


CASE_NAMES = [
    "missing file",
    "corrupt parquet",
    "unknown format",
    "busy port",
    "import into a file",
    "events from a file",
    "serve on a file",
    "events without data",
    "bad limit",
]


ENTRY_POINT_CASES = ["corrupt parquet", "busy port", "serve on a file"]
CLEAN_ENV = ("WAYMARK_DATA", "WAYMARK_WRITE_KEYS", "WAYMARK_ADMIN_TOKEN")


def check(expected: Case, outcome: Outcome) -> None:
    output = outcome.stdout + outcome.stderr
    assert "Traceback" not in output, output
    assert outcome.exit_code == expected.exit_code, output
    errors = [line for line in outcome.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, outcome.stderr
    assert expected.says in errors[0], errors[0]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_one_clear_error_line(tmp_path: Path, name: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        planned = cases(tmp_path, busy.getsockname()[1])
        assert sorted(planned) == sorted(CASE_NAMES)
        case = planned[name]
        result = CliRunner().invoke(cli, case.args, env=dict.fromkeys(CLEAN_ENV))
    # anything but SystemExit here is an exception that escaped the CLI's error handling
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    check(case, Outcome(result.exit_code, result.stdout, result.stderr))


@pytest.mark.slow
def test_the_installed_entry_point_prints_one_line(tmp_path: Path) -> None:
    """The same through ``python -m waymark.cli`` (``main()``), a few cases at once."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        planned = cases(tmp_path, busy.getsockname()[1])
        running = {
            name: subprocess.Popen(
                [sys.executable, "-m", "waymark.cli", *planned[name].args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=tmp_path,
            )
            for name in ENTRY_POINT_CASES
        }
        outcomes: dict[str, Outcome] = {}
        for name, proc in running.items():
            try:
                out, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            outcomes[name] = Outcome(proc.returncode, out, err)
    for name in ENTRY_POINT_CASES:
        check(planned[name], outcomes[name])
