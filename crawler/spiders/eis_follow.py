"""``eis_follow``: the stored notices we care about, looked up one by one to follow their stage.

Domain: https://zakupki.gov.ru/epz/order/extendedsearch/results.html, searched by registry number.

Why a source of its own: a purchase moves from «Подача заявок» to «Работа комиссии» and on to
«Определение поставщика завершено» without a new version, and the search's «Обновлено» is not
known to move with it (the replay keeps it still, the cautious reading). The ``eis`` and
``eis_rss`` crawls list by update date from their high-water mark, so they would never list such
a notice again. This one asks, for each stored notice that a profile matched or a person took and
whose stage is not final (``data.store.notices_to_follow``), the search for its registry number
(the EIS search box takes numbers as well as words), and stores what the entry says: the stage
through the store's listing rule (a listing may update a card's status), and the card itself
when the entry shows a newer update (the usual ``needs_card`` test). A moved stage becomes a
change row, so the people who took the tender get a change alert, and the result crawl knows
which purchases have ended.

Caveats:
  * one request per followed notice, smallest page size: ``crawler.max_requests`` bounds it, and
    the notices whose deadline passed longest ago are asked first;
  * no high-water mark: each crawl asks about every followed notice again;
  * an entry of another purchase that merely mentions the number is ignored.

Spider arguments: ``reg_numbers`` (comma-separated: look up these instead of the followed ones,
stored or not: ``tenderwatch crawl --reg-number N``), ``max_pages``, ``sample`` (``from_date`` and
``until_date`` are accepted and unused).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.database import crawl_database
from crawler.parsers.common import law_from_reg_number
from crawler.spiders.eis import LAW_FLAGS
from crawler.spiders.eis import EisSpider
from data.notice import Notice
from data.store import Key

FOLLOW_DAYS_SETTING = "TENDERWATCH_FOLLOW_DAYS"


class EisFollowSpider(EisSpider):
    name = "eis_follow"
    # ListingSpider
    default_page_size: ClassVar[int] = 10  # the smallest «recordsPerPage»: one entry is expected
    # BaseSpider
    arguments_accepted: ClassVar[tuple[str, ...]] = (*EisSpider.arguments_accepted, "reg_numbers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.follow_days = 45
        self.idle = False
        """True when there was nothing to follow: the crawl asked nothing, and that is no failure."""

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.follow_days = crawler.settings.getint(FOLLOW_DAYS_SETTING, self.follow_days)

    def make_search_key(self, crawler: Crawler) -> str:
        return ""  # no search filters apply: the followed notices are named one by one

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.database = crawl_database(self.crawler)
        followed: list[Key]
        if self.reg_numbers:
            followed = [(law_from_reg_number(n) or "44-FZ", n) for n in self.reg_numbers]
        else:
            since = datetime.now(UTC) - timedelta(days=self.follow_days)
            followed = self.database.to_follow(published_since=since, limit=self.requests_left or 100_000)
        self.logger.info(
            "looking up %d notices (%s)",
            len(followed),
            "as asked" if self.reg_numbers else f"followed, published in the last {self.follow_days} days",
        )
        if not followed:
            self.idle = True
            self.listing_complete = True
            self.stop_reason = (
                f"nothing to follow (no matched or taken notice of the last {self.follow_days} days is open)"
            )
            return
        first, *self.pending_parts = followed
        yield self.list_request(1, first)

    def list_params(self, page: int, part: Any = None) -> list[tuple[str, str]]:
        law, reg_number = part
        return [(LAW_FLAGS[law], "on"), ("searchString", reg_number), *self.paging_params(page)]

    def read_listing(self, response: Response) -> list[Notice]:
        followed: Key = response.meta["part"]
        entries = self.whole_page(response).entries
        mine = [entry for entry in entries if entry.key == followed]
        if not mine:
            self.count("follow/not_found")
            self.logger.warning("%s %s: the search for its number lists no such purchase", *followed)
        return mine

    def has_next_page(self, response: Response, entries: list[Notice]) -> bool:
        return False  # the purchase is on the first page, or nowhere

    def rest_of_cut_listing(self, response: Response, entries: list[Notice]) -> list[Any]:
        return []

    def keeps(self, notice: Notice) -> bool:
        return True  # followed because it is stored: the search filters do not apply

    def parts_note(self) -> str:
        return f"{self.parts_listed + 1} followed notices looked up"

    def crawl_mark(self) -> datetime | None:
        return None
