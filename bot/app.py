"""The Application factory and the long-running loop of ``tenderwatch bot``.

``run_bot`` drives PTB's lifecycle by hand (initialize → start → updater.start_polling … stop →
shutdown) instead of ``run_polling``, because the notifier runs in the same asyncio loop and we
own the signal handling. One process per bot token: a second poller gets 409 Conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from telegram import BotCommand
from telegram import LinkPreviewOptions
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Conflict
from telegram.error import InvalidToken
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import ChatMemberHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import Defaults
from telegram.ext import MessageHandler
from telegram.ext import TypeHandler
from telegram.ext import filters

from bot import handlers
from bot.access import AccessPolicy
from bot.errors import BotError
from bot.errors import ConfigurationError
from bot.errors import TokenRejected
from bot.notifier import Notifier
from bot.notifier import TelegramSender
from bot.ratelimit import ChatRateLimiter
from bot.ratelimit import RateLimits
from bot.render import MOSCOW
from data.db import mask_url
from data.models import utcnow

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
"""An explicit list must name my_chat_member, or blocks and kicks are never reported."""

_SECRETS: set[str] = set()
_factory_installed = False


def redact_secrets_in_logs(*secrets: str) -> None:
    """Make sure no log record, from any library, ever carries these strings (the bot token).

    PTB and httpx put the token in URLs (httpx logs every request at INFO; tracebacks carry URLs),
    so filtering one logger is not enough: a record factory rewrites every record at creation.
    The HTTP client loggers are also raised to WARNING, which keeps the logs readable.
    """
    global _factory_installed
    _SECRETS.update(s for s in secrets if s)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _telegram_error_in_one_line(record)
        if _SECRETS:
            _redact(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _telegram_error_in_one_line(record: logging.LogRecord) -> None:
    """Telegram's answers (a rejected token, a 409) are conditions to report, not bugs: one line,
    the error appended, instead of a traceback of PTB's internals. Whoever logs them: PTB's own
    loggers, and asyncio's "Task exception was never retrieved" when PTB's polling task ends on
    one while the updater stops."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, TelegramError):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as it normally would
            return
        record.msg, record.args = f"{message} ({type(error).__name__}: {error})", None
        record.exc_info, record.exc_text = None, None


