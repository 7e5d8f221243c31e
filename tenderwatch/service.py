"""``serve()``: the long-running service in one asyncio loop.

One loop hosts the APScheduler ``AsyncIOScheduler`` (crawl jobs per source, reminders), the
delivery side (the Telegram bot polling plus the notifier's drain loop when a token is set; the
console sender otherwise) and the signal handling. Crawls themselves are subprocesses, so the
loop only waits on them from worker threads.

Shutdown order (SIGINT, SIGTERM, the stop event or the ``duration`` running out): the scheduler
stops firing, running crawls get SIGTERM (killed after a grace period), cycles in flight finish
their database work, the notifier finishes the message on the wire and releases its other
claims, then the bot stops. Everything unsent stays pending for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable
from typing import TextIO

from sqlalchemy.engine import Engine
from telegram.error import TelegramError
from telegram.ext import Application

from bidder.profiles import ProfileError
from bidder.profiles import parse_profiles
from bot.app import build_application
from bot.app import redact
from bot.app import run_bot
from bot.app import telegram_failure
from bot.app import telegram_notifier
from bot.notifier import ConsoleSender
from bot.notifier import Notifier
from crawler.runner import KILL_GRACE_SECONDS
from crawler.runner import run_crawl
from data.db import check_writable
from data.db import make_engine
from data.db import upgrade
from data.errors import StoreError
from tenderwatch.bot_setup import access_policy
from tenderwatch.bot_setup import auction_summarizer
from tenderwatch.config import Settings
from tenderwatch.config import mask_url
from tenderwatch.crawling import crawl_config
from tenderwatch.pipeline import Announce
from tenderwatch.pipeline import CrawlFunction
from tenderwatch.pipeline import Pipeline
from tenderwatch.pipeline import Totals
from tenderwatch.scheduler import SchedulerError
from tenderwatch.scheduler import build_scheduler
from tenderwatch.scheduler import describe_schedule

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ServiceError(Exception):
    """The service cannot start: bad profiles or schedule, unreachable database or Bot API."""


async def serve(
    settings: Settings,
    *,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
    signals: Iterable[signal.Signals] = STOP_SIGNALS,
    announce: Announce = print,
    console_stream: TextIO | None = None,
    crawl: CrawlFunction = run_crawl,
) -> Totals:
    """Run the service until ``stop`` is set, a signal arrives or ``duration`` seconds pass.

    Without a Telegram token the alerts are printed to ``console_stream`` (stdout) as the chat
    would read them. Returns what the service did.
    """
    try:
        profiles = parse_profiles(settings.profiles)
    except ProfileError as exc:
        raise ServiceError(f"invalid profiles in the settings:\n{exc}") from None
    engine = _open_database(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signalled, timed_out = asyncio.Event(), asyncio.Event()
    installed = _install_signals(loop, signals, stop, signalled)
    try:
        token = settings.telegram.token.get_secret_value()
        application = None
        if token:
            application = build_application(
                token=token,
                base_url=settings.telegram.base_url,
                engine=engine,
                policy=access_policy(settings),
                simulate_summary=auction_summarizer(engine),
            )
            notifier = telegram_notifier(
                application,
                engine,
                digest_threshold=settings.telegram.digest_threshold,
                admins=settings.telegram.admins,
            )
        else:
            notifier = Notifier(
                engine,
                ConsoleSender(console_stream),
                digest_threshold=settings.telegram.digest_threshold,
            )
        pipeline = Pipeline(
            engine=engine,
            notifier=notifier,
            profiles=profiles,
            crawl_config=crawl_config(settings),
            scheduler_settings=settings.scheduler,
            telegram_settings=settings.telegram,
            match_batch_size=settings.database.batch_size,
            near_miss_threshold=settings.matching.threshold,
            crawl=crawl,
            announce=announce,
        )
        try:
            scheduler = build_scheduler(pipeline, settings.scheduler, export=settings.crawler.export_enabled)
        except SchedulerError as exc:
            raise ServiceError(str(exc)) from None
        delivery_stop = asyncio.Event()
        delivery = await _start_delivery(application, notifier, delivery_stop, settings)
        delivery_failed: BaseException | None = None
        try:
            scheduler.start()
            _announce_start(announce, settings, application, duration, len(profiles))
            await pipeline.report_company()
            if duration is not None:
                loop.call_later(duration, _set_both, timed_out, stop)
            delivery_failed = await _wait_for_stop(stop, delivery)
        finally:
            # Out of time: let the running crawl finish (up to its own timeout). A signal or an
            # error: terminate it. Either way before the scheduler, whose shutdown cancels job tasks.
            finish_crawls = timed_out.is_set() and not signalled.is_set()
            announce(
                "stopping: no new crawls; "
                + (
                    "letting the running one finish, then matching and alerting what it stored"
                    if finish_crawls
                    else "terminating the running one"
                )
            )
            pipeline.request_stop(terminate_crawls=not finish_crawls)
            await pipeline.wait_stopped(
                grace=settings.crawler.timeout_seconds if finish_crawls else KILL_GRACE_SECONDS
            )
            if scheduler.running:
                scheduler.shutdown(wait=False)
            delivery_stop.set()
            try:
                await delivery
            except (Exception, asyncio.CancelledError) as exc:  # already reported by _wait_for_stop
                log.debug("delivery loop ended with %r", exc)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        engine.dispose()
    announce(f"stopped. {pipeline.totals.summary()}")
    if delivery_failed is not None:
        raise _delivery_failure(settings, delivery_failed)
    return pipeline.totals


def _set_both(*events: asyncio.Event) -> None:
    for event in events:
        event.set()


def _open_database(settings: Settings) -> Engine:
    try:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        upgrade(engine)
        check_writable(engine)  # a service that cannot store what it crawls must not start quietly
    except StoreError as exc:
        raise ServiceError(str(exc)) from None  # it names the database (password masked) and the cause
    return engine


def _install_signals(
    loop: asyncio.AbstractEventLoop,
    signals: Iterable[signal.Signals],
    stop: asyncio.Event,
    signalled: asyncio.Event,
) -> list[signal.Signals]:
    def on_signal() -> None:
        signalled.set()
        stop.set()

    installed = []
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
    return installed


async def _start_delivery(
    application: Application | None, notifier: Notifier, stop: asyncio.Event, settings: Settings
) -> asyncio.Task[None]:
    """The drain loop (inside the bot when there is a token); returns once it is up.

    The scheduler starts only after this, so the first cycle's alerts never meet a bot that is
    not initialized yet. A bot that cannot start (bad token, unreachable API) fails ``serve``.
    """
    ready = asyncio.Event()
    interval = settings.scheduler.drain_interval_seconds
    if application is None:
        coro = notifier.run(stop, interval=interval, prepare=ready.set)
    else:
        coro = run_bot(
            application,
            notifier,
            stop=stop,
            drain_interval=interval,
            prepare=ready.set,
            signals=(),
        )
    task: asyncio.Task[None] = asyncio.ensure_future(coro)
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        try:
            task.result()
        except Exception as exc:  # PTB's text may quote the token: never pass it on as it is
            raise _delivery_failure(settings, exc, "could not start") from None
        raise ServiceError("the Telegram bot stopped before it was ready")
    return task


async def _wait_for_stop(stop: asyncio.Event, delivery: asyncio.Task[None]) -> BaseException | None:
    """Until stopped; if the bot dies on its own (a token revoked while it runs), the service stops
    too, and the error is returned for ``serve`` to raise once everything is shut down."""
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, delivery}, return_when=asyncio.FIRST_COMPLETED)
    if delivery.done() and not stop.is_set():
        waiter.cancel()
        exc = delivery.exception()
        log.error("the delivery loop stopped unexpectedly: %s", exc)
        stop.set()
        return exc
    return None


def _delivery_failure(settings: Settings, exc: BaseException, what: str = "stopped") -> ServiceError:
    token = settings.telegram.token.get_secret_value()
    if isinstance(exc, TelegramError):
        reason = telegram_failure(exc, token=token, base_url=settings.telegram.base_url)
    else:
        reason = redact(str(exc) or type(exc).__name__, token)
    return ServiceError(f"the Telegram bot {what}: {reason}")


def _announce_start(
    announce: Announce, settings: Settings, application: object | None, duration: float | None, profiles: int
) -> None:
    bot = getattr(application, "bot", None)
    target = f"Telegram as @{bot.username}" if bot is not None else "the console (no telegram.token)"
    announce(f"tenderwatch serve: database {mask_url(settings.database.url)}; alerts go to {target}")
    announce(f"{profiles} profile(s); crawling {mask_url(settings.crawler.base_url)}")
    for line in describe_schedule(settings.scheduler, export=settings.crawler.export_enabled):
        announce(f"  scheduled: {line}")
    if duration is not None:
        announce(f"running for {duration:g} s")
    else:
        announce("running until Ctrl-C or SIGTERM")
