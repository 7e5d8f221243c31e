"""``eis_results``: the protocols and contracts of stored 44-FZ purchases, from the export service.

Domain: the export service of ``eis_export`` (needs its token); one ``getDocsByReestrNumber``
request per purchase, which brings every document of it: the notice's versions, its protocols
and, once signed, its contract.

Which purchases: the stored 44-FZ ones whose submission deadline crossed one of
``data.store.RESULT_MILESTONES`` (3 and 7 days for the protocol, 17 and 31 for the contract) since
the last complete crawl and that still lack what the milestone is for; those a profile matched or
a person took first. The high-water mark is this crawl's start, so each purchase is asked at each
milestone once, however often the crawl runs; a crawl with a failed request or with more purchases
than its budget keeps the mark, and the next crawl asks that window again (upserts make asking
twice harmless).

Caveats: 223-FZ purchases are not asked (no 223-FZ protocol is parsed: no public sample, issue 10);
the HTML results pages of the EIS site are not read (the export service delivers the same
documents as XML).

Spider arguments: none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler

from crawler.spiders.eis_export import EisExportSpider

RESULTS_SOURCE = "eis_results"
REQUESTS_PER_PURCHASE = 2
"""The SOAP request and one archive: how much of ``crawler.max_requests`` a purchase costs."""


class EisResultsSpider(EisExportSpider):
    name = RESULTS_SOURCE
    arguments_accepted: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = datetime.now(UTC)
        self.limit = 1500
        self.asked: list[str] = []

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.search_key = "milestones"
        budget = crawler.settings.getint("TENDERWATCH_MAX_REQUESTS", 0)
        self.limit = max(1, budget // REQUESTS_PER_PURCHASE) if budget else 1_000_000

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.database is not None  # configure() opened it
        mark = self.database.high_water(source=self.name, search_key=self.search_key)
        since = mark or self.started - timedelta(days=self.days_back)
        self.asked = self.database.awaiting_results(since=since, until=self.started, limit=self.limit)
        if not self.asked:
            self.idle = True
            self.stop_reason = "no stored purchase crossed a result milestone since the last crawl"
            return
        self.stop_reason = f"asked for the results of {len(self.asked)} purchase(s)"
        if len(self.asked) >= self.limit:
            self.stop_reason += f"; more than the budget of {self.limit} waited: the next crawl asks again"
        for request in self.purchase_requests(self.asked):
            yield request

    def crawl_mark(self) -> datetime | None:
        """This crawl's start, when every purchase of the window was asked and answered."""
        if self.failed_days or len(self.asked) >= self.limit:
            return None
        return self.started
