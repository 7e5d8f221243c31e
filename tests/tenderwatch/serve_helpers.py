"""Shared by the service tests: test profiles, the ground truth of what must be alerted, waiting,
and a pipeline whose crawl and Telegram are stand-ins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime

from sqlalchemy.engine import Engine

from bidder.matcher import compile_profiles
from bidder.profiles import parse_profiles
from bot.notifier import Notifier
from crawler.runner import CrawlConfig
from crawler.runner import CrawlSummary
from data.db import session_scope
from data.notice import Notice
from data.store import finish_crawl_run
from data.store import start_crawl_run
from data.store import upsert_notices
from tenderwatch.config import SchedulerSettings
from tenderwatch.config import Settings
from tenderwatch.config import TelegramSettings
from tenderwatch.pipeline import Pipeline


def local_service_settings(
    db_url: str,
    replay_url: str,
    telegram: dict[str, object],
    scheduler: dict[str, object],
    profiles: list[dict],
) -> Settings:
    """``serve`` against the replay on 127.0.0.1 at full speed (no politeness delay: it is ours)
    and a fake Bot API; ``telegram`` holds at least the token and the fake's base URL."""
    return Settings(
        database={"url": db_url},
        crawler={
            "base_url": replay_url,
            "concurrent_requests": 8,
            "download_delay": 0,
            "autothrottle": False,
            "timeout_seconds": 60,
        },
        telegram={"digest_threshold": 1000, **telegram},
        scheduler={"jitter_seconds": 0, "drain_interval_seconds": 1, "sources": ["eis"], **scheduler},
        profiles=profiles,
    )


PROFILES = [
    {"name": "it", "regions": "any", "okpd2": ["26.20", "62.01"]},
    {"name": "medical", "regions": "any", "okpd2": ["32.50"], "laws": ["44-FZ"]},
]


def alertable(notices: Iterable[Notice], profiles: list[dict] = PROFILES) -> set[str]:
    """Registry numbers that must be alerted: matching a profile, not cancelled, still open.

    The matcher runs on the snapshot's ground truth (what a perfect parser reads), independent of
    what the crawl stored.
    """
    matcher = compile_profiles(parse_profiles(profiles))
    now = datetime.now(UTC)
    return {
        n.reg_number
        for n in notices
        if matcher.match(n, now=now)
        and "отмен" not in (n.status or "").lower()
        and (n.submission_deadline is None or n.submission_deadline > now)
    }


async def until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``predicate`` without blocking the loop; the timeout is a generous upper bound only."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.1)


CHAT = 7001
ADMIN = 9001


class RecordingSender:
    """Collects what would be sent to Telegram."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, chat_id: int, text: str, keyboard: object, on_wire=None) -> int:
        if on_wire is not None:
            on_wire()
        self.sent.append((chat_id, text))
        return len(self.sent)

    def to(self, chat_id: int) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


class FakeCrawl:
    """Stands in for ``run_crawl``: stores the queued notices and records a crawl run, or fails."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: list[Notice] = []
        self.fail_with: str | None = None
        self.raise_error: Exception | None = None
        self.listing_complete: bool | None = True
        """False: the crawl is ``partial`` because its listing was not read to its end."""

    def __call__(self, source: str, *, config: CrawlConfig, on_start=None) -> CrawlSummary:
        if self.raise_error is not None:
            raise self.raise_error
        outcome = "failed" if self.fail_with else "ok" if self.listing_complete is not False else "partial"
        reason = self.fail_with or (None if outcome == "ok" else "listing page 2 could not be read")
        with session_scope(self.engine) as session:
            run_id = start_crawl_run(session, source=source)
            result = upsert_notices(session, [] if self.fail_with else self.queue, source=source)
            finish_crawl_run(
                session,
                run_id=run_id,
                outcome=outcome,
                result=result,
                reason=reason,
                listing_complete=self.listing_complete,
            )
        self.queue = []
        return CrawlSummary(
            run_id=run_id,
            source=source,
            outcome=outcome,
            reason=reason,
            listing_complete=self.listing_complete,
            requests=1,
            pages=1,
            new=result.new,
            changed=result.changed,
            unchanged=result.unchanged,
            errors=1 if self.fail_with else 0,
            errors_by_kind={},
            returncode=0,
            seconds=0.0,
        )


def make_pipeline(engine: Engine, crawl, sender: RecordingSender, **scheduling) -> Pipeline:
    return Pipeline(
        engine=engine,
        notifier=Notifier(engine, sender, digest_threshold=1000),
        profiles=parse_profiles(PROFILES),
        crawl_config=CrawlConfig(database_url=str(engine.url)),
        scheduler_settings=SchedulerSettings(**scheduling),
        telegram_settings=TelegramSettings(default_chats=[CHAT], admins=[ADMIN]),
        crawl=crawl,
        announce=lambda line: None,
    )
