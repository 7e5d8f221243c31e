"""Incremental crawls across spiders: what one spider stored spares the other's card requests."""

from __future__ import annotations

import pytest

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import run_crawl
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import replay_stats

pytestmark = pytest.mark.slow


def test_rss_crawl_after_a_search_crawl_fetches_no_card_again(tmp_path):
    """The 223-FZ JSON card has no update time: the search page's day stands in for it, marked as a
    day, so the feed's exact time on that same day is no reason to fetch the card again."""
    snapshot = build_snapshot(seed=5, count=40, now=NOW)
    n223 = sum(1 for p in snapshot.purchases if p.law == "223-FZ")
    assert n223 > 0
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    with start_replay(snapshot) as replay:
        config = fast_config(db_url, replay.url)
        search = run_crawl("eis", config=config)
        assert (search.outcome, search.new, search.requests) == ("ok", 40, 41), search.reason

        replay.reset_stats()
        feed = run_crawl("eis_rss", config=config)
        requests = replay_stats(replay)["requests"]
    assert (feed.outcome, feed.new, feed.changed, feed.unchanged) == ("ok", 0, 0, 40), feed.reason
    assert set(requests) == {"rss"} and feed.requests == 1  # no 223-FZ (json) or 44-FZ card fetched
    assert mismatches(db_url, snapshot) == []
