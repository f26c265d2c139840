"""``waymark flows check``: valid folders print what each flow does; a mistake is one line
naming file, line and field, and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from waymark.orchestrate.api import shipped_flows_dir


def waymark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "waymark.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.mark.slow  # two interpreter start-ups
def test_check_the_shipped_flows_and_a_broken_one(tmp_path: Path) -> None:
    ok = waymark("flows", "check")
    assert ok.returncode == 0, ok.stderr
    shipped = len(list(shipped_flows_dir().glob("*.yaml")))
    assert f"{shipped} flows" in ok.stdout
    assert "an account becomes sales-qualified" in ok.stdout
    assert "3d after event Order Delivered" in ok.stdout
    (tmp_path / "bad.yaml").write_text(
        "id: bad\ntrigger: {event: A}\nsteps:\n  - id: x\n    wait: soon\n"
    )
    bad = waymark("flows", "check", str(tmp_path))
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {tmp_path / 'bad.yaml'}:5: steps[0].wait:")
    assert "Traceback" not in bad.stderr
