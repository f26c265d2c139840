"""The report every bench module writes into: sections, tables and notes, rendered to
bench/results.md with the machine it ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path


class Report:
    def __init__(self) -> None:
        self._lines: list[str] = []
        self._started = time.perf_counter()

    def section(self, title: str) -> None:
        self._lines += ["", f"## {title}", ""]

    def note(self, text: str) -> None:
        self._lines += [text, ""]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        def cell(value: object) -> str:
            if isinstance(value, float):
                return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
            if isinstance(value, int):
                return f"{value:,}"
            return str(value)

        self._lines.append("| " + " | ".join(headers) + " |")
        self._lines.append("|" + "|".join("---" for _ in headers) + "|")
        for row in rows:
            self._lines.append("| " + " | ".join(cell(v) for v in row) + " |")
        self._lines.append("")

    def render(self) -> str:
        head = [
            "# Waymark benchmarks",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` in "
            f"{time.perf_counter() - self._started:,.0f} s.",
            "",
            machine_info(),
            "",
            "Every figure below is measured in this run, side by side with its baseline; ratios "
            "compare the two within the run, which is what to trust on a noisy machine.",
        ]
        return "\n".join(head + self._lines) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.render())


def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, {mem} RAM; Python {platform.python_version()}; "
        f"commit {commit or 'unknown'}."
    )
