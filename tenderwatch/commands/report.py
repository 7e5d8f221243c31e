"""``tenderwatch report matches|near-misses|pipeline|deadlines|crawls|market|segments|backtest`` and
``tenderwatch export``.

The rows come from ``bidder.reports``; this module only turns options into report arguments,
reports bad options through ``fail`` and hands the rows to ``tenderwatch.render``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import StrEnum
from functools import partial
from inspect import Parameter
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
from tenderwatch.clikit import gathered_options
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
PROFILE_OPTION = typer.Option(None, "--profile", help="Only this profile (by name).")


@dataclass(frozen=True)
class ReportOutput:
    """Where and how a report is written: the same three options on every report command."""

    fmt: OutputFormat
    csv_dialect: CsvDialect
    out: Path | None


def _keyword(name: str, annotation: Any, option: Any) -> Parameter:
    return Parameter(name, Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


with_output_options = gathered_options(
    "output",
    [
        _keyword("fmt", OutputFormat, FORMAT_OPTION),
        _keyword("csv_dialect", CsvDialect, CSV_DIALECT_OPTION),
        _keyword("out", Path | None, OUT_OPTION),
    ],
    ReportOutput,
)
"""``--format``, ``--csv-dialect`` and ``--out`` as ``output: ReportOutput``."""


def _scope(okpd2: str | None, region: str | None) -> str:
    """The market a report is narrowed to, for its title (empty: every market)."""
    parts = (f"OKPD2 {okpd2}" if okpd2 else "", f"region {region}" if region else "")
    return ", ".join(part for part in parts if part)


def _period_from_now(since: datetime | None, until: datetime | None, days: int | None) -> reports.Period:
    return _period(since, until, days, datetime.now(UTC))


with_period_options = gathered_options(
    "period",
    [
        _keyword("since", datetime | None, SINCE_OPTION),
        _keyword("until", datetime | None, UNTIL_OPTION),
        _keyword("days", int | None, DAYS_OPTION),
    ],
    _period_from_now,
)
"""``--since``, ``--until`` and ``--days`` as ``period: reports.Period`` (a bad combination fails)."""


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
    output: ReportOutput,
    *,
    title: str,
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
            fmt=output.fmt,
            title=title,
            out=output.out,
            console=console,
            table_columns=TABLE_COLUMNS.get(row_type),
            csv_dialect=output.csv_dialect,
        )
    except RenderError as exc:
        fail(str(exc))
    if output.out is not None and output.out != STDOUT:  # with `--out -` stdout carries the report alone
        console.print(f"{len(rows)} rows written to {output.out}", highlight=False, soft_wrap=True)
    return rows


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(help="Bid-manager reports as tables, CSV, XLSX or JSON.", no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @report_app.command("matches")
    @with_output_options
    @with_period_options
    def matches(
        ctx: typer.Context,
        output: ReportOutput,
        period: reports.Period,
        profile: str | None = PROFILE_OPTION,
        region: str | None = REGION_OPTION,
        status: StatusOption | None = typer.Option(None, "--status", help="new, taken or skipped."),
    ) -> None:
        """Matches found in a period, with the notice essentials and why each matched."""
        now = datetime.now(UTC)
        state = status.value if status else None
        query = partial(
            reports.matches_report, period=period, profile=profile, region=region, status=state, now=now
        )
        run_report(ctx, query, reports.MatchReportRow, output, title="Совпадения")

    @report_app.command("near-misses")
    @with_output_options
    @with_period_options
    def near_misses(
        ctx: typer.Context,
        output: ReportOutput,
        period: reports.Period,
        profile: str | None = PROFILE_OPTION,
    ) -> None:
        """Notices a profile nearly matched by meaning (a title word close to a keyword), not matches."""
        now = datetime.now(UTC)
        query = partial(reports.near_misses_report, period=period, profile=profile, now=now)
        title = "Возможно, интересно"
        run_report(ctx, query, reports.NearMissReportRow, output, title=title)

    @report_app.command("pipeline")
    @with_output_options
    def pipeline(
        ctx: typer.Context,
        output: ReportOutput,
        person: str | None = typer.Option(
            None, "--person", help="Only this person: a name, part of it, @username or Telegram id."
        ),
        include_closed: bool = typer.Option(
            False, "--all", help="Also tenders whose deadline and auction are both past."
        ),
    ) -> None:
        """Taken tenders by person: deadlines, days left, auction dates, anti-dumping line and securities."""
        now = datetime.now(UTC)
        query = partial(reports.pipeline_report, person=person, include_closed=include_closed, now=now)
        run_report(ctx, query, reports.PipelineRow, output, title="В работе")

    @report_app.command("deadlines")
    @with_output_options
    def deadlines(
        ctx: typer.Context,
        output: ReportOutput,
        days: int = typer.Option(7, "--days", help="Look this many days ahead."),
    ) -> None:
        """Matched and taken tenders whose submission closes in the next N days, soonest first."""
        now = datetime.now(UTC)
        query = partial(reports.deadlines_report, days=days, now=now)
        title = f"Сроки подачи в ближайшие {days} дн."
        run_report(ctx, query, reports.DeadlineRow, output, title=title)

    @report_app.command("crawls")
    @with_output_options
    def crawls(
        ctx: typer.Context,
        output: ReportOutput,
        last: int = typer.Option(10, "--last", help="Runs per source."),
        source: str | None = typer.Option(None, "--source", help="Only this source."),
    ) -> None:
        """Crawl health per source: the last runs, their outcome, figures and error rate."""
        query = partial(reports.crawls_report, last=last, source=source, known_sources=SOURCES)
        run_report(ctx, query, reports.CrawlRunRow, output, title="Обходы")

    @report_app.command("market")
    @with_output_options
    @with_period_options
    def market(
        ctx: typer.Context,
        output: ReportOutput,
        period: reports.Period,
        okpd2: str | None = typer.Option(None, "--okpd2", help="OKPD2 prefix, e.g. 26.20."),
        region: str | None = REGION_OPTION,
        chart: Path | None = typer.Option(None, "--chart", help="Also save the weekly trend as a PNG."),
    ) -> None:
        """Published notices: count, total and median NMCK, overall, by method and by ISO week."""
        now = datetime.now(UTC)
        scope = _scope(okpd2, region)
        query = partial(reports.market_report, okpd2=okpd2, region=region, period=period, now=now)
        title = f"Рынок: {scope or 'все закупки'}"
        rows = run_report(ctx, query, reports.MarketRow, output, title=title)
        if chart is not None:
            save_market_chart(rows, chart, title=scope or "all notices")
            console.print(f"chart saved to {chart}", highlight=False, soft_wrap=True)

    @report_app.command("segments")
    @with_output_options
    def segments(
        ctx: typer.Context,
        output: ReportOutput,
        okpd2_digits: int = typer.Option(4, "--okpd2-digits", help="Group OKPD2 codes by 4 or 2 digits."),
        min_purchases: int = typer.Option(1, "--min-purchases", help="Leave out smaller segments."),
        top: int | None = typer.Option(None, "--top", help="Only the largest N segments."),
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
            output,
            title="Сегменты рынка (завершённые закупки)",
        )

    @report_app.command("backtest")
    @with_output_options
    def backtest(
        ctx: typer.Context,
        output: ReportOutput,
        limit: int = typer.Option(500, "--limit", help="Score the last N finished auctions."),
        min_purchases: int = typer.Option(
            20, "--min-purchases", help="Widen a segment until it holds this many finished purchases."
        ),
        draws: int = typer.Option(2000, "--draws", help="Competitor draws per auction."),
        seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same figures."),
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
            output,
            title="Проверка моделей конкурентов на итогах",
        )

    @report_app.command("customer")
    @with_output_options
    def customer(
        ctx: typer.Context,
        output: ReportOutput,
        inn: str = typer.Argument(..., help="The customer's INN."),
        days: int = typer.Option(365, "--days", min=1, help="The last N days."),
    ) -> None:
        """A customer: its notices and cancellations, discounts, applications and usual winners."""
        query = partial(reports.customer_report, inn=inn, now=datetime.now(UTC), days=days)
        run_report(
            ctx,
            query,
            reports.CustomerRow,
            output,
            title=f"Заказчик {inn}",
        )

    @report_app.command("competitors")
    @with_output_options
    def competitors(
        ctx: typer.Context,
        output: ReportOutput,
        okpd2: str | None = typer.Option(None, "--okpd2", help="OKPD2 prefix, e.g. 26.20."),
        region: str | None = typer.Option(None, "--region", help="Customer region code, e.g. 77."),
        days: int = typer.Option(365, "--days", min=1, help="The last N days."),
        top: int = typer.Option(30, "--top", min=1, help="The N suppliers with most wins."),
    ) -> None:
        """Who wins a market (OKPD2 prefix × customer region): applications, wins, win rate, discount."""
        query = partial(
            reports.competitors_report, okpd2=okpd2, region=region, now=datetime.now(UTC), days=days, top=top
        )
        scope = _scope(okpd2, region)
        run_report(
            ctx,
            query,
            CompetitorRow,
            output,
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
            ReportOutput(OutputFormat(fmt.value), csv_dialect, out),
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
