"""Scrapy items: the crawler yields ``Notice`` objects (defined in ``data.notice``) as items."""

from data.notice import Notice, NoticeItem

__all__ = ["Notice", "NoticeItem"]
