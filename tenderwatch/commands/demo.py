"""``tenderwatch demo``: the whole service on the embedded default, offline, without a token.

It starts the bundled EIS replay in this process (a generated snapshot that keeps publishing new
notices), runs ``tenderwatch serve`` against it for a bounded time with the profiles of the
settings (alerts are printed as the Telegram chat would read them), then prints the bid-manager
reports of what was found and saves the market chart. The database is a fresh SQLite file
(``var/tenderwatch.db`` by default) left behind for the report commands.

Unlike a real install, the demo alerts on the first crawl too: the point is to see alerts.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import typer

from bidder import reports
from bidder.auction import SimulationParams
from bidder.auction import simulate
from bidder.errors import BidderError
from bidder.market import competitors_for
from crawler.replay import NoticeVersion
from crawler.replay import ReplayError
from crawler.replay import build_snapshot
from crawler.replay.market import results_of
from crawler.replay.market import write_protocols
from crawler.replay.server import start_replay
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.formatting import format_money
from data.notice import MOSCOW
from data.store import advance_high_water
from data.store import get_notice
from data.store.segments import SegmentStats
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import say
from tenderwatch.clikit import settings_of
from tenderwatch.commands.report import WIDE_COLUMNS
from tenderwatch.commands.report import save_market_chart
from tenderwatch.config import Settings
from tenderwatch.ingest import IngestReport
from tenderwatch.ingest import ingest_paths
from tenderwatch.render import OutputFormat
from tenderwatch.render import emit
from tenderwatch.service import ServiceError
from tenderwatch.service import serve

DEMO_CHAT = 100_500
"""The chat the demo alerts go to (printed, never sent: the demo has no token)."""
DEMO_MARK = ("demo", "database")
"""A ``crawl_state`` row (source, key) that says a database file was made by the demo."""
DEMO_COMPANY_INN = "7701000002"
"""Our company in the demo (when company.inn is blank): made up, not in the replay's register."""
RESULTS_INTERVAL_SECONDS = 20
"""The demo's daily crawls (results, the register of unfair suppliers) run every 20 s instead."""
CRAWL_INTERVAL_SECONDS = 10.0
"""Short enough that several scheduled crawls pick up new notices during a one-minute run."""


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        seconds: float = typer.Option(60, "--for", min=5, max=150, help="How long the service runs."),
        count: int = typer.Option(150, min=1, max=5000, help="Purchases in the replayed EIS snapshot."),
        seed: int = typer.Option(2026, help="Seed of the snapshot (same seed, same notices)."),
        publish_rate: float = typer.Option(
            20, "--publish-rate", min=0.1, help="New notices the replay publishes per minute."
        ),
        db: Path = typer.Option(Path("var/tenderwatch.db"), "--db", help="The SQLite file to (re)create."),
        workdir: Path = typer.Option(Path("var/demo"), help="Where the chart is written."),
    ) -> None:
        """Run the service against a local EIS replay for a minute, then show what it found."""
        settings = settings_of(ctx)
        if not settings.profiles:
            fail("the settings have no [[profiles]]: the demo needs some to match (see settings.toml)")
        fresh_database(db)
        try:
            snapshot = build_snapshot(seed=seed, count=count, now=datetime.now(UTC))
            replay = start_replay(snapshot, publish_rate=publish_rate)
        except ReplayError as exc:
            fail(str(exc), code=1)
        say(
            f"EIS replay of {count} purchases at {replay.url}, publishing {publish_rate:g} new notices "
            f"a minute; alerts for chat {DEMO_CHAT} are printed below as Telegram would show them"
        )
        history = import_market_history(
            db, workdir, seed=seed, taken={n.reg_number for n in snapshot.notices}
        )
        say(
            f"market history: {history.notices} notices of last December and {history.results} protocols of "
            f"their auctions imported from {workdir / 'history'} (generated in the EIS formats)"
        )
        try:
            totals = asyncio.run(
                serve(demo_settings(settings, db, replay.url), duration=seconds, announce=say)
            )
        except ServiceError as exc:
            fail(str(exc), code=1)
        finally:
            replay.stop()
        published = replay.stats()["published_count"]
        mark_demo_database(db)
        say(f"the replay published {published} new notice(s) while the service ran")
        show_reports(db, workdir)
        show_market(db)
        print_next_steps(settings, db)
        if not totals.crawls.get("ok"):
            fail("no crawl succeeded during the demo (see the messages above)", code=1)


