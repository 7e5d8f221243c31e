"""``tenderwatch notify [--dry-run]`` and ``tenderwatch bot``: the composition root of the bot.

The auction summary behind «Симуляция» and /sim needs the database engine and the simulator's
settings, so it is built in ``tenderwatch.bot_setup`` and injected into the Application (here and
by ``serve``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from datetime import timedelta
from typing import NoReturn

import typer
from sqlalchemy.engine import Engine
from telegram.error import InvalidToken
from telegram.error import TelegramError

from bot.app import build_application
from bot.app import redact_secrets_in_logs
from bot.app import run_bot
from bot.app import telegram_failure
from bot.app import telegram_notifier
from bot.errors import BotError
from bot.notifier import ConsoleSender
from bot.notifier import DrainReport
from bot.notifier import Notifier
from bot.render import html_to_console
from data.db import make_engine
from data.db import session_scope
from data.errors import StoreError
from data.models import utcnow
from data.store import outbox
from tenderwatch.bot_setup import access_policy
from tenderwatch.bot_setup import auction_summarizer
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import require_database
from tenderwatch.clikit import settings_of
from tenderwatch.clikit import warn_unrouted
from tenderwatch.config import Settings

log = logging.getLogger(__name__)


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
