"""``waymark simulate``: a population of customers with ground truth, written as Segment JSONL,
sent through the Segment SDK, and checked against what Waymark derives from it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from waymark.cli._common import console, out
from waymark.core.errors import WaymarkError
from waymark.sim import api
from waymark.sim.errors import SendFailed


class CheckFailed(WaymarkError):
    code = "sim.check_failed"


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def _share(value: float) -> str:
    return f"{100 * value:.2f}%"


def check_table(report: api.CheckReport, derived: api.Derived) -> Table:
    table = Table(title="Waymark against the ground truth", show_lines=False)
    for column in ("measure", "value", "goal"):
        table.add_column(column)
    ok = "[green]met[/green]"
    no = "[red]not met[/red]"

    def goal(value: float, target: float) -> str:
        return f"≥ {_share(target)} " + (ok if value >= target else no)

    table.add_row(
        "stage agreement, last day",
        _share(report.stage_agreement_end),
        goal(report.stage_agreement_end, 0.99),
    )
    table.add_row(
        "stage agreement, worst day",
        _share(report.stage_agreement_min),
        goal(report.stage_agreement_min, 0.97),
    )
    table.add_row(
        "false identity merges",
        str(report.false_merges),
        "0 " + (ok if report.false_merges == 0 else no),
    )
    table.add_row("identifiers linked to their person", _share(report.identifiers_linked), "")
    table.add_row("...of those the events make linkable", _share(report.linkable_linked), "")
    table.add_row("unlinkable identifiers kept apart", _share(report.unlinkable_kept_apart), "")
    table.add_row("journeys compared", str(report.pairs), "")
    table.add_row("people / profiles", f"{report.people} / {derived.profiles}", "")
    table.add_row("merges / refused merges", f"{derived.merges} / {derived.refused}", "")
    spent = ", ".join(f"{k} {v:.1f}s" for k, v in derived.seconds.items())
    table.add_row("time", spent, "")
    return table


@click.command()
@click.option("--customers", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--products", default=3, show_default=True, type=click.IntRange(1))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--preset",
    default="learning-kits",
    show_default=True,
    help="A shipped preset or a preset YAML file.",
)
@click.option("--model", default=None, help="Journey model to simulate (overrides the preset's).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write events.jsonl and truth/ here (the default when nothing else is asked).",
)
@click.option("--send", "send_url", default=None, help="Send to this tracking API (base URL).")
@click.option("--write-key", default=None, help="Write key for --send.")
@click.option("--check", is_flag=True, help="Compare Waymark's derived state with the truth.")
def simulate(
    *,
    customers: int,
    products: int,
    days: int,
    seed: int,
    preset: str,
    model: str | None,
    out_dir: Path | None,
    send_url: str | None,
    write_key: str | None,
    check: bool,
) -> None:
    """Simulate customers across channels, with ground truth (Segment messages as JSONL)."""
    if send_url and not write_key:
        raise click.UsageError("--send needs --write-key")
    if write_key and not send_url:
        raise click.UsageError("--write-key is only used with --send")
    if out_dir is None and not send_url and not check:
        out_dir = Path("waymark-sim")
    loaded = api.load_preset(preset, model=model)
    began = time.perf_counter()
    with console.status(f"simulating {customers} customers over {days} days"):
        population = api.simulate(
            loaded, customers=customers, products=products, days=days, seed=seed
        )
        truth = population.truth
    console.print(
        f"simulated {population.people} people ({customers} + referrals), "
        f"{population.size} events, {len(truth.transitions)} stage changes "
        f"in {time.perf_counter() - began:.1f}s"
    )
    if out_dir is not None:
        with _bar("writing", population.size) as advance:
            population.write(out_dir, progress=advance)
        console.print(
            f"wrote {out_dir / 'events.jsonl'} and the ground truth in {out_dir / 'truth'}"
        )
    if send_url and write_key:
        with _bar("sending", population.size) as advance:
            result = population.send(send_url, write_key, progress=advance)
        console.print(
            f"sent {result.sent} messages in {result.seconds:.1f}s "
            f"({result.sent / max(result.seconds, 1e-9):.0f}/s); failed: {result.failed}"
        )
        if result.failed:
            raise SendFailed(
                f"{result.failed} of {result.sent} messages were not delivered: "
                + "; ".join(result.errors)
            )
    if check:
        with _bar("checking", population.size) as advance:
            report, derived = population.check(received_at=datetime.now(UTC), progress=advance)
        out.print(check_table(report, derived))
        if out_dir is not None:
            (out_dir / "check.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
        if not report.meets():
            first = f": {report.examples[0]}" if report.examples else ""
            raise CheckFailed(f"the check's goals are not met{first}")


commands = [simulate]
