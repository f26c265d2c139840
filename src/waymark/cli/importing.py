"""``waymark import FILE...``: bulk import with a progress bar and a rejects file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import click
import msgspec
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from waymark.cli._common import (
    Remote,
    console,
    data_option,
    load_settings,
    open_local_or_remote,
    out,
)
from waymark.core.clock import SystemClock
from waymark.core.errors import ConfigError
from waymark.ingest.api import (
    FileFormat,
    IngestLimits,
    RawRecord,
    Rejection,
    detect_format,
    parse_records,
    read_chunks,
)
from waymark.store.duckdb.store import DuckDBStore

SHOWN_REJECTS = 5


class FileReport(msgspec.Struct):
    file: str
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    first_rejects: list[str] = []
    """The first few rejected lines, as ``line N: why``, for the terminal."""


def _wire_record(record: RawRecord) -> dict[str, object]:
    """A record for the server's import API. A line that is not well-formed JSON cannot be
    embedded as JSON (it would break the whole request), so it travels as text and the
    server rejects it by its line like any other bad record."""
    try:
        msgspec.json.decode(record.raw, type=msgspec.Raw)
    except (msgspec.DecodeError, RecursionError):
        return {"line": record.line, "text": record.raw.decode("utf-8", "replace")}
    return {"line": record.line, "message": msgspec.Raw(record.raw)}


def _send(
    target: DuckDBStore | Remote, records: list[RawRecord], source: str
) -> tuple[int, int, list[Rejection]]:
    if isinstance(target, Remote):
        body = msgspec.json.encode(
            {"source": source, "records": [_wire_record(r) for r in records]}
        )
        reply = target.post("/api/v1/import", body)
        rejected = [msgspec.convert(r, Rejection) for r in reply["rejected"]]
        return int(reply["stored"]), int(reply["duplicates"]), rejected
    parsed = parse_records(
        records, source=source, received_at=SystemClock().now(), limits=IngestLimits()
    )
    result = target.events.append(parsed.events, dedupe_all_time=True)
    return result.stored, result.duplicates, parsed.rejected


def import_file(
    target: DuckDBStore | Remote,
    *,
    path: Path,
    fmt: FileFormat,
    source: str,
    rejects: Path,
    progress: Progress,
) -> FileReport:
    report = FileReport(file=str(path))
    task = progress.add_task(path.name, total=path.stat().st_size)
    raws: dict[int, bytes] = {}
    with rejects.open("w") as rejects_out:
        for records, errors in read_chunks(
            path, fmt, progress=lambda n: progress.update(task, completed=n)
        ):
            bad = [(e.line, "ingest.unreadable_record", e.message, e.raw) for e in errors]
            if records:
                raws = {r.line: r.raw for r in records}
                stored, duplicates, rejected = _send(target, records, source)
                report.stored += stored
                report.duplicates += duplicates
                bad += [
                    (r.index, r.code, r.message, raws.get(r.index, b"").decode("utf-8", "replace"))
                    for r in rejected
                ]
            # in file order, so the rejects file reads alongside the input
            for line, code, message, raw in sorted(bad, key=lambda b: b[0]):
                report.rejected += 1
                if len(report.first_rejects) < SHOWN_REJECTS:
                    report.first_rejects.append(f"line {line}: {message}")
                rejects_out.write(
                    json.dumps({"line": line, "code": code, "message": message, "record": raw})
                    + "\n"
                )
    progress.update(task, completed=path.stat().st_size)
    if report.rejected:
        report.rejects_file = str(rejects)
    else:
        rejects.unlink(missing_ok=True)
    return report


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(get_args(FileFormat)),
    default=None,
    help="File format (default: from the file name).",
)
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Source name the events are recorded under (message ids are unique per source).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@data_option
def import_(
    files: tuple[Path, ...],
    fmt: FileFormat | None,
    source: str,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Import Segment messages from JSONL, CSV or Parquet files.

    Bad rows are reported with their line number and written to FILE.rejects.jsonl; good rows
    are kept. Importing the same file again adds nothing.
    """
    for path in files:
        if not path.is_file():
            raise ConfigError(f"no such file: {path}", field="FILES")
    formats = {path: fmt or detect_format(path) for path in files}
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=False)
    reports: list[FileReport] = []
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=as_json,
        ) as progress:
            for path in files:
                rejects = path.with_name(path.name + ".rejects.jsonl")
                reports.append(
                    import_file(
                        target,
                        path=path,
                        fmt=formats[path],
                        source=source,
                        rejects=rejects,
                        progress=progress,
                    )
                )
    finally:
        target.close()
    if as_json:
        out.print_json(msgspec.json.encode(reports).decode())
        return
    for r in reports:
        line = (
            f"{r.file}: {r.stored} stored, {r.duplicates} duplicates skipped, {r.rejected} rejected"
        )
        if r.rejects_file:
            line += f" (see {r.rejects_file})"
        out.print(line, markup=False)
        for shown in r.first_rejects:
            out.print(f"  {shown}", markup=False)
        if r.rejected > len(r.first_rejects):
            out.print(f"  ... {r.rejected - len(r.first_rejects)} more", markup=False)


commands = [import_]
