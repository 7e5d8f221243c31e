"""``eis_rss``: the RSS feed of the EIS extended search, for cheap frequent polling.

Domain: https://zakupki.gov.ru/epz/order/extendedsearch/rss.html (same parameters as the search).

Caveats:
  * the feed is one document (no paging): entries beyond it are left to the ``eis`` spider;
  * items carry the exact update time (``pubDate``), so a re-publication is seen the same day;
  * no ``guid``: the registry number comes from each item's link (the parser handles it).

Spider arguments: ``from_date``, ``until_date``, ``sample``; ``max_pages`` is accepted and moot.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.eis import RSS_PATH, EisSearchSpider


class EisRssSpider(EisSearchSpider):
    name = "eis_rss"
    # ListingSpider
    list_path = RSS_PATH
    paged = False
    default_page_size: ClassVar[int] = 200  # what the EIS feed holds
