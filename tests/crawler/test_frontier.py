"""The shared crawl frontier (crawler/frontier): several crawl workers on one Redis.

Redis: ``TENDERWATCH_TEST_REDIS_URL`` (``.ci/run`` sets it); without it these tests skip, saying
so. Each test keeps its keys under a namespace of its own and removes them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
import scrapy
from scrapy.utils.request import request_from_dict

from crawler.errors import CrawlSettingsError
from crawler.frontier import codec
from crawler.frontier.job import Job
from crawler.frontier.job import JobKeys
from crawler.frontier.politeness import SiteGate
from crawler.frontier.queue import LeasedQueue
from crawler.frontier.scheduler import WorkInProgress
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import CrawlSummary
from crawler.runner import run_crawl
from data.notice import Notice
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import stored_rows
from tests.faults.ledger import record

REDIS_ENV = "TENDERWATCH_TEST_REDIS_URL"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set: no Redis to share a crawl frontier on")
    return url


@pytest.fixture
def namespace(redis_url):
    from redis import Redis

    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    server = Redis.from_url(redis_url)
    keys = list(server.scan_iter(f"{name}:*"))
    if keys:
        server.delete(*keys)


class _Spider(scrapy.Spider):
    name = "eis"

    def parse_card(self, response):
        return []

    def card_errback(self, failure):
        return []


def _listing(number: str) -> Notice:
    return Notice(
        reg_number=number,
        law="44-FZ",
        title="Поставка бумаги",
        nmck=Decimal("120000.50"),
        updated_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        completeness="listing",
    )


def _card_request(spider: _Spider, number: str) -> scrapy.Request:
    return scrapy.Request(
        f"http://replay/card?regNumber={number}",
        callback=spider.parse_card,
        errback=spider.card_errback,
        meta={"kind": "card", "listing": _listing(number)},
    )


# --- pieces ------------------------------------------------------------------------------------------


def test_a_card_request_travels_as_json_and_comes_back_whole():
    spider = _Spider()
    request = _card_request(spider, "0373100000126000001")
    request.headers["Accept-Language"] = "ru"
    data = codec.dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{") and b"pickle" not in data
    back = request_from_dict(codec.loads(data), spider=spider)
    assert back.url == request.url and back.callback == spider.parse_card
    assert back.meta["listing"] == request.meta["listing"]
    assert back.headers["Accept-Language"] == b"ru"


def test_a_value_the_codec_does_not_know_is_refused_by_name():
    with pytest.raises(TypeError, match="a set cannot travel through the shared frontier"):
        codec.dumps({"meta": {"odd": {1, 2}}})


def test_work_is_done_when_its_callback_ran_and_its_items_are_stored():
    done: list[tuple[str, bool]] = []
    work = WorkInProgress(lambda w, ok: done.append((w, ok)))
    card, other = object(), object()
    work.produced("a", card)
    work.produced("a", scrapy.Request("http://x/next"))  # a request it queued owes nothing
    work.ran("a", ok=True)
    assert done == []  # its item is not stored yet
    work.stored([other])
    assert done == []
    work.stored([card])
    assert done == [("a", True)]
    work.ran("b", ok=True)  # nothing produced: done at once
    work.produced("c", object())
    work.ran("c", ok=False)  # the callback raised: back to the queue, whatever it produced
    assert done == [("a", True), ("b", True), ("c", False)]
    assert len(work) == 0


def test_a_lease_of_a_dead_worker_goes_back_and_an_acked_one_never(redis_url, namespace):
    from redis import Redis

    server = Redis.from_url(redis_url)
    keys = JobKeys.of("eis:test", namespace)
    spider = _Spider()
    alive, dead = Job(server, keys, "alive", 5), Job(server, keys, "dead", 5)
    alive.beat()
    dead.beat()
    queue_alive = LeasedQueue(server, spider, keys, "alive")
    queue_dead = LeasedQueue(server, spider, keys, "dead")
    for n in range(3):
        queue_alive.push(_card_request(spider, f"037310000012600000{n}"))
    first_lease, first = queue_alive.take()
    _, taken_by_dead = queue_dead.take()
    assert first.meta["listing"].reg_number.endswith("0")
    assert taken_by_dead.meta["listing"].reg_number.endswith("1")
    assert len(queue_alive) == 1 and server.hlen(keys.leases) == 2
    queue_alive.ack(first_lease)
    assert queue_alive.requeue_dead() == 0  # "dead" still beats
    server.delete(keys.workers + "dead")  # its heartbeat expired
    assert queue_alive.requeue_dead() == 1
    assert server.hlen(keys.leases) == 0 and len(queue_alive) == 2
    numbers = sorted(queue_alive.take()[1].meta["listing"].reg_number for _ in range(2))
    assert numbers == ["0373100000126000001", "0373100000126000002"]


def test_a_retry_replaces_its_lease_in_one_step(redis_url, namespace):
    from redis import Redis

    server = Redis.from_url(redis_url)
    keys = JobKeys.of("eis:test", namespace)
    spider = _Spider()
    queue = LeasedQueue(server, spider, keys, "w")
    queue.push(_card_request(spider, "0373100000126000001"))
    lease, request = queue.take()
    queue.push(request.replace(dont_filter=True), replaces=lease)
    assert server.hlen(keys.leases) == 0 and len(queue) == 1


def test_a_run_left_done_by_a_dead_lister_is_closed_by_the_next_worker(redis_url, namespace):
    from redis import Redis

    server = Redis.from_url(redis_url)
    keys = JobKeys.of("eis:test", namespace)
    lister = Job(server, keys, "lister", 5)
    assert lister.claim_listing()
    lister.listing_done()
    joined_while_it_lives = Job(server, keys, "second", 5)
    assert joined_while_it_lives.run == lister.run and not joined_while_it_lives.claim_listing()
    assert not joined_while_it_lives.close_if_orphaned()  # the lister is alive: it closes the run
    server.delete(keys.lister)  # the lister died after its listing, before it closed the run
    later = Job(server, keys, "later", 5)
    assert later.run != lister.run and later.claim_listing()  # a new run, listed from the mark
    assert joined_while_it_lives.is_done()  # the old run's workers see it ended


def test_a_lister_taken_for_dead_knows_it_lost_the_listing(redis_url, namespace):
    from redis import Redis

    server = Redis.from_url(redis_url)
    keys = JobKeys.of("eis:test", namespace)
    stalled = Job(server, keys, "stalled", 5)
    assert stalled.claim_listing() and stalled.beat()
    server.delete(keys.lister)  # silent past its TTL
    assert Job(server, keys, "other", 5).claim_listing()
    assert stalled.beat() is False and not stalled.lists


def test_the_site_gate_spaces_every_workers_turns(redis_url, namespace):
    from redis import Redis

    gates = [SiteGate(Redis.from_url(redis_url), 0.5, jitter=False, namespace=namespace) for _ in range(3)]
    waits = [gates[i % 3].reserve("zakupki.gov.ru", now=1000.0) for i in range(6)]
    assert waits == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]  # one turn each half second, whoever asks
    assert gates[0].reserve("other.example", now=1000.0) == 0.0  # a site of its own
    assert gates[1].reserve("zakupki.gov.ru", now=1010.0) == 0.0  # the site rested: no wait


# --- workers ---------------------------------------------------------------------------------------


def test_a_frontier_that_does_not_answer_stops_the_crawl_before_it_starts(tmp_path):
    config = replace(
        fast_config(f"sqlite:///{tmp_path / 'x.db'}", "http://127.0.0.1:9"),
        frontier_url="redis://:secret@127.0.0.1:9/0",
    )
    with pytest.raises(CrawlSettingsError, match=r"redis://:\*\*\*@127.0.0.1:9/0: Redis does not answer"):
        run_crawl("eis", config=config)
    assert not (tmp_path / "x.db").exists()  # not even a run row: nothing started


def test_only_the_search_crawls_share_a_frontier():
    config = replace(fast_config("sqlite://", "http://x"), frontier_url="redis://127.0.0.1:6379/0")
    assert config.for_source("eis").frontier_url and config.for_source("eis_rss").frontier_url
    assert config.for_source("eis_follow").frontier_url is None
    settings = config.scrapy_settings()
    assert settings["DOWNLOAD_DELAY"] == 0 and settings["AUTOTHROTTLE_ENABLED"] is False
    assert settings["TENDERWATCH_FRONTIER_DELAY"] == config.download_delay
    assert "FrontierScheduler" in settings["SCHEDULER"]


def _workers(config, count: int, *, stagger: float = 0.0, **callbacks) -> list[CrawlSummary]:
    summaries: list[CrawlSummary | BaseException] = [RuntimeError("not run")] * count

    def work(i: int) -> None:
        try:
            summaries[i] = run_crawl("eis", config=config, **{k: v[i] for k, v in callbacks.items()})
        except BaseException as exc:  # reported below, in the test's thread
            summaries[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
        time.sleep(stagger)
    for thread in threads:
        thread.join(timeout=180)
    for summary in summaries:
        if isinstance(summary, BaseException):
            raise summary
    return summaries  # type: ignore[return-value]


def _shared(db_url, server, redis_url, namespace, **settings):
    config = fast_config(
        db_url,
        server.url,
        TENDERWATCH_FRONTIER_NAMESPACE=namespace,
        TENDERWATCH_FRONTIER_WORKER_TTL=4,
        **settings,
    )
    return replace(config, frontier_url=redis_url, concurrent_requests=2)


def _cards_fetched(stats) -> int:
    requests = stats["requests"]
    return sum(requests.get(kind, {}).get("200", 0) for kind in ("card", "json"))


def test_three_workers_store_every_notice_once_and_fetch_each_card_once(tmp_path, redis_url, namespace):
    snapshot = build_snapshot(seed=11, count=150)
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with start_replay(snapshot, latency=0.01) as server:
        config = _shared(db_url, server, redis_url, namespace)
        runs = _workers(config, 3, stagger=0.3)
        stats = replay_stats(server)
        again = run_crawl("eis", config=config)
    assert [r.outcome for r in runs] == ["ok"] * 3, [r.reason for r in runs]
    assert mismatches(db_url, snapshot) == []
    assert stats["requests"]["list"] == {"200": 1}  # one lister
    assert stats["repeated"] == {}  # no card asked twice, across the workers
    assert sum(r.new for r in runs) == 150
    assert sum(1 for r in runs if "another worker lists" in r.reason) == 2
    # The lister moved the mark once the cards were in: the next crawl asks one page.
    assert (again.outcome, again.requests, again.new) == ("ok", 1, 0)


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path, redis_url, namespace):
    count = 600
    snapshot = build_snapshot(seed=12, count=count)
    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    pids: list[list[int]] = [[], [], []]
    crawling = [False, False, False]
    killed: list[int] = []

    def kill_once_all_crawl(i: int):
        """Once the three crawl, the first of them with 15 cards is killed (the lister or not)."""

        def heard(progress) -> None:
            crawling[i] = True
            if all(crawling) and not killed and progress.cards >= 15 and pids[i]:
                killed.append(i)
                os.kill(pids[i].pop(), signal.SIGKILL)

        return heard

    with start_replay(snapshot, latency=0.05) as server:
        config = _shared(db_url, server, redis_url, namespace)
        runs = _workers(
            config,
            3,
            stagger=0.5,
            on_start=[pids[0].append, pids[1].append, pids[2].append],
            on_progress=[kill_once_all_crawl(i) for i in range(3)],
        )
        stats = replay_stats(server)
    assert killed, "the crawl ended before the three workers crawled together"
    dead = killed[0]
    assert runs[dead].outcome == "failed" and runs[dead].returncode == -signal.SIGKILL
    survivors = [r for i, r in enumerate(runs) if i != dead]
    assert [r.outcome for r in survivors] == ["ok", "ok"], [r.reason for r in runs]
    assert mismatches(db_url, snapshot) == []
    stored = len(stored_rows(db_url))
    fetched_twice = _cards_fetched(stats) - count
    # Only what the dead worker had taken and not stored is fetched again: its requests in flight
    # (2) and its unstored batch (fewer than 10).
    assert 0 <= fetched_twice <= 2 + 10, stats["repeated"]
    case = record(
        4, "shared frontier: kill -9 of one of three workers", unit="notices", tried=count, survived=stored
    )
    assert (case.lost, case.duplicated) == (0, 0)


def test_when_the_lister_dies_another_worker_lists_and_moves_the_mark(tmp_path, redis_url, namespace):
    snapshot = build_snapshot(seed=13, count=200)
    db_url = f"sqlite:///{tmp_path / 'lister.db'}"
    pids: list[list[int]] = [[], []]
    killed: list[int] = []

    def kill_the_lister(i: int):
        """The worker that lists (only the lister reads list pages) dies on its second page. The
        first worker usually lists, but both crawls fork from one launcher, which the first one
        starts: on a loaded machine the second can be forked right behind it and list first."""

        def heard(progress) -> None:
            if progress.pages >= 2 and pids[i] and not killed:
                os.kill(pids[i].pop(), signal.SIGKILL)
                killed.append(i)

        return heard

    # Pages of 20, each list page slow: the listing lasts long enough to be cut.
    faults = "slow=10,delay=0.4,only=list"
    with start_replay(snapshot, latency=0.01, faults=faults) as server:
        config = _shared(db_url, server, redis_url, namespace, TENDERWATCH_PAGE_SIZE=20)
        runs = _workers(
            config,
            2,
            stagger=1.5,
            on_start=[pids[0].append, pids[1].append],
            on_progress=[kill_the_lister(0), kill_the_lister(1)],
        )
        stats = replay_stats(server)
        again = run_crawl("eis", config=replace(config, frontier_url=None))
    assert killed, "the lister finished its listing before it could be killed"
    dead, survivor = runs[killed[0]], runs[1 - killed[0]]
    assert dead.outcome == "failed" and survivor.outcome == "ok", survivor.reason
    assert survivor.reason.startswith("last page (10) reached"), survivor.reason
    assert mismatches(db_url, snapshot) == []
    assert sum(stats["repeated"].get(kind, 0) for kind in ("card", "json")) <= 2 + 10
    assert (again.outcome, again.requests, again.new) == ("ok", 1, 0)
