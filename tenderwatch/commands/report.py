"""``tenderwatch report matches|near-misses|pipeline|deadlines|crawls|market|segments|backtest`` and
``tenderwatch export``.

The rows come from ``bidder.reports``; this module only turns options into report arguments,
reports bad options through ``fail`` and hands the rows to ``tenderwatch.render``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bidder import reports
from bidder.errors import BidderError
from crawler.runner import SOURCES
from data.db import database_failure
from data.db import session_scope
from data.errors import StoreError
from data.store.customers import CompetitorRow
from data.store.segments import SegmentStats
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import legend_of
from tenderwatch.clikit import money_axis
from tenderwatch.clikit import png_figure
from tenderwatch.clikit import settings_of
from tenderwatch.commands.storage import open_database
from tenderwatch.config import mask_url
from tenderwatch.render import STDOUT
from tenderwatch.render import CsvDialect
from tenderwatch.render import OutputFormat
from tenderwatch.render import RenderError
from tenderwatch.render import emit

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
WIDE_COLUMNS = ("url", "reasons", "customer", "reason", "region_name", "delivery")
"""Long text a narrow table (the demo's) leaves out; every file format keeps them."""
TABLE_COLUMNS: dict[type, tuple[str, ...]] = {
    reports.MatchReportRow: (
        "reg_number", "title", "nmck", "deadline", "profile", "status", "taken_by", "region", "delivery",
        "matched_at", "reasons", "law", "customer",
    ),
    reports.PipelineRow: (
        "person", "reg_number", "title", "nmck", "deadline", "days_left", "auction_date",
        "antidumping_threshold", "market_price", "win_probability_at_antidumping", "contract_security",
        "contract_security_antidumping", "bid_security", "steps_to_antidumping", "days_to_auction", "law",
        "kind", "customer",
    ),
    reports.DeadlineRow: (
        "deadline", "days_left", "hours_left", "status", "reg_number", "title", "nmck", "taken_by",
        "profiles", "law", "customer",
    ),
    reports.CrawlRunRow: (
        "source", "run_id", "started_at", "duration_seconds", "outcome", "requests", "pages", "notices_new",
        "notices_changed", "errors", "error_rate", "reason", "finished_at",
    ),
}  # fmt: skip
"""What a table shows, most useful first: the columns that do not fit the terminal are left out
from the end (``render.to_table``). Reports not listed show every column; CSV, XLSX and JSON
always keep every column."""


StatusOption = StrEnum("StatusOption", ["new", "taken", "skipped"])
ExportFormat = StrEnum("ExportFormat", ["csv", "xlsx"])
ExportWhat = StrEnum("ExportWhat", ["notices", "matches"])
EXPORT_TITLES = {"notices": "Выгрузка закупок", "matches": "Выгрузка совпадений"}


FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", "-f", help="table, csv, xlsx or json.")
OUT_OPTION = typer.Option(None, "--out", "-o", help="Write to this file (- for stdout), not the terminal.")
CSV_DIALECT_OPTION = typer.Option(
    CsvDialect.plain,
    "--csv-dialect",
    help="CSV for programs (plain) or for Russian Excel (excel-ru: ';', decimal commas, Russian headers).",
)
SINCE_OPTION = typer.Option(None, "--since", formats=DATE_FORMATS, help="From this day (dd.mm.yyyy).")
UNTIL_OPTION = typer.Option(None, "--until", formats=DATE_FORMATS, help="Up to this day, inclusive.")
DAYS_OPTION = typer.Option(None, "--days", help="The last N days (instead of --since/--until).")
REGION_OPTION = typer.Option(None, "--region", help="Region code or name (customer or delivery).")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _period(
    since: datetime | None, until: datetime | None, days: int | None, now: datetime
) -> reports.Period:
    try:
        return reports.make_period(since=_day(since), until=_day(until), days=days, now=now)
    except BidderError as exc:
        fail(str(exc))


def run_report(
    ctx: typer.Context,
    query: Callable[[Session], Sequence[Any]],
    row_type: type,
    *,
    fmt: OutputFormat,
    out: Path | None,
    title: str,
    csv_dialect: CsvDialect = CsvDialect.plain,
) -> Sequence[Any]:
    """Run ``query`` in one read session and render its rows; every failure becomes a clean message."""
    settings = settings_of(ctx)
    engine, _ = open_database(settings)
    try:
        with session_scope(engine) as session:
            rows = query(session)
    except BidderError as exc:
        fail(str(exc))
    except StoreError as exc:  # the one wording of a database failure (no SQL, no library links)
        fail(str(exc), code=1)
    except SQLAlchemyError as exc:
        fail(f"database {mask_url(settings.database.url)}: {database_failure(exc)}", code=1)
    finally:
        engine.dispose()
    try:
        emit(
            rows,
            row_type,
            fmt=fmt,
            title=title,
            out=out,
            console=console,
            table_columns=TABLE_COLUMNS.get(row_type),
            csv_dialect=csv_dialect,
        )
    except RenderError as exc:
        fail(str(exc))
    if out is not None and out != STDOUT:  # with `--out -` stdout carries the report alone
        console.print(f"{len(rows)} rows written to {out}", highlight=False, soft_wrap=True)
    return rows


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(help="Bid-manager reports as tables, CSV, XLSX or JSON.", no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @report_app.command("matches")
    def matches(
        ctx: typer.Context,
        since: datetime | None = SINCE_OPTION,
        until: datetime | None = UNTIL_OPTION,
        days: int | None = DAYS_OPTION,
        profile: str | None = typer.Option(None, "--profile", help="Only this profile (by name)."),
        region: str | None = REGION_OPTION,
        status: StatusOption | None = typer.Option(None, "--status", help="new, taken or skipped."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Matches found in a period, with the notice essentials and why each matched."""
        now = datetime.now(UTC)
        period = _period(since, until, days, now)
        state = status.value if status else None
        query = partial(
            reports.matches_report, period=period, profile=profile, region=region, status=state, now=now
        )
        run_report(
            ctx, query, reports.MatchReportRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title="Совпадения"
        )

    @report_app.command("near-misses")
    def near_misses(
        ctx: typer.Context,
        since: datetime | None = SINCE_OPTION,
        until: datetime | None = UNTIL_OPTION,
        days: int | None = DAYS_OPTION,
        profile: str | None = typer.Option(None, "--profile", help="Only this profile (by name)."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Notices a profile nearly matched by meaning (a title word close to a keyword), not matches."""
        now = datetime.now(UTC)
        period = _period(since, until, days, now)
        query = partial(reports.near_misses_report, period=period, profile=profile, now=now)
        title = "Возможно, интересно"
        run_report(
            ctx, query, reports.NearMissReportRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title=title
        )

    @report_app.command("pipeline")
    def pipeline(
        ctx: typer.Context,
        person: str | None = typer.Option(
            None, "--person", help="Only this person: a name, part of it, @username or Telegram id."
        ),
        include_closed: bool = typer.Option(
            False, "--all", help="Also tenders whose deadline and auction are both past."
        ),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Taken tenders by person: deadlines, days left, auction dates, anti-dumping line and securities."""
        now = datetime.now(UTC)
        query = partial(reports.pipeline_report, person=person, include_closed=include_closed, now=now)
        run_report(
            ctx, query, reports.PipelineRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title="В работе"
        )

    @report_app.command("deadlines")
    def deadlines(
        ctx: typer.Context,
        days: int = typer.Option(7, "--days", help="Look this many days ahead."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Matched and taken tenders whose submission closes in the next N days, soonest first."""
        now = datetime.now(UTC)
        query = partial(reports.deadlines_report, days=days, now=now)
        title = f"Сроки подачи в ближайшие {days} дн."
        run_report(ctx, query, reports.DeadlineRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title=title)

    @report_app.command("crawls")
    def crawls(
        ctx: typer.Context,
        last: int = typer.Option(10, "--last", help="Runs per source."),
        source: str | None = typer.Option(None, "--source", help="Only this source."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Crawl health per source: the last runs, their outcome, figures and error rate."""
        query = partial(reports.crawls_report, last=last, source=source, known_sources=SOURCES)
        run_report(ctx, query, reports.CrawlRunRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title="Обходы")

    @report_app.command("market")
    def market(
        ctx: typer.Context,
        okpd2: str | None = typer.Option(None, "--okpd2", help="OKPD2 prefix, e.g. 26.20."),
        region: str | None = REGION_OPTION,
        since: datetime | None = SINCE_OPTION,
        until: datetime | None = UNTIL_OPTION,
        days: int | None = DAYS_OPTION,
        chart: Path | None = typer.Option(None, "--chart", help="Also save the weekly trend as a PNG."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Published notices: count, total and median NMCK, overall, by method and by ISO week."""
        now = datetime.now(UTC)
        period = _period(since, until, days, now)
        scope = ", ".join(
            part for part in (f"OKPD2 {okpd2}" if okpd2 else "", f"region {region}" if region else "") if part
        )
        query = partial(reports.market_report, okpd2=okpd2, region=region, period=period, now=now)
        title = f"Рынок: {scope or 'все закупки'}"
        rows = run_report(
            ctx, query, reports.MarketRow, fmt=fmt, csv_dialect=csv_dialect, out=out, title=title
        )
        if chart is not None:
            save_market_chart(rows, chart, title=scope or "all notices")
            console.print(f"chart saved to {chart}", highlight=False, soft_wrap=True)

    @report_app.command("segments")
    def segments(
        ctx: typer.Context,
        okpd2_digits: int = typer.Option(4, "--okpd2-digits", help="Group OKPD2 codes by 4 or 2 digits."),
        min_purchases: int = typer.Option(1, "--min-purchases", help="Leave out smaller segments."),
        top: int | None = typer.Option(None, "--top", help="Only the largest N segments."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """How purchases ended per OKPD2 group × region × kind × NMCK band: discount quartiles,
        participants, single-application and failed shares (from stored protocols and contracts)."""
        query = partial(
            reports.segments_report, okpd2_digits=okpd2_digits, min_purchases=min_purchases, top=top
        )
        run_report(
            ctx,
            query,
            SegmentStats,
            fmt=fmt,
            csv_dialect=csv_dialect,
            out=out,
            title="Сегменты рынка (завершённые закупки)",
        )

    @report_app.command("backtest")
    def backtest(
        ctx: typer.Context,
        limit: int = typer.Option(500, "--limit", help="Score the last N finished auctions."),
        min_purchases: int = typer.Option(
            20, "--min-purchases", help="Widen a segment until it holds this many finished purchases."
        ),
        draws: int = typer.Option(2000, "--draws", help="Competitor draws per auction."),
        seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same figures."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Calibrated vs assumed competitors on stored auctions that ended: MAE of the predicted
        winning discount and Brier score of the win probability; each auction's calibrated model
        sees only results decided before it."""
        query = partial(
            reports.backtest_report, limit=limit, min_purchases=min_purchases, draws=draws, seed=seed
        )
        run_report(
            ctx,
            query,
            reports.BacktestRow,
            fmt=fmt,
            csv_dialect=csv_dialect,
            out=out,
            title="Проверка моделей конкурентов на итогах",
        )

    @report_app.command("customer")
    def customer(
        ctx: typer.Context,
        inn: str = typer.Argument(..., help="The customer's INN."),
        days: int = typer.Option(365, "--days", min=1, help="The last N days."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """A customer: its notices and cancellations, discounts, applications and usual winners."""
        query = partial(reports.customer_report, inn=inn, now=datetime.now(UTC), days=days)
        run_report(
            ctx,
            query,
            reports.CustomerRow,
            fmt=fmt,
            csv_dialect=csv_dialect,
            out=out,
            title=f"Заказчик {inn}",
        )

    @report_app.command("competitors")
    def competitors(
        ctx: typer.Context,
        okpd2: str | None = typer.Option(None, "--okpd2", help="OKPD2 prefix, e.g. 26.20."),
        region: str | None = typer.Option(None, "--region", help="Customer region code, e.g. 77."),
        days: int = typer.Option(365, "--days", min=1, help="The last N days."),
        top: int = typer.Option(30, "--top", min=1, help="The N suppliers with most wins."),
        fmt: OutputFormat = FORMAT_OPTION,
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path | None = OUT_OPTION,
    ) -> None:
        """Who wins a market (OKPD2 prefix × customer region): applications, wins, win rate, discount."""
        query = partial(
            reports.competitors_report, okpd2=okpd2, region=region, now=datetime.now(UTC), days=days, top=top
        )
        scope = ", ".join(
            p for p in (f"OKPD2 {okpd2}" if okpd2 else "", f"region {region}" if region else "") if p
        )
        run_report(
            ctx,
            query,
            CompetitorRow,
            fmt=fmt,
            csv_dialect=csv_dialect,
            out=out,
            title=f"Конкуренты: {scope or 'все рынки'}",
        )

    @app.command("export")
    def export(
        ctx: typer.Context,
        since: datetime = typer.Option(..., "--since", formats=DATE_FORMATS, help="From this day."),
        until: datetime | None = UNTIL_OPTION,
        fmt: ExportFormat = typer.Option(..., "--format", "-f", help="csv or xlsx."),
        csv_dialect: CsvDialect = CSV_DIALECT_OPTION,
        out: Path = typer.Option(..., "--out", "-o", help="File to write."),
        what: ExportWhat = typer.Option(ExportWhat.notices, "--what", help="notices or matches."),
    ) -> None:
        """Notices published (or matches found) in a period, as CSV or XLSX for Excel users."""
        now = datetime.now(UTC)
        period = _period(since, until, None, now)
        query: Callable[[Session], Sequence[Any]]
        row_type: type
        if what == ExportWhat.notices:
            query, row_type = partial(reports.notices_export, period=period), reports.NoticeExportRow
        else:
            query, row_type = partial(reports.matches_export, period=period, now=now), reports.MatchExportRow
        run_report(
            ctx,
            query,
            row_type,
            fmt=OutputFormat(fmt.value),
            csv_dialect=csv_dialect,
            out=out,
            title=EXPORT_TITLES[what.value],
        )


def save_market_chart(rows: Sequence[reports.MarketRow], path: Path, *, title: str) -> None:
    """Weekly notice count (bars) and total NMCK (line): the trend a bid manager looks for.

    Totals go through float here only to be drawn; the figures in the report stay Decimal.
    """
    weeks = [r for r in rows if r.dimension == "week"]
    if not weeks:
        fail(f"no dated notices for {title}: nothing to chart in {path}")
    with png_figure(path) as counts:
        from matplotlib.ticker import MaxNLocator

        labels = [r.week_start.strftime("%d.%m.%y") if r.week_start else r.group for r in weeks]
        counts.bar(labels, [r.notices for r in weeks], color="tab:blue", alpha=0.6, label="закупок за неделю")
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
        counts.set_ylabel("закупок за неделю")
        counts.set_xlabel("неделя с (понедельник)")
        counts.tick_params(axis="x", rotation=45)
        totals = counts.twinx()
        totals.plot(
            labels,
            [float(r.total_nmck) / 1e6 for r in weeks],
            color="tab:red",
            marker="o",
            label="НМЦК за неделю, млн ₽",
        )
        totals.set_ylim(bottom=0)
        money_axis(totals.yaxis, decimals=1)
        totals.set_ylabel("НМЦК за неделю, млн ₽")
        legend_of(counts, totals, where="upper left")
        counts.set_title(f"Закупки по неделям: {title}")
