"""End-to-end crawls: a real ``scrapy crawl`` subprocess against the replay server on 127.0.0.1."""

from __future__ import annotations

import os
import signal

import pytest

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import run_crawl
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import stored_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def replay():
    snapshot = build_snapshot(seed=5, count=60, now=NOW)
    with start_replay(snapshot) as server:
        yield server


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def test_first_crawl_stores_exactly_the_snapshot_and_a_recrawl_costs_one_request(replay, db_url):
    config = fast_config(db_url, replay.url)
    first = run_crawl("eis", config=config)
    assert (first.outcome, first.new, first.changed, first.errors) == ("ok", 60, 0, 0), first.log_tail
    assert first.requests == 61 and first.pages == 1  # one list page of 500, one card per notice
    assert mismatches(db_url, replay.snapshot) == []

    replay.reset_stats()
    again = run_crawl("eis", config=config)
    assert (again.outcome, again.new, again.changed, again.unchanged) == ("ok", 0, 0, 60)
    assert again.requests == 1 and replay_stats(replay)["total"] == 1
    assert again.reason == "last page (1) reached; 0 errors in 1 requests (0%)"


def test_incremental_crawl_fetches_only_new_cards_across_pages(replay, db_url):
    config = fast_config(db_url, replay.url, TENDERWATCH_PAGE_SIZE=20)
    first = run_crawl("eis", config=config)
    assert (first.new, first.pages, first.requests) == (60, 3, 63)

    published = replay.publish(count=3)
    replay.reset_stats()
    second = run_crawl("eis", config=config)
    assert (second.new, second.changed) == (3, 0)
    assert second.requests == 1 + 3  # one list page (the mark is reached on it), one card per new notice
    assert replay_stats(replay)["total"] == 4
    assert second.reason.startswith("page 1 reached below the high-water mark (3 to fetch on it)")
    assert set(stored_rows(db_url)) >= {(n.law, n.reg_number) for n in published}


def test_rss_crawl_fetches_cards_for_the_feed(replay, db_url):
    summary = run_crawl("eis_rss", config=fast_config(db_url, replay.url))
    assert (summary.outcome, summary.new, summary.pages) == ("ok", 60, 1)
    assert mismatches(db_url, replay.snapshot) == []


def test_sample_fetches_at_most_n_cards_and_keeps_the_mark(replay, db_url):
    summary = run_crawl("eis", config=fast_config(db_url, replay.url), sample=5)
    assert summary.outcome == "ok" and summary.new == 5 and summary.requests == 6
    again = run_crawl("eis", config=fast_config(db_url, replay.url))
    assert (again.new, again.unchanged) == (55, 5)  # the sample moved no mark: everything else is fetched


def test_sigkill_midway_then_rerun_stores_everything_exactly_once(replay, db_url):
    # One request at a time, slowed a little, so the crawl is surely killed between batches.
    config = fast_config(db_url, replay.url, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    pid: list[int] = []

    def kill_after_two_batches(progress) -> None:
        if progress.new >= 20 and pid:
            os.kill(pid.pop(), signal.SIGKILL)

    killed = run_crawl("eis", config=config, on_start=pid.append, on_progress=kill_after_two_batches)
    assert killed.outcome == "failed" and killed.returncode == -signal.SIGKILL
    assert killed.reason.startswith("crawl process killed by signal SIGKILL")
    kept = len(stored_rows(db_url))
    assert 20 <= kept < 60

    rerun = run_crawl("eis", config=fast_config(db_url, replay.url))
    assert rerun.outcome == "ok" and rerun.new == 60 - kept
    assert mismatches(db_url, replay.snapshot) == []


def test_sigterm_is_a_deliberate_stop_recorded_as_partial_and_the_rerun_completes(replay, db_url):
    config = fast_config(db_url, replay.url, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    pid: list[int] = []

    def stop_after_two_batches(progress) -> None:
        if progress.new >= 20 and pid:
            os.killpg(pid.pop(), signal.SIGTERM)  # what `tenderwatch serve` does on shutdown

    stopped = run_crawl("eis", config=config, on_start=pid.append, on_progress=stop_after_two_batches)
    assert stopped.outcome == "partial", stopped.reason
    # Scrapy is running by then: it closes the spider itself ("shutdown") and records the run.
    assert stopped.reason.startswith("crawl stopped before it finished (shutdown)"), stopped.reason
    kept = len(stored_rows(db_url))
    assert 20 <= kept <= 60

    rerun = run_crawl("eis", config=fast_config(db_url, replay.url))
    assert rerun.outcome == "ok" and rerun.new == 60 - kept
    assert mismatches(db_url, replay.snapshot) == []


def test_bad_argument_fails_before_any_request(replay, db_url):
    from crawler.errors import SpiderArgumentError

    with pytest.raises(SpiderArgumentError, match="max_pages='0': must be 1 or more"):
        run_crawl("eis", config=fast_config(db_url, replay.url), max_pages="0")
    assert replay_stats(replay)["total"] == 0


def test_full_size_snapshot(db_url):
    snapshot = build_snapshot(seed=2026, now=NOW)
    with start_replay(snapshot) as server:
        summary = run_crawl("eis", config=fast_config(db_url, server.url, TENDERWATCH_BATCH_SIZE=100))
    assert (summary.outcome, summary.new, summary.errors) == ("ok", len(snapshot.purchases), 0)
    assert summary.requests == 1 + len(snapshot.purchases)
    assert mismatches(db_url, snapshot) == []
