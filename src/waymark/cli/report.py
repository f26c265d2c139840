"""``waymark report``: journey analytics as readable tables, CSV or JSON.

    waymark report hourglass [--model hourglass] [--product P]
    waymark report funnel FUNNEL.yaml              (the API's funnel body, as YAML)
    waymark report transitions | cohorts | insights | coverage

Reads the data directory directly when no server holds it (identity and journeys are rebuilt
from the log, vectorised), else asks the server's analytics API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
import msgspec
from rich.table import Table

from waymark.accounts.contracts import AccountHourglass
from waymark.analytics.api import (
    Analytics,
    AnalyticsService,
    LogSources,
    content_items,
    load_funnel,
    load_goals,
)
from waymark.analytics.contracts import (
    AdvocacyReport,
    CohortsReport,
    ContentItem,
    CoverageReport,
    EffectivenessReport,
    FunnelResult,
    HourglassReport,
    InsightsReport,
    QualityReport,
    SignalsReport,
    TransitionsReport,
)
from waymark.cli._common import Remote, data_option, load_settings, open_local_or_remote, out
from waymark.cli.accounts import local_accounts
from waymark.core.clock import SystemClock
from waymark.core.errors import ValidationError
from waymark.decide.api import journey_stages, load_catalog_text
from waymark.identity.api import config_for
from waymark.journey.api import load_model

R = TypeVar("R")
Format = Literal["table", "csv", "json"]
Rows = list[list[object]]


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Readable tables, CSV rows or the API's JSON.",
    )(fn)
    fn = click.option(
        "--model",
        default="hourglass",
        show_default=True,
        help="Journey model: a shipped one by name or a YAML file (local data only).",
    )(fn)
    return data_option(fn)


def _catalog_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--catalog",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Decide catalog YAML whose experiences count as content (local data only).",
    )(fn)


def _content(catalog: Path | None) -> list[ContentItem] | None:
    if catalog is None:
        return None
    try:
        text = catalog.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {catalog}: {exc}", field="catalog") from None
    loaded = load_catalog_text(text, models=journey_stages(), name=str(catalog))
    return content_items(loaded.experiences)


@contextmanager
def _target(
    data_dir: Path | None, model: str, catalog: Path | None = None
) -> Iterator[AnalyticsService | Remote]:
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        try:
            yield target
        finally:
            target.close()
        return
    try:
        models = [load_model(model)]
        sources = LogSources(target.events, models, identity=config_for(settings.data_dir))
        content = _content(catalog)
        yield AnalyticsService(
            sources,
            clock=SystemClock(),
            engine=Analytics(goals=load_goals(settings.data_dir, models)),
            content=None if content is None else lambda: content,
            # built when asked for: only the account report reads it
            accounts=lambda m: local_accounts(target, settings.data_dir).stage_table(m),
        )
    finally:
        target.close()


def _report(
    data_dir: Path | None,
    model: str,
    kind: type[R],
    local: Callable[[AnalyticsService], R],
    remote: Callable[[Remote], Any],
    *,
    catalog: Path | None = None,
) -> R:
    with _target(data_dir, model, catalog) as target:
        if isinstance(target, Remote):
            return msgspec.convert(remote(target), kind)
        return local(target)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s >= 86_400:
        return f"{s // 86_400}d {s % 86_400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 60}m {s % 60}s" if s >= 60 else f"{seconds:.1f}s"


def _emit(
    fmt: Format, report: object, tables: Sequence[Table], header: list[str], rows: Rows
) -> None:
    if fmt == "json":
        out.print_json(msgspec.json.encode(report).decode())
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        for table in tables:
            out.print(table)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    table = Table(title=title)
    for i, column in enumerate(columns):
        # names stay whole; numbers are short
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def _goal_value(metric: str, value: float | None) -> str:
    return _duration(value) if metric.endswith("_time") else _pct(value)


def goal_rows(result: HourglassReport) -> tuple[list[Table], list[str], Rows]:
    """Each product's goals: target, actual, status and the gap (misses first)."""
    header = ["product", "stage", "metric", "target", "actual", "status", "gap", "customers"]
    rows: Rows = []
    tables: list[Table] = []
    for p in result.products:
        if not p.goals:
            continue
        ordered = sorted(p.goals, key=lambda g: g.status != "missed")
        rows += [
            [p.product, g.stage, g.metric, g.target, g.actual, g.status, g.gap, g.customers]
            for g in ordered
        ]
        cells = [
            [
                g.stage or "(all)",
                g.metric,
                _goal_value(g.metric, g.target),
                _goal_value(g.metric, g.actual),
                g.status,
                "" if g.status != "missed" else _goal_value(g.metric, g.gap),
                f"{g.customers:,}",
            ]
            for g in ordered
        ]
        columns = ["stage", "goal", "target", "actual", "status", "gap", "customers"]
        tables.append(_table(f"{p.title}: goals ({result.model})", columns, cells))
    return tables, header, rows