def demo_settings(settings: Settings, db: Path, replay_url: str) -> Settings:
    """The user's profiles and limits; the demo's database, replay, schedule and console delivery."""
    crawler = settings.crawler.model_copy(
        update={
            "base_url": replay_url,
            "concurrent_requests": 4,
            "download_delay": 0.0,  # the replay is ours: no politeness needed
            "autothrottle": False,
            "timeout_seconds": 120,
            "search": {},
        }
    )
    from tenderwatch.scheduler import daily_sources

    # The daily result crawl runs again once the first search stored the purchases it asks about.
    results = dict.fromkeys(daily_sources(export=False), RESULTS_INTERVAL_SECONDS / 60)
    scheduler = settings.scheduler.model_copy(
        update={
            "crawl_interval_minutes": CRAWL_INTERVAL_SECONDS / 60,
            "jitter_seconds": 0,
            "misfire_grace_seconds": 30,
            "alert_on_first_run": True,
            "sources": ["eis"],
            "intervals": results,
        }
    )
    telegram = settings.telegram.model_copy(update={"token": type(settings.telegram.token)(""), "admins": []})
    telegram = telegram.model_copy(update={"default_chats": [DEMO_CHAT]})
    database = settings.database.model_copy(update={"url": sqlite_url(db), "echo": False})
    company = settings.company.model_copy(update={"inn": settings.company.inn or DEMO_COMPANY_INN})
    return settings.model_copy(
        update={
            "database": database,
            "crawler": crawler,
            "scheduler": scheduler,
            "telegram": telegram,
            "company": company,
        }
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_database(db: Path) -> None:
    """Delete the previous demo database; move aside a file the demo did not make (never lose data)."""
    if not db.exists():
        say(f"demo database: {db} (new)")
        return
    if is_demo_database(db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        say(f"demo database: deleted the previous demo database {db}; starting afresh")
        return
    backup = db.with_name(f"{db.name}.{datetime.now().strftime('%Y%m%d-%H%M%S')}.bak")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db}{suffix}")
        if source.exists():
            source.rename(Path(f"{backup}{suffix}"))
    say(f"demo database: {db} was not made by the demo; moved it to {backup}")


def is_demo_database(db: Path) -> bool:
    """Whether ``db`` carries the demo's mark. The one query outside ``data``, on purpose: the file
    may be anything (someone's own database, not ours at all), so it is opened read-only with
    sqlite3 and never through ``data.db``, whose engine would migrate it."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM crawl_state WHERE source = ? AND search_key = ?", DEMO_MARK
            ).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def mark_demo_database(db: Path) -> None:
    engine = make_engine(sqlite_url(db))
    try:
        with session_scope(engine) as session:
            advance_high_water(session, source=DEMO_MARK[0], search_key=DEMO_MARK[1], seen=datetime.now(UTC))
    finally:
        engine.dispose()


def show_reports(db: Path, workdir: Path) -> None:
    """The bid manager's view of the run: the matches with reasons, and the market with its chart."""
    now = datetime.now(UTC)
    engine = make_engine(sqlite_url(db))
    try:
        with session_scope(engine) as session:
            # open tenders only: last year's history matches too, but its deadlines are long past
            matches = [
                row
                for row in reports.matches_report(session, now=now)
                if row.deadline is None or row.deadline > now
            ]
            market = reports.market_report(session, now=now)
    finally:
        engine.dispose()
    emit(
        matches,
        reports.MatchReportRow,
        fmt=OutputFormat.table,
        title=f"Matches found ({len(matches)})",
        console=console,
        # Everything here was matched in this run, by nobody yet: keep the table narrow.
        table_hide={*WIDE_COLUMNS, "matched_at", "status", "taken_by", "law"},
    )
    emit(market, reports.MarketRow, fmt=OutputFormat.table, title="Market: all notices", console=console)
    workdir.mkdir(parents=True, exist_ok=True)
    chart = workdir / "market.png"
    save_market_chart(market, chart, title="all notices")
    say(f"market chart: {chart}")


HISTORY_PURCHASES = 400
HISTORY_DAYS = 30
"""As the replay's own snapshot: with the same seed and days, the history's purchases are the
replay's, a year earlier (same customers, last year's registry numbers)."""


def history_moment(now: datetime) -> datetime:
    """The «now» of the market history: the 28th of last December. Its purchases then carry last
    year's registry numbers (the number holds its year), so none can be one the running replay
    uses or publishes, while the same seed gives them the same customers as the replay; and they
    stay within the year an alert's customer line counts."""
    return datetime(now.year - 1, 12, 28, 12, tzinfo=MOSCOW)


def import_market_history(db: Path, workdir: Path, *, seed: int, taken: set[str]) -> IngestReport:
    """Last year's 44-FZ notices of the replay's customers and the protocols of their auctions,
    written as the EIS's bulk export and ``epProtocolEF2020Final`` files and imported through
    ``tenderwatch import``'s own path: the alerts then say how a customer's auctions ended, and the
    segments and the simulator have results to stand on. Their deadlines are long past, so they
    are never alerted; numbers the replay uses (possible in early January) are left out."""
    history = build_snapshot(
        seed=seed, count=HISTORY_PURCHASES, now=history_moment(datetime.now(UTC)), days=HISTORY_DAYS
    )
    folder = workdir / "history"

    def wanted(version: NoticeVersion) -> bool:
        return version.purchase.law == "44-FZ" and version.notice.reg_number not in taken

    notices = history.write_bulk(folder / "notices", only=wanted)
    latest = {v.notice.reg_number: v.notice for v in history.versions if wanted(v)}  # oldest version first
    results = results_of(latest.values(), now=datetime.now(UTC), seed=seed)
    return _import(db, [*notices, write_protocols(results, folder / "protocols.zip")])


def _import(db: Path, files: list[Path]) -> IngestReport:
    engine = make_engine(sqlite_url(db))
    try:
        upgrade(engine)
        return ingest_paths(files, engine=engine, batch_size=500)
    finally:
        engine.dispose()


def show_market(db: Path) -> None:
    """The market segments the history gives, and one matched auction simulated against them."""
    engine = make_engine(sqlite_url(db))
    try:
        with session_scope(engine) as session:
            segments = reports.segments_report(session, okpd2_digits=2, top=8)
            matched = (
                get_notice(session, reg_number=row.reg_number, law=None)
                for row in reports.matches_report(session, now=datetime.now(UTC))
            )
            auction = next(
                (n for n in matched if n is not None and n.law == "44-FZ" and n.kind == "auction" and n.nmck),
                None,
            )
            competitors = competitors_for(session, auction) if auction is not None else None
    finally:
        engine.dispose()
    emit(segments, SegmentStats, fmt=OutputFormat.table, title="Market segments (largest)", console=console)
    if auction is None or auction.nmck is None or competitors is None:
        say("no matched 44-FZ auction to simulate")
        return
    cost = (auction.nmck * Decimal("0.8")).quantize(Decimal("0.01"))
    try:
        result = simulate(SimulationParams.from_notice(auction, cost=cost, competitors=competitors, seed=1))
    except BidderError as exc:  # the demo goes on: the simulator's word is printed, not a traceback
        say(f"auction {auction.reg_number} not simulated: {exc}")
        return
    say(f"auction {auction.reg_number} simulated, cost 80 % of NMCK: {result.prior.source}")
    say(
        f"  win probability at the floor {format_money(result.floor)}: {result.win_probability:.0%}; "
        f"recommended walk-away {format_money(result.recommended_walk_away)} "
        f"(win {result.recommended_win_probability:.0%})"
    )


def print_next_steps(settings: Settings, db: Path) -> None:
    url = sqlite_url(db)
    prefix = "" if settings.database.url == url else f"TENDERWATCH_DATABASE__URL={url} "
    say(f"\nThe database is left in {db}. Explore it:")
    for command in (
        "report matches --format xlsx --out var/demo/matches.xlsx",
        "report crawls",
        "report deadlines --days 14",
        "report market --okpd2 26.20 --chart var/demo/computers.png",
        "simulate <registry number from the matches> --cost 900000",
        "report segments --top 20",
        "report backtest",
        "report competitors --okpd2 26.20",
    ):
        say(f"  {prefix}tenderwatch {command}")
    say("Run it for real: set TENDERWATCH_TELEGRAM__TOKEN and `tenderwatch serve`.")