def _redact(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: let logging report it as it normally would
        return
    exc_text = None
    if record.exc_info:
        exc_text = logging.Formatter().formatException(record.exc_info)
    record.msg, record.args = redact(message, *_SECRETS), None
    if exc_text:
        record.exc_text = redact(exc_text, *_SECRETS)


def telegram_failure(exc: TelegramError, *, token: str, base_url: str) -> str:
    """One line for an unreachable Bot API or a rejected token, for a person; never the token.

    PTB's own messages quote the token (``The token `123:ABC` was rejected by the server``), and
    the base URL may carry it too: both are scrubbed, and a rejected token names the setting.
    """
    where = f"Telegram Bot API at {redact(mask_url(base_url), token)}"
    if isinstance(exc, InvalidToken):
        return (
            f"{where} rejected telegram.token (set TENDERWATCH_TELEGRAM__TOKEN to the token from @BotFather)"
        )
    reason = redact(str(exc), token)
    if isinstance(exc, Conflict):
        return f"{where}: {reason} (is another `tenderwatch bot` polling with this token?)"
    return f"cannot use {where}: {reason} ({type(exc).__name__})"


def redact(text: str, *secrets: str) -> str:
    """``text`` with every secret replaced by ``<token>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    return text


def build_application(
    *,
    token: str,
    base_url: str,
    engine: Engine,
    policy: AccessPolicy,
    simulate_summary: handlers.SimulateSummary | None = None,
    limits: RateLimits | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Application:
    """A configured PTB Application: HTML defaults, our rate limiter, gatekeeper, commands, buttons."""
    if not token:
        raise ConfigurationError("telegram.token is empty: set TENDERWATCH_TELEGRAM__TOKEN to run the bot")
    redact_secrets_in_logs(token)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter as timedelta: PTB's future default
    app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(ChatRateLimiter(limits))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=MOSCOW,
            )
        )
        .job_queue(None)
        .get_updates_read_timeout(40)
        .build()
    )
    app.bot_data["tw"] = handlers.BotContext(
        engine=engine, policy=policy, simulate_summary=simulate_summary, clock=clock
    )
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    app.add_handler(ChatMemberHandler(handlers.track_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=-2)
    app.add_handler(TypeHandler(Update, handlers.gatekeeper), group=-1)
    for command in handlers.COMMANDS:
        app.add_handler(CommandHandler(command.name, getattr(handlers, f"cmd_{command.name}")))
    # plain text in a private chat is a search; in a group people talk to each other (/search there)
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, handlers.on_text)
    )
    app.add_handler(CallbackQueryHandler(handlers.on_alert_button, pattern=r"^t:"))
    app.add_handler(CallbackQueryHandler(handlers.on_profile_button, pattern=r"^p:"))
    app.add_handler(CallbackQueryHandler(handlers.on_filter_button, pattern=r"^f:"))
    app.add_handler(CallbackQueryHandler(_unknown_button))
    app.add_error_handler(handlers.on_error)


async def _unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = handlers.query_of(update)
    log.warning("refused unknown callback data %r", query.data)
    await handlers.refuse_button(query)


def _polling_error(exc: TelegramError) -> None:
    # start_polling() wants a plain function; PTB retries polling by itself.
    log.warning("polling error: %s", exc)


async def run_bot(
    app: Application,
    notifier: Notifier,
    *,
    stop: asyncio.Event | None = None,
    drain_interval: float = 10.0,
    poll_timeout: int = 30,
    prepare: Callable[[], None] | None = None,
    signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> None:
    """Poll for updates and drain the outbox in one loop until ``stop`` is set or a signal arrives.

    Shutdown order matters: the notifier finishes the message in flight and releases its other
    claims (so the outbox stays consistent), then the updater stops, then the application.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        # Entering the application calls getMe: an unreachable Bot API or a rejected token raises
        # TelegramError here, before anything is claimed, for the caller to report.
        async with app:
            await _poll_and_drain(app, notifier, stop, drain_interval, poll_timeout, prepare)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    log.info("bot stopped")


async def _poll_and_drain(
    app: Application,
    notifier: Notifier,
    stop: asyncio.Event,
    drain_interval: float,
    poll_timeout: int,
    prepare: Callable[[], None] | None,
) -> None:
    try:
        await app.bot.set_my_commands(
            [
                BotCommand(c.name, f"{c.menu}: /{c.name} {c.usage}" if c.usage else c.menu)
                for c in handlers.COMMANDS
            ]
        )
    except TelegramError as exc:
        log.warning("could not publish the command list: %s", exc)
    updater = app.updater
    if updater is None:  # build_application always builds one; a custom Application might not
        raise ConfigurationError("the Telegram application has no updater to poll with")
    await app.start()
    await updater.start_polling(
        allowed_updates=ALLOWED_UPDATES,
        timeout=poll_timeout,
        drop_pending_updates=False,
        error_callback=_polling_error,
    )
    polling_died: list[BaseException] = []
    _watch_polling(stop, polling_died)
    log.info("bot @%s polling; outbox drained every %.0f s", app.bot.username, drain_interval)
    drain = asyncio.create_task(notifier.run(stop, interval=drain_interval, prepare=prepare))
    try:
        await stop.wait()
    finally:
        stop.set()
        notifier.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await drain
        try:
            await updater.stop()
        except TelegramError as exc:  # stopping re-raises the error that ended polling: reported below
            log.debug("polling had ended with %r", exc)
        await app.stop()
    for died in polling_died:
        if isinstance(died, InvalidToken):
            raise TokenRejected(
                "Telegram rejected the bot token while the bot was running (revoked or replaced in "
                "@BotFather?); set TENDERWATCH_TELEGRAM__TOKEN to the current token and restart"
            )
        raise BotError(f"polling for updates stopped: {type(died).__name__}")


POLLING_TASK = "Updater:start_polling:polling_task"
"""The name PTB 22 gives its polling task (``Updater.start_polling``)."""


def _watch_polling(stop: asyncio.Event, died: list[BaseException]) -> None:
    """Stop the bot when PTB's polling gives up for good.

    PTB retries network errors for ever but ends its polling task on ``InvalidToken`` (a token
    revoked while the bot runs), logging it once and leaving the process alive and deaf. The
    task is found by the name PTB gives it; without it (another PTB version) nothing is watched,
    and the notifier's failing sends still show the problem in the log.
    """
    task = next((t for t in asyncio.all_tasks() if t.get_name() == POLLING_TASK), None)
    if task is None:
        log.warning("cannot watch the polling task (PTB changed its name): a revoked token goes unnoticed")
        return

    def ended(task: asyncio.Task[object]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        died.append(exc)
        log.critical("polling stopped for good (%s: %s); the bot shuts down", type(exc).__name__, exc)
        stop.set()

    task.add_done_callback(ended)


def telegram_notifier(app: Application, engine: Engine, *, digest_threshold: int, **options: Any) -> Notifier:
    """A notifier sending through the application's bot (so it shares the rate limiter).

    ``options`` are ``Notifier``'s keyword arguments (clock, admins...)."""
    return Notifier(engine, TelegramSender(app.bot), digest_threshold=digest_threshold, **options)