def signal_rows(result: SignalsReport) -> tuple[list[Table], list[str], Rows]:
    """Share of voice per period and stage, mentions, and the lag figures."""
    header = ["section", "key", "ours", "total", "share", "value_after", "value_other", "lift",
              "ci_low", "ci_high"]  # fmt: skip
    rows: Rows = []
    voice: list[Table] = []
    for section, shares in (("period", result.by_period), ("stage", result.by_stage)):
        rows += [[section, v.key, v.ours, v.total, v.share, None, None, None, None, None]
                 for v in shares]  # fmt: skip
        voice.append(
            _table(
                f"Share of voice by {section}",
                [section, "ours", "competitors", "total", "share", "reach share"],
                [
                    [
                        v.key,
                        v.ours,
                        ", ".join(f"{b} {n}" for b, n in v.competitors.items()),
                        v.total,
                        _pct(v.share),
                        _pct(v.reach_share),
                    ]
                    for v in shares
                ],
            )
        )
    rows += [["lag", x.stage, None, None, None, x.entries_after, x.entries_other, x.lift,
              x.ci_low, x.ci_high] for x in result.lag]  # fmt: skip
    lag = _table(
        f"Stage entries per day in the {result.days} days after a {result.brand} signal "
        "(association, not cause)",
        ["stage", "signal days", "after", "other days", "lift", "difference (95%)"],
        [
            [
                x.stage,
                x.signal_days,
                "-" if x.entries_after is None else f"{x.entries_after:.2f}",
                "-" if x.entries_other is None else f"{x.entries_other:.2f}",
                "-" if x.lift is None else f"{x.lift:.2f}x",
                "-"
                if x.difference is None
                else (
                    f"{x.difference:+.2f}"
                    + ("" if x.ci_low is None else f" ({x.ci_low:+.2f} to {x.ci_high:+.2f})")
                ),
            ]
            for x in result.lag
        ],
    )
    mentions = _table(
        f"Mentions ({result.signals:,} signals; {result.named:,} name a known customer)",
        ["stage", "product", "kind", "brand", "mentions", "reach", "sentiment"],
        [[m.stage, m.product, m.kind, m.brand, m.mentions, f"{m.reach:,.0f}",
          "-" if m.sentiment is None else f"{m.sentiment:+.2f}"] for m in result.mentions],
    )  # fmt: skip
    return [*voice, mentions, lag], header, rows


def _hourglass(data_dir: Path | None, model: str, product: str | None) -> HourglassReport:
    """The hourglass (with its stage goals), locally or from the server."""
    return _report(
        data_dir,
        model,
        HourglassReport,
        lambda a: a.hourglass(model=None, product=product),
        lambda r: r.get("/api/v1/analytics/hourglass", product=product),
    )


@click.group()
def report() -> None:
    """Journey analytics: hourglass, goals, funnels, transitions, cohorts, insights, coverage,
    signals."""


@report.command()
@click.option("--product", default=None, help="One product (default: every product).")
@_options
def hourglass(product: str | None, model: str, fmt: Format, data_dir: Path | None) -> None:
    """Customers per stage, conversion, time in stage, stalled and lapsed, per product."""
    result = _hourglass(data_dir, model, product)
    header = [
        "product",
        "stage",
        "customers",
        "stalled",
        "lapsed",
        "reached",
        "conversion",
        "median_seconds",
        "p90_seconds",
        "dropped",
    ]
    rows: Rows = []
    tables: list[Table] = []
    for p in result.products:
        mine: Rows = []
        for s in p.stages:
            rows.append(
                [
                    p.product,
                    s.stage,
                    s.customers,
                    s.stalled,
                    s.lapsed,
                    s.reached,
                    s.conversion_to_next,
                    s.median_seconds,
                    s.p90_seconds,
                    s.dropped,
                ]
            )
            mine.append(
                [
                    s.stage,
                    f"{s.customers:,}",
                    f"{s.stalled:,}",
                    f"{s.lapsed:,}",
                    f"{s.reached:,}",
                    _pct(s.conversion_to_next),
                    _duration(s.median_seconds),
                    _duration(s.p90_seconds),
                    f"{s.dropped:,}",
                ]
            )
        columns = [
            "stage",
            "now",
            "stalled",
            "lapsed",
            "reached",
            "→ next",
            "median",
            "p90",
            "dropped",
        ]
        tables.append(_table(f"{p.title}: {p.customers:,} customers", columns, mine))
    keys = sorted({k for p in result.products for k in p.comparison})
    tables.append(
        _table(
            f"Products side by side ({result.model})",
            ["product", *keys],
            [[p.title, *(_pct(p.comparison.get(k)) for k in keys)] for p in result.products],
        )
    )
    tables += goal_rows(result)[0]  # the stage goals beside the figures they are about
    _emit(fmt, result, tables, header, rows)


