"""Bulk import files: JSONL (one Segment message per line), CSV and Parquet.

Every record becomes the raw JSON of one Segment message with its line (or row) number, so
files are validated by exactly the same code as the HTTP API.

CSV and Parquet columns (documented in docs/ingest.md):
``type, event, name, category, userId|user_id, anonymousId|anonymous_id, messageId|message_id,
timestamp, sentAt|sent_at, groupId|group_id, previousId|previous_id``; JSON-text columns
``properties``, ``traits``, ``context``, ``integrations``; and dotted columns
``properties.<key>``, ``traits.<key>``, ``context.<a>.<b>`` which are set inside those objects.
Dotted CSV values that read as JSON numbers or booleans become numbers or booleans.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, Literal

import msgspec
import pyarrow.parquet as pq

from waymark.core.errors import ValidationError

FileFormat = Literal["jsonl", "csv", "parquet"]
_ALIASES: Final[dict[str, str]] = {
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "message_id": "messageId",
    "sent_at": "sentAt",
    "group_id": "groupId",
    "previous_id": "previousId",
    "original_timestamp": "originalTimestamp",
}
_JSON_COLUMNS: Final = ("properties", "traits", "context", "integrations")
_encode = msgspec.json.Encoder().encode


class RawRecord(msgspec.Struct, frozen=True):
    line: int
    raw: bytes


class RecordError(msgspec.Struct, frozen=True):
    line: int
    message: str
    raw: str


Chunk = tuple[list[RawRecord], list[RecordError]]
Progress = Callable[[int], None]


def detect_format(path: Path) -> FileFormat:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes or ".tsv" in suffixes:
        return "csv"
    if ".jsonl" in suffixes or ".ndjson" in suffixes or ".json" in suffixes:
        return "jsonl"
    raise ValidationError(
        f"cannot tell the format of {path.name}; name it .jsonl, .csv or .parquet, "
        "or pass --format",
        field="format",
    )


def read_chunks(
    path: Path, fmt: FileFormat, *, chunk_rows: int = 5000, progress: Progress | None = None
) -> Iterator[Chunk]:
    """Chunks of raw messages (and unreadable records) with their 1-based line numbers.
    ``progress`` is called with the number of bytes consumed so far."""
    if fmt == "jsonl":
        yield from _jsonl(path, chunk_rows, progress)
    elif fmt == "csv":
        yield from _csv(path, chunk_rows, progress)
    else:
        yield from _parquet(path, chunk_rows, progress)


def _jsonl(path: Path, chunk_rows: int, progress: Progress | None) -> Iterator[Chunk]:
    records: list[RawRecord] = []
    consumed = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            consumed += len(line)
            stripped = line.strip()
            if stripped:
                records.append(RawRecord(number, stripped))
            if len(records) >= chunk_rows:
                yield records, []
                records = []
                if progress:
                    progress(consumed)
    if records:
        yield records, []
    if progress:
        progress(consumed)


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text


def row_to_message(row: dict[str, Any], *, from_text: bool) -> dict[str, Any]:
    """One CSV/Parquet row as a Segment message dict (see the module docstring)."""
    message: dict[str, Any] = {}
    for column, value in row.items():
        if value is None or value == "" or column is None:
            continue
        name = column.strip()
        if name in _JSON_COLUMNS:
            if isinstance(value, str):
                try:
                    decoded = msgspec.json.decode(value)
                except (msgspec.DecodeError, RecursionError):  # msgspec: too deep = Recursion
                    raise ValidationError(f"column {name} is not valid JSON", field=name) from None
                existing = message.get(name, {})
                message[name] = {**decoded, **existing} if isinstance(decoded, dict) else decoded
            else:
                message[name] = value
        elif "." in name and name.split(".", 1)[0] in _JSON_COLUMNS:
            head, rest = name.split(".", 1)
            node = message.setdefault(head, {})
            if isinstance(node, dict):
                _set_path(node, rest, _scalar(value) if from_text else value)
        else:
            message[_ALIASES.get(name, name)] = value
    if "type" not in message and "event" in message:
        message["type"] = "track"
    return message


def _csv(path: Path, chunk_rows: int, progress: Progress | None) -> Iterator[Chunk]:
    records: list[RawRecord] = []
    errors: list[RecordError] = []
    with path.open("r", encoding="utf-8", newline="", errors="strict") as handle:
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(handle, dialect=dialect)
        try:
            for row in reader:
                line = reader.line_num
                try:
                    message = row_to_message(row, from_text=True)
                    records.append(RawRecord(line, _encode(message)))
                except ValidationError as exc:
                    errors.append(RecordError(line, exc.message, _row_text(row)))
                if len(records) + len(errors) >= chunk_rows:
                    yield records, errors
                    records, errors = [], []
                    if progress:
                        progress(handle.tell() if not handle.closed else 0)
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.append(RecordError(reader.line_num + 1, f"unreadable CSV: {exc}", ""))
    if records or errors:
        yield records, errors
    if progress:
        progress(path.stat().st_size)


def _row_text(row: dict[str, Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([v for v in row.values() if isinstance(v, str)])
    return buffer.getvalue().strip()


def _parquet(path: Path, chunk_rows: int, progress: Progress | None) -> Iterator[Chunk]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise ValidationError(f"{path.name} is not a readable Parquet file: {exc}") from None
    total_rows = parquet.metadata.num_rows or 1
    size = path.stat().st_size
    line = 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        records: list[RawRecord] = []
        errors: list[RecordError] = []
        for row in batch.to_pylist():
            line += 1
            try:
                records.append(RawRecord(line, _encode(row_to_message(row, from_text=False))))
            except (ValidationError, TypeError) as exc:
                errors.append(RecordError(line, str(exc), ""))
        yield records, errors
        if progress:
            progress(int(size * line / total_rows))
