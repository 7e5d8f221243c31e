"""``eis_rnp``: the register of unfair suppliers (РНП), looked up INN by INN in the EIS site's search feed.

Domain: https://zakupki.gov.ru/epz/dishonestsupplier/search/rss (``crawler.parsers.rnp`` reads it).

Which INNs: our own company's (``company.inn``), always and first; then the suppliers that won
stored purchases and were not looked up in the last ``RECHECK_DAYS`` days, never-checked and
oldest-checked first, then by wins (``data.store.unfair.suppliers_to_check``); one request each,
within ``crawler.max_requests``.

How: one GET of the register's search page first, which hands out the session cookie the feed
wants, then per INN the feed of the search form's defaults: ``searchString`` the INN, all three
registers (``fz94``, ``fz223``, ``ppRf615``), entries in force only (``dsStatuses=0``), newest
update first, 10 a page. The search matches words, so only that INN's entries are kept. Each INN
becomes an ``UnfairSupplierCheck``: its entries and when it was looked up (none: not in the
register), which the store records.

What it rests on: a public project's live captures of 13 August 2026 (z0rats/corvid,
``zakupki_rnp_service.py``; its saved feed is our test data): without that cookie and a browser's
User-Agent the feed answers a bare 404, so this spider sends a browser's headers and keeps
cookies (the other sources do neither). The replay enforces both.

Caveats: an INN with more than 10 entries in force keeps the 10 newest (no saved feed shows the
register's paging); no reason for an inclusion is given by the feed. No high-water mark: the
look-ups table is the memory.

Spider arguments: none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Generator
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from crawler.eis_site import REGISTER_FEED_PATH
from crawler.eis_site import REGISTER_SEARCH_PATH
from crawler.middlewares import BROWSER_HEADERS
from crawler.middlewares import BROWSER_USER_AGENT
from crawler.parsers.common import ParseError
from crawler.parsers.common import safe_xml_root
from crawler.parsers.rnp import entries_of
from crawler.parsers.rnp import is_register_feed
from crawler.parsers.rnp import parse_rnp_rss
from crawler.spiders.base import RETRYING
from crawler.spiders.base import BaseSpider
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry

RNP_SOURCE = "eis_rnp"
COMPANY_INN_SETTING = "TENDERWATCH_COMPANY_INN"
RECHECK_DAYS = 7
"""A supplier looked up less than this long ago is not asked again (our own company always is)."""
FEED_PARAMS = (
    ("fz94", "on"),
    ("fz223", "on"),
    ("ppRf615", "on"),
    ("dsStatuses", "0"),
    ("sortBy", "UPDATE_DATE"),
    ("pageNumber", "1"),
    ("sortDirection", "false"),
    ("recordsPerPage", "_10"),
)
"""The search form's defaults, as the real feed's own channel link repeats them."""
_HEADERS = {**BROWSER_HEADERS, "User-Agent": BROWSER_USER_AGENT}


class EisRnpSpider(BaseSpider):
    name = RNP_SOURCE
    arguments_accepted: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Cookies on for this crawl alone: the feed wants the search page's session cookie."""
        super().update_settings(settings)
        settings.set("COOKIES_ENABLED", True, priority="spider")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.database: CrawlDatabase | None = None
        self.company_inn = ""
        self.limit = 1000
        self.inns: list[str] = []
        self.listing_complete = True
        self.idle = False
        self.stop_reason = ""
        self.found = 0

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.database = crawl_database(crawler)
        self.company_inn = (crawler.settings.get(COMPANY_INN_SETTING) or "").strip()
        budget = crawler.settings.getint("TENDERWATCH_MAX_REQUESTS", 0)
        self.limit = max(1, budget - 1) if budget else 100_000

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.database is not None  # configure() opened it
        before = datetime.now(UTC) - timedelta(days=RECHECK_DAYS)
        self.inns = self.database.suppliers_to_check(
            first=[self.company_inn], checked_before=before, limit=self.limit
        )
        self.idle = not self.inns
        self.stop_reason = (
            f"looked up {len(self.inns)} INN(s) in the register"
            if self.inns
            else f"no supplier to look up (every winner was looked up in the last {RECHECK_DAYS} days)"
        )
        if self.inns:
            yield scrapy.Request(
                self.url(REGISTER_SEARCH_PATH),
                headers=_HEADERS,
                callback=self.parse_search_page,
                errback=self.request_failed,
                dont_filter=True,
            )

    def parse_search_page(self, response: Response) -> Iterable[scrapy.Request]:
        self.count("requests/list")
        self.count("pages")
        for inn in self.inns:
            yield scrapy.Request(
                self.url(REGISTER_FEED_PATH, [("searchString", inn), *FEED_PARAMS]),
                headers=_HEADERS,
                callback=self.parse_feed,
                errback=self.request_failed,
                meta={"inn": inn},
            )

    def parse_feed(self, response: Response) -> Generator[scrapy.Request | UnfairSupplierCheck, None, None]:
        self.count("requests/card")
        read = yield from self.parsed(response, _read_feed)
        if read is None or read is RETRYING:  # an error recorded, or fetched again
            return
        self.count("cards")
        inn = response.meta["inn"]
        mine = entries_of(read, inn)
        self.found += bool(mine)
        self.stop_reason = f"looked up {len(self.inns)} INN(s) in the register; {self.found} listed"
        yield UnfairSupplierCheck(inn=inn, checked_at=datetime.now(UTC), entries=mine)

    def request_failed(self, failure: Failure) -> Iterable[Any]:
        return self.step_failed(failure, self.parse_feed)

    def crawl_mark(self) -> datetime | None:
        return None


def _read_feed(response: Response) -> list[UnfairSupplierEntry]:
    """The register's feed, and nothing else: an empty search is an empty list, a notice feed or
    any other page served in its place is a ``ParseError``."""
    root = safe_xml_root(response.body, response.url)
    if not is_register_feed(root):
        raise ParseError(response.url, "not the register of unfair suppliers' feed")
    return parse_rnp_rss(root, response.url)
