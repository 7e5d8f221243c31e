"""The crawl process's one database handle, shared by the spider, the store pipeline and the run recorder.

Scrapy builds each component separately from the crawler; ``crawl_database(crawler)`` hands all of
them the same engine (one connection pool per crawl process) and the store functions they need.
Everything here is a thin, synchronous call into ``data.store``: the crawl runs in its own
subprocess, and each call is one short transaction, so blocking the reactor for it is acceptable.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.engine import Engine

from crawler.errors import CrawlSettingsError
from data import store
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.errors import DatabaseUrlError
from data.models import CrawlRun
from data.notice import Notice
from data.store import Key
from data.store import ResultDocument
from data.store import ResultsStored
from data.store import RunProgress
from data.store import StoredVersion
from data.store import UpsertResult
from data.store.unfair import suppliers_to_check

log = logging.getLogger(__name__)

DATABASE_URL_SETTING = "TENDERWATCH_DATABASE_URL"
DATABASE_ATTRIBUTE = "_tenderwatch_database"


class CrawlDatabase:
    """Store calls for one crawl, each in its own short session (committed or rolled back whole)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_id: int | None = None
        """The crawl run this process records (set by the run recorder); batches count into it."""

    @classmethod
    def from_url(cls, url: str, *, migrate: bool = True) -> CrawlDatabase:
        """Open (and upgrade) the crawl's database. A bad URL is a settings error; a database that
        fails (unreachable, read-only) raises its ``StoreError`` as it is: not a usage error."""
        try:
            engine = make_engine(url)
        except DatabaseUrlError as exc:
            raise CrawlSettingsError(f"{DATABASE_URL_SETTING}: {exc}") from None
        if migrate:
            upgrade(engine)
        return cls(engine)

    def stored(self, keys: Iterable[Key]) -> dict[Key, StoredVersion]:
        with session_scope(self.engine) as session:
            return store.stored_versions(session, keys=keys)

    def to_follow(self, *, published_since: datetime, limit: int) -> list[Key]:
        with session_scope(self.engine) as session:
            return store.notices_to_follow(session, published_since=published_since, limit=limit)

    def suppliers_to_check(self, *, first: Iterable[str], checked_before: datetime, limit: int) -> list[str]:
        with session_scope(self.engine) as session:
            return suppliers_to_check(session, first=first, checked_before=checked_before, limit=limit)

    def awaiting_results(
        self,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        wanted: Collection[str] = ("protocol", "contract"),
    ) -> list[str]:
        with session_scope(self.engine) as session:
            return store.purchases_awaiting_results(
                session, since=since, until=until, limit=limit, wanted=wanted
            )

    def upsert(
        self, notices: list[Notice], *, source: str | None, requests: int = 0, pages: int = 0
    ) -> UpsertResult:
        """Store a batch; it counts itself into this process's crawl run in the same transaction."""
        run = RunProgress(self.run_id, requests, pages) if self.run_id is not None else None
        with session_scope(self.engine) as session:
            return store.upsert_notices(session, notices, source=source, run=run)

    def upsert_results(self, documents: list[ResultDocument], *, source: str | None) -> ResultsStored:
        """Store protocols and contracts (the export service delivers them beside notices)."""
        with session_scope(self.engine) as session:
            return store.upsert_results(session, documents, source=source)

    def high_water(self, *, source: str, search_key: str) -> datetime | None:
        with session_scope(self.engine) as session:
            return store.get_high_water(session, source=source, search_key=search_key)

    def advance_high_water(self, *, source: str, search_key: str, seen: datetime) -> datetime:
        with session_scope(self.engine) as session:
            return store.advance_high_water(session, source=source, search_key=search_key, seen=seen)

    def start_run(self, *, source: str, arguments: Mapping[str, Any]) -> int:
        with session_scope(self.engine) as session:
            return store.start_crawl_run(session, source=source, arguments=arguments)

    def alive(self, *, run_id: int, **figures: Any) -> None:
        with session_scope(self.engine) as session:
            store.crawl_run_alive(session, run_id=run_id, **figures)

    def finish_run(self, *, run_id: int, **figures: Any) -> CrawlRun:
        with session_scope(self.engine) as session:
            return store.finish_crawl_run(session, run_id=run_id, **figures)

    def last_finished_run(self, source: str) -> CrawlRun | None:
        with session_scope(self.engine) as session:
            return store.last_finished_run(session, source=source)

    def close_abandoned_runs(self) -> list[CrawlRun]:
        with session_scope(self.engine) as session:
            return store.close_abandoned_runs(session)

    def close(self) -> None:
        self.engine.dispose()


def crawl_database(crawler: Crawler) -> CrawlDatabase:
    """The crawl's shared handle, opened (and the schema upgraded) on first use."""
    database: CrawlDatabase | None = getattr(crawler, DATABASE_ATTRIBUTE, None)
    if database is None:
        url = crawler.settings.get(DATABASE_URL_SETTING)
        if not url:
            raise CrawlSettingsError(f"{DATABASE_URL_SETTING} is not set: the crawler has nowhere to store")
        database = CrawlDatabase.from_url(url)
        setattr(crawler, DATABASE_ATTRIBUTE, database)  # one per crawl process, shared by every component
    return database


def read_run(database: CrawlDatabase, run_id: int) -> CrawlRun | None:
    """The crawl-run row as stored now (the runner reads what the crawl process wrote)."""
    with session_scope(database.engine) as session:
        return session.get(CrawlRun, run_id)