@report.command()
@click.argument("definition", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_options
def funnel(definition: Path, model: str, fmt: Format, data_dir: Path | None) -> None:
    """A funnel defined in a YAML file (the fields of POST /api/v1/analytics/funnel)."""
    try:
        text = definition.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {definition}: {exc}", field="definition") from None
    query = load_funnel(text, file=str(definition))
    result = _report(
        data_dir,
        model,
        FunnelResult,
        lambda a: a.funnel(query),
        lambda r: r.post("/api/v1/analytics/funnel", msgspec.json.encode(query)),
    )
    header = ["breakdown", "step", "name", "count", "conversion", "median_seconds_from_previous"]
    rows: Rows = [
        ["", i, s.name, s.count, s.conversion, s.median_seconds_from_previous]
        for i, s in enumerate(result.steps, 1)
    ]
    for value, counts in result.breakdown.items():
        first = counts[0] or 1
        rows += [
            [value, i, result.steps[i - 1].name, c, c / first, None]
            for i, c in enumerate(counts, 1)
        ]
    tables = [
        _table(
            f"Funnel ({result.mode}, window {_duration(result.window_seconds)})",
            ["#", "step", "profiles", "conversion", "from previous", "median time"],
            [
                [
                    i,
                    s.name,
                    f"{s.count:,}",
                    _pct(s.conversion),
                    _pct(s.conversion_from_previous),
                    _duration(s.median_seconds_from_previous),
                ]
                for i, s in enumerate(result.steps, 1)
            ],
        )
    ]
    if result.breakdown:
        tables.append(
            _table(
                "By " + (query.breakdown or ""),
                ["value", *(f"{i}. {s.name}" for i, s in enumerate(result.steps, 1))],
                [[v, *(f"{c:,}" for c in counts)] for v, counts in result.breakdown.items()],
            )
        )
    _emit(fmt, result, tables, header, rows)


@report.command()
@click.option("--product", default=None, help="One product (default: all, pooled).")
@click.option("--paths", default=10, show_default=True, type=click.IntRange(1, 100))
@_options
def transitions(
    product: str | None, paths: int, model: str, fmt: Format, data_dir: Path | None
) -> None:
    """Stage moves (entries, forward, skips, back) and the commonest paths to purchase."""
    result = _report(
        data_dir,
        model,
        TransitionsReport,
        lambda a: a.transitions(product=product, paths=paths),
        lambda r: r.get("/api/v1/analytics/transitions", product=product, paths=paths),
    )
    rows: Rows = [[x.from_, x.to, x.kind, x.count] for x in result.links]
    tables = [
        _table(
            "Stage moves", ["from", "to", "kind", "moves"], [[*r[:3], f"{r[3]:,}"] for r in rows]
        ),
        _table(
            "Paths before the first purchase",
            ["path", "customers"],
            [[" → ".join(p.path), f"{p.count:,}"] for p in result.paths_to_purchase],
        ),
    ]
    _emit(fmt, result, tables, ["from", "to", "kind", "count"], rows)


@report.command()
@click.option("--product", default=None, help="One product (default: all, pooled).")
@click.option("--period", type=click.Choice(["week", "month"]), default="month", show_default=True)
@click.option("--by-entry-stage", is_flag=True, help="One cohort per entry stage too.")
@_options
def cohorts(
    *,
    product: str | None,
    period: Literal["week", "month"],
    by_entry_stage: bool,
    model: str,
    fmt: Format,
    data_dir: Path | None,
) -> None:
    """Cohorts by journey entry: share reaching each stage; retention after purchase."""
    result = _report(
        data_dir,
        model,
        CohortsReport,
        lambda a: a.cohorts(product=product, period=period, by_entry_stage=by_entry_stage),
        lambda r: r.get(
            "/api/v1/analytics/cohorts",
            product=product,
            period=period,
            by_entry_stage=str(by_entry_stage).lower(),
        ),
    )
    rows: Rows = [
        [c.label, c.entry_stage, c.size, *(c.shares[s] for s in result.stages)]
        for c in result.cohorts
    ]
    days = result.retention[0].days if result.retention else []
    tables = [
        _table(
            f"Cohorts by entry {period}",
            ["cohort", "entry stage", "size", *result.stages],
            [
                [c.label, c.entry_stage or "", f"{c.size:,}"]
                + [_pct(c.shares[s]) for s in result.stages]
                for c in result.cohorts
            ],
        ),
        _table(
            "Retention after purchase (share still showing evidence)",
            ["purchased", "customers", *(f"day {d}" for d in days)],
            [[c.label, f"{c.size:,}", *(_pct(x) for x in c.retained)] for c in result.retention],
        ),
    ]
    _emit(fmt, result, tables, ["cohort", "entry_stage", "size", *result.stages], rows)


@report.command()
@_catalog_option
@_options
def insights(catalog: Path | None, model: str, fmt: Format, data_dir: Path | None) -> None:
    """The to-do list: where a product does worse than the best comparable one (and, with a
    catalog, where no content is made for a stage customers are at)."""
    result = _report(
        data_dir,
        model,
        InsightsReport,
        lambda a: a.insights(),
        lambda r: r.get("/api/v1/analytics/insights"),
        catalog=catalog,
    )
    rows: Rows = [
        [i, x.kind, x.customers, round(x.gap, 4), round(x.score, 2), x.text, x.link]
        for i, x in enumerate(result.insights, 1)
    ]
    table = _table(
        f"To do (as of {result.as_of:%Y-%m-%d %H:%M})",
        ["#", "what", "customers", "score"],
        [[r[0], r[5], f"{r[2]:,}", f"{r[4]:,.0f}"] for r in rows],
    )
    _emit(fmt, result, [table], ["rank", "kind", "customers", "gap", "score", "text", "link"], rows)


@report.command()
@_catalog_option
@_options
def coverage(catalog: Path | None, model: str, fmt: Format, data_dir: Path | None) -> None:
    """Content made for each stage of each product against the customers there (locally,
    the experiences of ``--catalog``)."""
    result = _report(
        data_dir,
        model,
        CoverageReport,
        lambda a: a.coverage(),
        lambda r: r.get("/api/v1/analytics/coverage"),
        catalog=catalog,
    )
    rows: Rows = [
        [c.product, c.stage, c.customers, c.experiences, c.generic, c.gap] for c in result.rows
    ]
    table = _table(
        "Content coverage",
        ["product", "stage", "customers", "made for it", "generic", "gap"],
        [[*r[:2], f"{r[2]:,}", r[3], r[4], "GAP" if r[5] else ""] for r in rows],
    )
    _emit(
        fmt,
        result,
        [table],
        ["product", "stage", "customers", "experiences", "generic", "gap"],
        rows,
    )


@report.command()
@_options
def advocacy(model: str, fmt: Format, data_dir: Path | None) -> None:
    """The advocacy loop: reviews, NPS, referrals and who reaches advocacy per product."""
    result = _report(
        data_dir,
        model,
        AdvocacyReport,
        lambda a: a.advocacy(),
        lambda r: r.get("/api/v1/analytics/advocacy"),
    )
    summary: Rows = [
        ["reviews", result.reviews],
        ["average rating", result.average_rating],
        ["survey answers", result.survey_responses],
        ["promoters / passives / detractors",
         f"{result.promoters} / {result.passives} / {result.detractors}"],
        ["NPS", None if result.nps is None else round(result.nps, 1)],
        ["referrals sent (by)", f"{result.referrals_sent} ({result.referrers})"],
        ["referred customers (bought)", f"{result.referred} ({result.referred_purchasers})"],
        ["k-factor", None if result.k_factor is None else round(result.k_factor, 3)],
    ]  # fmt: skip
    rows: Rows = [
        [p.product, p.customers, p.advocates, p.advocacy_share, p.reviews, p.average_rating]
        for p in result.products
    ]
    tables = [
        _table("Advocacy loop", ["", "value"], summary),
        _table(
            "Per product",
            ["product", "customers", "advocates", "share", "reviews", "rating"],
            [
                [
                    p.product,
                    p.customers,
                    p.advocates,
                    _pct(p.advocacy_share),
                    p.reviews,
                    p.average_rating,
                ]
                for p in result.products
            ],
        ),
    ]
    header = ["product", "customers", "advocates", "advocacy_share", "reviews", "average_rating"]
    _emit(fmt, result, tables, header, rows)


@report.command()
@_options
def quality(model: str, fmt: Format, data_dir: Path | None) -> None:
    """Journey quality: recognition, irrelevant exposures, repeat contacts, failures."""
    result = _report(
        data_dir,
        model,
        QualityReport,
        lambda a: a.quality(),
        lambda r: r.get("/api/v1/analytics/quality"),
    )
    rows: Rows = [[k, v] for k, v in msgspec.structs.asdict(result).items()]
    _emit(
        fmt,
        result,
        [_table("Journey quality", ["measure", "value"], rows)],
        ["measure", "value"],
        rows,
    )


@report.command()
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 365))
@_options
def effectiveness(days: int, model: str, fmt: Format, data_dir: Path | None) -> None:
    """Per content item and stage: moved on within N days after engaging, vs comparable
    customers who did not engage."""
    result = _report(
        data_dir,
        model,
        EffectivenessReport,
        lambda a: a.effectiveness(days=days),
        lambda r: r.get("/api/v1/analytics/effectiveness", days=days),
    )
    rows: Rows = [
        [i.content_id, i.stage, i.engaged, i.progressed, i.comparable, i.comparable_progressed,
         i.lift]
        for i in result.items
    ]  # fmt: skip
    table = _table(
        f"Content effectiveness (moved on within {days} days)",
        ["content", "stage", "engaged", "moved on", "comparable", "they moved on", "lift"],
        [[*r[:2], r[2], _pct(i.progressed), r[4], _pct(i.comparable_progressed), _pct(i.lift)]
         for r, i in zip(rows, result.items, strict=True)],
    )  # fmt: skip
    header = ["content_id", "stage", "engaged", "progressed", "comparable",
              "comparable_progressed", "lift"]  # fmt: skip
    _emit(fmt, result, [table], header, rows)


