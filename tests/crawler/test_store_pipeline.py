"""The crawl's store pipeline: batches by count and by age, and says what it stored."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import scrapy
from scrapy.utils.test import get_crawler

from crawler import pipelines
from crawler.pipelines import ITEMS_STORED
from crawler.pipelines import StorePipeline
from data.notice import Notice
from tests.crawler.crawl_helpers import stored_rows


def _notice(n: int) -> Notice:
    return Notice(
        reg_number=f"03731000001260000{n:02d}",
        law="44-FZ",
        title="Поставка бумаги",
        updated_at=datetime(2026, 11, 30, 9, n, tzinfo=UTC),
    )


def test_a_batch_waits_no_longer_than_its_seconds(tmp_path, monkeypatch):
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    crawler = get_crawler(
        scrapy.Spider,
        {"TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_BATCH_SIZE": 100, "TENDERWATCH_BATCH_SECONDS": 5},
    )
    heard: list[object] = []
    crawler.signals.connect(lambda items: heard.extend(items), signal=ITEMS_STORED, weak=False)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    clock = [1000.0]
    monkeypatch.setattr(pipelines.time, "monotonic", lambda: clock[0])
    first, second, third = _notice(1), _notice(2), _notice(3)
    pipeline.process_item(first)
    clock[0] += 4.9
    pipeline.process_item(second)
    assert stored_rows(db_url) == {} and heard == []  # 2 of 100, the oldest 4.9 s old: held
    clock[0] += 0.2
    pipeline.process_item(third)  # the oldest has waited 5.1 s: the batch goes, whatever its size
    assert len(stored_rows(db_url)) == 3 and heard == [first, second, third]
    clock[0] += 60
    fourth = _notice(4)
    pipeline.process_item(fourth)  # a new batch: its own clock starts with its first item
    assert len(stored_rows(db_url)) == 3
    pipeline.close_spider()
    assert len(stored_rows(db_url)) == 4 and heard[-1] is fourth
