"""``eis_rss``: the RSS feed of the EIS extended search, for cheap frequent polling.

Domain: https://zakupki.gov.ru/epz/order/extendedsearch/rss.html (same parameters as the search).

Caveats:
  * the feed is paged like the search (``pageNumber``, 200 items a page as in the real capture);
    a page with fewer items ends it. It states no total, so when it ends exactly at the site's
    result cap (``RESULT_CAP``) before reaching the mark, it was cut, not finished: the listing is
    incomplete, the mark stays, and ``serve`` runs the ``eis`` search at once to list the rest;
  * items carry the exact update time (``pubDate``), so a re-publication is seen the same day;
  * no ``guid``: the registry number comes from each item's link (the parser handles it).

Spider arguments: ``from_date``, ``until_date``, ``max_pages``, ``sample``.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar

from scrapy.http import Response

from crawler.spiders.base import read_document
from crawler.spiders.eis import RSS_PATH
from crawler.spiders.eis import EisSearchSpider
from data.notice import Notice


class EisRssSpider(EisSearchSpider):
    name = "eis_rss"
    # ListingSpider
    list_path = RSS_PATH
    paged = True
    default_page_size: ClassVar[int] = 200  # what a page of the EIS feed held in the real capture

    def read_listing(self, response: Response) -> list[Notice]:
        return read_document(response)

    def rest_of_cut_listing(self, response: Response, entries: list[Notice]) -> list[Any]:
        """The feed states no total, so it is not split: the search is (``serve`` runs it)."""
        listed = (response.meta["page"] - 1) * self.page_size + len(entries)
        if listed >= self.result_cap:
            self.listing_cut = (
                f"the feed ended at the site's cap of {self.result_cap} items before reaching the mark: "
                "the rest is left to the eis search"
            )
        return []
