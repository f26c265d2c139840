"""``make bench``: run every benchmark module and write bench/results.md.

Each module in ``MODULES`` exposes ``run(report)``. ``python -m bench.run ingest identity``
runs only those and keeps the other modules' blocks already in results.md. A module that fails
is reported as failed; the others still run.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

from bench._report import Report

MODULES = (
    "ingest",
    "identity",
    "journey",
    "sim",
    "analytics",
    "decide",
    "orchestrate",
    "web",
    "scoring",
)


def main(argv: list[str]) -> int:
    wanted = argv or list(MODULES)
    report = Report()
    failed = 0
    out = Path(__file__).with_name("results.md")
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"bench: no bench/{name}.py yet, skipped", file=sys.stderr)
                continue
            raise
        print(f"bench: {name}...", file=sys.stderr, flush=True)
        report.begin(name)
        try:
            module.run(report)
        except Exception:
            failed += 1
            report.section(f"{name}: FAILED")
            report.note("```\n" + traceback.format_exc()[-3000:] + "\n```")
            traceback.print_exc()
        report.end(name)
        # written after every module, so a run cut short still keeps what it measured
        report.write(out, (*MODULES, *(w for w in wanted if w not in MODULES)))
        print(f"bench: wrote {out} ({name} done)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