@report.command()
@click.option("--product", default=None, help="One product (default: every product).")
@_options
def goals(product: str | None, model: str, fmt: Format, data_dir: Path | None) -> None:
    """Stage goals (goals.yaml) against the actuals: met, missed and by how much."""
    result = _hourglass(data_dir, model, product)
    _emit(fmt, result, *goal_rows(result))


@report.command()
@click.option("--product", default=None, help="One product (default: every product).")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True,
              help="Days after a signal day the lag report looks at.")  # fmt: skip
@click.option("--brand", default="ours", show_default=True, help="Whose signals the lag uses.")
@_options
def signals(  # noqa: PLR0917 (click passes every option)
    product: str | None,
    period: Literal["day", "week", "month"],
    days: int,
    brand: str,
    model: str,
    fmt: Format,
    data_dir: Path | None,
) -> None:
    """Outside signals: share of voice, mentions per stage, stage entries in the days after."""
    result = _report(
        data_dir,
        model,
        SignalsReport,
        lambda a: a.signals(product=product, period=period, days=days, brand=brand),
        lambda r: r.get(
            "/api/v1/analytics/signals", product=product, period=period, days=days, brand=brand
        ),
    )
    _emit(fmt, result, *signal_rows(result))


@report.command("accounts")
@click.option("--product", default=None, help="One product (default: every product).")
@_options
def account_report(product: str | None, model: str, fmt: Format, data_dir: Path | None) -> None:
    """The account hourglass: accounts per stage per product, members per account."""
    result = _report(
        data_dir,
        model,
        AccountHourglass,
        lambda a: a.account_hourglass(model=None, product=product),
        lambda r: r.get("/api/v1/analytics/accounts", product=product, model=model),
    )
    header = ["product", "stage", "accounts", "reached", "members"]
    rows: Rows = [
        [p.product, s.stage, s.accounts, s.reached, s.members]
        for p in result.products
        for s in p.stages
    ]
    tables = [
        _table(
            f"{p.product}: {p.accounts:,} accounts ({result.model})",
            ["stage", "accounts now", "reached", "members now"],
            [[s.stage, f"{s.accounts:,}", f"{s.reached:,}", f"{s.members:,}"] for s in p.stages],
        )
        for p in result.products
    ]
    stages = [s.name for s in load_model(model).stages] if result.products else []
    tables.append(
        _table(
            "Members per stage, by account",
            ["account", "product", "account stage", *stages],
            [
                [b.account_id, b.product, b.stage or "-", *(b.members.get(s, 0) for s in stages)]
                for b in result.by_account
            ],
        )
    )
    _emit(fmt, result, tables, header, rows)


commands = [report]
