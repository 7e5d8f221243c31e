"""The crawl runner's configuration from the settings: shared by ``tenderwatch crawl`` and ``serve``.

Apart from ``tenderwatch.config`` because it imports the crawler (Scrapy), which every other
command would otherwise pay for at start-up.
"""

from __future__ import annotations

from dataclasses import fields

from crawler.runner import CrawlConfig
from tenderwatch.config import Settings


def crawl_config(settings: Settings) -> CrawlConfig:
    """Every ``[crawler]`` key the runner knows, by name, and the database."""
    known = {f.name for f in fields(CrawlConfig)} - {"proxy", "export_token", "frontier_url", "company_inn"}
    return CrawlConfig(
        database_url=settings.database.url,
        proxy=settings.crawler.proxy.get_secret_value() or None,
        export_token=settings.crawler.export_token.get_secret_value() or None,
        frontier_url=settings.crawler.frontier_url.get_secret_value() or None,
        company_inn=settings.company.inn or None,
        **settings.crawler.model_dump(include=known),
    )
