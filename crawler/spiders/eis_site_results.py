"""``eis_site_results``: the protocols of stored 44-FZ purchases, read from the EIS site (no token).

Domain: https://zakupki.gov.ru/epz/order/notice/<kind>/view/supplier-results.html (the notice's
results tab), then the deciding protocol's list of applications,
``…/view/protocol/protocol-bid-list.html`` (``crawler.parsers.result_pages`` says what each page
gives and what rests on what).

Which purchases: as ``eis_results`` (``ResultWindow``), for the protocol milestones only (3 and 7
days after the deadline; the site's pages bring no contract): the stored 44-FZ ones whose
submission deadline crossed one since the last complete crawl and that still lack a protocol;
those a profile matched or a person took first. A first crawl looks back
``FIRST_CRAWL_DAYS`` days. Two requests a purchase (``REQUESTS_PER_PURCHASE`` of
``crawler.max_requests``); a purchase whose tab links no protocol yet costs one and is asked again
at its next milestone.

Caveats:
  * the tab's address is the stored card's with ``supplier-results.html`` for ``common-info.html``:
    a notice stored without an EIS card address (``url``) is skipped and counted;
  * participants stay anonymous (the 2020 procedures are; the contract names the winner), and a
    bid list longer than its first page of 10 is counted, not listed (the parser's docstring);
  * 223-FZ purchases are not asked (their result pages were not found saved anywhere).

Spider arguments: ``from_date`` (milestones crossed since that Moscow day instead of since the
mark, which then stays), ``reg_numbers`` (these purchases instead of the milestone's, stored ones
only: the tab's address comes from the stored card).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from collections.abc import Generator
from collections.abc import Iterable
from datetime import datetime
from datetime import time
from typing import Any
from typing import ClassVar
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from crawler.parsers.result_pages import ResultsTab
from crawler.parsers.result_pages import parse_bid_list
from crawler.parsers.result_pages import read_results_tab
from crawler.spiders.base import BaseSpider
from crawler.spiders.eis_results import MILESTONES_KEY
from crawler.spiders.eis_results import ResultWindow
from data.notice import MOSCOW
from data.results import ProtocolResult
from data.store import StoredVersion

SITE_RESULTS_SOURCE = "eis_site_results"
FIRST_CRAWL_DAYS = 7
"""How far back a first crawl looks for milestones crossed (later crawls start at their mark)."""
_CARD_PATH = re.compile(r"^/epz/order/notice/([A-Za-z0-9]+)/view/")


class EisSiteResultsSpider(BaseSpider):
    name = SITE_RESULTS_SOURCE
    arguments_accepted: ClassVar[tuple[str, ...]] = ("from_date", "reg_numbers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.database: CrawlDatabase | None = None
        self.milestones = ResultWindow.for_budget(0)
        self.search_key = MILESTONES_KEY
        self.read = 0
        self.asked_reason = ""
        self.listing_complete = True
        self.idle = False
        self.stop_reason = ""

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.database = crawl_database(crawler)
        self.milestones = ResultWindow.for_budget(crawler.settings.getint("TENDERWATCH_MAX_REQUESTS", 0))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.database is not None  # configure() opened it
        if self.reg_numbers:
            numbers = list(self.reg_numbers)
            self.asked_reason = f"asked for the results of {len(numbers)} purchase(s) by number"
        else:
            since = datetime.combine(self.from_date, time(), MOSCOW) if self.from_date else None
            numbers = self.milestones.choose(
                self.database, source=self.name, days_back=FIRST_CRAWL_DAYS, since=since, wanted=("protocol",)
            )
            self.asked_reason = self.milestones.stop_reason()
        self.stop_reason = self.asked_reason
        self.idle = not numbers
        stored = self.database.stored(("44-FZ", number) for number in numbers)
        for number in numbers:
            tab = self.results_tab_url(number, stored.get(("44-FZ", number)))
            if tab is None:
                self.count("results/no_card_url")
                self.logger.warning("44-FZ %s: no stored EIS card address to find its results tab", number)
                continue
            yield scrapy.Request(
                tab, callback=self.parse_tab, errback=self.request_failed, meta={"number": number}
            )

    def results_tab_url(self, number: str, stored: StoredVersion | None) -> str | None:
        """The tab beside the stored card (``/notice/ea20/view/common-info.html`` ->
        ``/notice/ea20/view/supplier-results.html``), on the configured site."""
        m = _CARD_PATH.match(urlsplit(stored.url).path) if stored is not None and stored.url else None
        if m is None:
            return None
        return self.url(f"/epz/order/notice/{m.group(1)}/view/supplier-results.html", [("regNumber", number)])

    def parse_tab(self, response: Response) -> Generator[scrapy.Request, None, None]:
        self.count("requests/list")  # counted when answered: Scrapy drains start() ahead of the downloads
        found = yield from self.parsed(response, _read_tab)
        if not found:  # an error recorded, or fetched again
            return
        self.count("pages")
        link = found[0].deciding
        if link is None:
            self.count("results/not_yet")
            return
        where = urlsplit(link.bid_list_url)
        yield scrapy.Request(
            self.url(where.path, parse_qsl(where.query)),
            callback=self.parse_bid_list,
            errback=self.request_failed,
            meta={**response.meta, "formed_at": found[0].formed_at},
        )

    def parse_bid_list(self, response: Response) -> Generator[scrapy.Request | ProtocolResult, None, None]:
        self.count("requests/card")
        found = yield from self.parsed(response, _read_bid_list)
        if not found:
            return
        self.count("cards")
        for protocol in found:
            if protocol.purchase_number != response.meta["number"]:
                self.record_error("parse", response.url, f"the bid list is of {protocol.purchase_number}")
                continue
            formed: datetime | None = response.meta.get("formed_at")
            self.read += 1
            self.stop_reason = f"{self.asked_reason}; {self.read} protocol(s) read"
            yield protocol.model_copy(update={"published_at": protocol.published_at or formed})

    def request_failed(self, failure: Failure) -> Iterable[Any]:
        return self.step_failed(failure, self.parse_bid_list)

    def crawl_mark(self) -> datetime | None:
        if self.reg_numbers or self.from_date:  # a window of the caller's: the mark stays
            return None
        return self.milestones.mark(failed=self.errors_so_far > 0)


def _read_tab(response: Response) -> list[ResultsTab]:
    return [read_results_tab(response.body, response.url)]


def _read_bid_list(response: Response) -> list[ProtocolResult]:
    return parse_bid_list(response.body, response.url, response.url)
