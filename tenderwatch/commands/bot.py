"""``tenderwatch notify [--dry-run]`` and ``tenderwatch bot``: the composition root of the bot.

The bot package may not import the bidder, so the auction summary behind «Симуляция» and /sim is
built here (``auction_summary``) and injected into the Application.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn

import typer
from sqlalchemy.engine import Engine
from telegram.error import InvalidToken, TelegramError

from bidder.auction import CompetitorModel, SimulationParams, simulate
from bidder.auction.securities import antidumping_threshold
from bidder.errors import BidderError
from bidder.market import calibrate_notice
from bot.access import AccessPolicy
from bot.app import build_application, redact_secrets_in_logs, run_bot, telegram_failure, telegram_notifier
from bot.errors import BotError
from bot.notifier import ConsoleSender, DrainReport, Notifier
from bot.render import format_money, html_to_console
from data.db import make_engine, session_scope
from data.errors import StoreError
from data.models import utcnow
from data.notice import Notice
from data.store import outbox
from tenderwatch.clikit import console, fail, require_database, settings_of, warn_unrouted
from tenderwatch.config import Settings

log = logging.getLogger(__name__)

BOT_SIMULATION_RUNS = 20_000
"""Enough for a stable win probability in a chat answer, fast enough not to keep a user waiting."""


def auction_summarizer(engine: Engine) -> Callable[[Notice, Decimal | None], str]:
    """The bot's /sim: the notice's competitors calibrated on its segment's stored results (the
    same choice as ``tenderwatch simulate``), then ``auction_summary``. Runs in a worker thread."""

    def summary(notice: Notice, cost: Decimal | None) -> str:
        with session_scope(engine) as session:
            fit = calibrate_notice(session, notice)
        if fit is None:
            return auction_summary(notice, cost)
        source = f"Конкуренты: по {fit.stats.purchases} завершённым закупкам «{fit.stats.segment.describe()}»"
        return auction_summary(notice, cost, competitors=fit.competitors, source=source)

    return summary


def auction_summary(
    notice: Notice,
    cost: Decimal | None,
    *,
    competitors: CompetitorModel | None = None,
    source: str = "Конкуренты: допущение (3 участника, скидка до ~25 %), результатов закупок в базе нет",
) -> str:
    """Plain-text auction summary for the bot. Without a cost: the market view down to anti-dumping."""
    if notice.nmck is None:
        raise BidderError(f"у закупки {notice.reg_number} не указана НМЦК")
    # Without a cost the market view goes down to the anti-dumping line: the highest price that
    # triggers it (the one rule, ``antidumping_threshold``), so the x1.5 security shows there.
    floor = None if cost is not None else antidumping_threshold(notice.nmck)
    extra = {"competitors": competitors} if competitors is not None else {}
    result = simulate(
        SimulationParams.from_notice(
            notice, cost=cost, floor=floor, runs=BOT_SIMULATION_RUNS, seed=7, **extra
        )
    )
    lines = [
        f"НМЦК: {format_money(result.nmck)}; шаг {result.step_percent}% = {format_money(result.step)}",
        f"Шагов до {format_money(result.floor)}: {result.ladder.steps_to_floor}",
    ]
    if result.antidumping_threshold is not None:
        lines.append(f"Антидемпинг: от {format_money(result.antidumping_threshold)} и ниже")
    if result.bid_security.amount is not None:
        lines.append(f"Обеспечение заявки: {format_money(result.bid_security.amount)}")
    if result.at_floor.required is not None:
        lines.append(f"Обеспечение контракта на этой цене: {format_money(result.at_floor.required)}")
    if result.expected_market_price is not None:
        lines.append(f"Ожидаемая цена рынка: {format_money(result.expected_market_price)}")
    lines.append(source)
    if cost is None:
        lines.append("Для вероятности победы и прибыли: /sim НОМЕР СЕБЕСТОИМОСТЬ")
        return "\n".join(lines)
    lines += [
        f"Вероятность победы на {format_money(result.floor)}: {result.win_probability:.0%}",
        f"Ожидаемая прибыль: {format_money(result.expected_profit)}",
        f"Рекомендуемая цена ухода: {format_money(result.recommended_walk_away)} "
        f"(победа {result.recommended_win_probability:.0%})",
    ]
    return "\n".join(lines)


def access_policy(settings: Settings) -> AccessPolicy:
    tg = settings.telegram
    return AccessPolicy.of(admins=tg.admins, users=tg.allowed_users, chats=tg.allowed_chats)


def enqueue_all(
    engine: Engine,
    settings: Settings,
    *,
    since_matches: datetime | None = None,
    since_changes: datetime | None = None,
) -> int:
    """Matches, changes of taken tenders and due reminders -> outbox rows (idempotent)."""
    tg = settings.telegram
    now = utcnow()
    with session_scope(engine) as session:
        created = outbox.enqueue_matches(session, default_chats=tg.alert_chats, since=since_matches, now=now)
        created += outbox.enqueue_changes(session, since=since_changes)
        created += outbox.enqueue_reminders(session, now=now, days=tg.reminder_days, hours=tg.reminder_hours)
    return created


def _engine(settings: Settings) -> Engine:
    require_database(settings)
    try:
        return make_engine(settings.database.url)
    except StoreError as exc:
        fail(str(exc))


def _print_report(report: DrainReport) -> None:
    console.print(
        f"{report.sent} sent in {report.messages} messages ({report.digests} digests), "
        f"{report.retried} to retry, {report.failed} failed, {report.parked} parked",
        highlight=False,
    )
    for error in report.errors[:10]:
        console.print(f"  [yellow]{error}[/]", highlight=False)


def _dry_run(engine: Engine, settings: Settings) -> None:
    """Show what would be sent, changing nothing (the enqueue is rolled back)."""
    notifier = Notifier(engine, ConsoleSender(), digest_threshold=settings.telegram.digest_threshold)
    with session_scope(engine) as session:
        tg = settings.telegram
        now = utcnow()
        outbox.enqueue_matches(session, default_chats=tg.alert_chats, now=now)
        outbox.enqueue_changes(session)
        outbox.enqueue_reminders(session, now=now, days=tg.reminder_days, hours=tg.reminder_hours)
        planned = notifier.preview(session)
        session.rollback()
    for chat_id, message in planned:
        console.print(f"[bold]→ chat {chat_id}[/] ({len(message.row_ids)} rows)", highlight=False)
        console.print(html_to_console(message.text), highlight=False, markup=False)
    console.print(f"dry run: {len(planned)} messages would be sent; nothing was changed", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("notify")
    def notify(
        ctx: typer.Context,
        dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be sent; change nothing."),
        requeue_parked: bool = typer.Option(
            False,
            "--requeue-parked",
            help="First put every parked row (all chats) back in the queue, including "
            "'delivery unknown' ones, which may then arrive twice.",
        ),
    ) -> None:
        """Queue alerts for new matches, changes and reminders, then send the outbox once.

        Without telegram.token the alerts are printed here instead of sent.
        """
        settings = settings_of(ctx)
        warn_unrouted(settings)
        if dry_run and requeue_parked:
            fail("--dry-run changes nothing, so it cannot be combined with --requeue-parked")
        engine = _engine(settings)
        try:
            if dry_run:
                _dry_run(engine, settings)
                return
            if requeue_parked:
                _requeue_parked(engine)
            enqueue_all(engine, settings)
            report = asyncio.run(_drain(engine, settings))
        except StoreError as exc:  # names the database and the cause (read-only, full, no grants)
            fail(f"notify failed: {exc}", code=1)
        except BotError as exc:
            fail(f"notify failed: {exc}", code=1)
        except TelegramError as exc:
            _fail_on_telegram(settings, exc)
        finally:
            engine.dispose()
        _print_report(report)

    @app.command("bot")
    def bot(ctx: typer.Context) -> None:
        """Run the Telegram bot: long polling plus the outbox notifier, until SIGINT/SIGTERM."""
        settings = settings_of(ctx)
        warn_unrouted(settings)
        token = settings.telegram.token.get_secret_value()
        if not token:
            fail("telegram.token is empty: set TENDERWATCH_TELEGRAM__TOKEN (the bot cannot poll without it)")
        redact_secrets_in_logs(token)
        logging.getLogger("bot").setLevel(logging.INFO)
        engine = _engine(settings)
        try:
            asyncio.run(_serve(engine, settings, token))
        except (StoreError, BotError) as exc:
            fail(f"bot stopped: {exc}", code=1)
        except TelegramError as exc:
            _fail_on_telegram(settings, exc)
        finally:
            engine.dispose()


def _fail_on_telegram(settings: Settings, exc: TelegramError) -> NoReturn:
    """Exit with one line: 2 when the token setting is wrong, 1 when Telegram cannot be used."""
    tg = settings.telegram
    message = telegram_failure(exc, token=tg.token.get_secret_value(), base_url=tg.base_url)
    fail(message, code=2 if isinstance(exc, InvalidToken) else 1)


def _requeue_parked(engine: Engine) -> None:
    with session_scope(engine) as session:
        count = outbox.requeue_parked(session)
    log.info("requeued %d parked outbox rows", count)
    console.print(f"{count} parked rows queued again", highlight=False)


async def _drain(engine: Engine, settings: Settings) -> DrainReport:
    tg = settings.telegram
    token = tg.token.get_secret_value()
    if not token:
        return await Notifier(engine, ConsoleSender(), digest_threshold=tg.digest_threshold).drain_once()
    application = build_application(
        token=token, base_url=tg.base_url, engine=engine, policy=access_policy(settings)
    )
    async with application:
        notifier = telegram_notifier(
            application, engine, digest_threshold=tg.digest_threshold, admins=tg.admins
        )
        return await notifier.drain_once()


async def _serve(engine: Engine, settings: Settings, token: str) -> None:
    tg = settings.telegram
    application = build_application(
        token=token,
        base_url=tg.base_url,
        engine=engine,
        policy=access_policy(settings),
        simulate_summary=auction_summarizer(engine),
    )
    notifier = telegram_notifier(application, engine, digest_threshold=tg.digest_threshold, admins=tg.admins)
    watermark: dict[str, datetime | None] = {"since": None}

    def prepare() -> None:
        # Enqueueing is idempotent; the watermark (with an hour of overlap) only bounds the scan.
        started = utcnow()
        since = watermark["since"]
        enqueue_all(engine, settings, since_matches=since, since_changes=since)
        watermark["since"] = started - timedelta(hours=1)

    await run_bot(application, notifier, prepare=prepare)
