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
from typing import Protocol


class Sink(Protocol):
    """What a bench module writes its figures into (``Report`` or ``ConsoleReport``)."""

    def section(self, title: str) -> None: ...
    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None: ...
    def note(self, text: str) -> None: ...


MARKER = "<!-- bench module: {name} -->"
_MARKER_PREFIX = "<!-- bench module: "


class Report:
    """Sections, tables and notes, grouped by the bench module that wrote them.

    Each module's block starts with a marker and its own run line (when, how long, which
    commit), so ``python -m bench.run scoring`` can replace one module's block in an existing
    results.md and keep the others, each still saying when it was measured.
    """

    def __init__(self) -> None:
        self._blocks: dict[str, list[str]] = {}
        self._current: list[str] = []
        self._module_started = time.perf_counter()

    def begin(self, module: str) -> None:
        """Start the block of one bench module (``bench.run`` calls it)."""
        self._current = self._blocks.setdefault(module, [])
        self._current.clear()
        self._module_started = time.perf_counter()

    def end(self, module: str) -> None:
        elapsed = time.perf_counter() - self._module_started
        self._blocks[module][:0] = [
            MARKER.format(name=module),
            "",
            f"*{module}: run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed:,.0f} s, "
            f"commit {_commit()}.*",
        ]

    def section(self, title: str) -> None:
        self._current += ["", f"## {title}", ""]

    def note(self, text: str) -> None:
        self._current += [text, ""]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        def cell(value: object) -> str:
            if isinstance(value, float):
                return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
            if isinstance(value, int):
                return f"{value:,}"
            return str(value)

        self._current.append("| " + " | ".join(headers) + " |")
        self._current.append("|" + "|".join("---" for _ in headers) + "|")
        for row in rows:
            self._current.append("| " + " | ".join(cell(v) for v in row) + " |")
        self._current.append("")

    def render(self, order: Sequence[str], kept: dict[str, str] | None = None) -> str:
        """The whole file: modules in ``order``, from this run or else ``kept`` from before."""
        head = [
            "# Waymark benchmarks",
            "",
            "Written by `make bench` (`python -m bench.run [module ...]` reruns some modules and "
            "keeps the others). Each module's block says when and at which commit it ran.",
            "",
            machine_info(),
            "",
            "Every figure below is measured side by side with its baseline in the same run; "
            "ratios compare the two within the run, which is what to trust on a noisy machine.",
        ]
        body: list[str] = []
        for name in order:
            if name in self._blocks:
                body += ["", *self._blocks[name]]
            elif kept and name in kept:
                body += ["", kept[name].rstrip("\n")]
        return "\n".join(head + body) + "\n"

    def write(self, path: Path, order: Sequence[str]) -> None:
        kept = read_blocks(path.read_text()) if path.exists() else {}
        path.write_text(self.render(order, kept))


def read_blocks(text: str) -> dict[str, str]:
    """The module blocks of an existing results.md, by module name."""
    blocks: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(_MARKER_PREFIX):
            if name is not None:
                blocks[name] = "\n".join(lines)
            name = line[len(_MARKER_PREFIX) :].removesuffix(" -->").strip()
            lines = [line]
        elif name is not None:
            lines.append(line)
    if name is not None:
        blocks[name] = "\n".join(lines)
    return blocks


class ConsoleReport:
    """Prints a module's report, for running one bench module by hand."""

    def section(self, title: str) -> None:
        print(f"\n## {title}\n")

    def note(self, text: str) -> None:
        print(f"{text}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        print(" | ".join(headers))
        for row in rows:
            print(" | ".join(f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row))


def _commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip()
            or "unknown"
        )
    except OSError:
        return "unknown"


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
    return f"Machine: {cpu}, {os.cpu_count()} cores, {mem} RAM; Python {platform.python_version()}."
