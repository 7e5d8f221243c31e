"""Scrapy items: the crawler yields ``Notice`` objects (defined in ``data.notice``) as items."""

from data.notice import Notice
from data.notice import NoticeItem

__all__ = ["Notice", "NoticeItem"]
