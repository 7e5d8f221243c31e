"""Spiders, middlewares and the run judge on in-memory responses rendered by the replay snapshot.

No network and no Scrapy engine: responses are built with ``HtmlResponse``/``TextResponse`` from the
snapshot renderer, and the spider's callbacks are called directly with a stand-in for the database.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime

import certifi
import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.exceptions import DownloadConnectionRefusedError
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import HtmlResponse
from scrapy.http import TextResponse
from scrapy.http import XmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.database import CrawlDatabase
from crawler.database import read_run
from crawler.errors import BadPage
from crawler.errors import CrawlSettingsError
from crawler.errors import SpiderArgumentError
from crawler.extensions import CrawlFigures
from crawler.extensions import CrawlProgress
from crawler.extensions import judge
from crawler.middlewares import WAIT_META
from crawler.middlewares import ErrorPageMiddleware
from crawler.middlewares import RetryAfterMiddleware
from crawler.middlewares import bad_page_kind
from crawler.middlewares import retry_after_seconds
from crawler.parsers.common import DATE_ONLY_NOTE
from crawler.parsers.common import MOSCOW
from crawler.replay import SearchQuery
from crawler.replay import build_snapshot
from crawler.runner import CrawlConfig
from crawler.runner import _close_abandoned_run
from crawler.runner import _Exit
from crawler.runner import crawl_command
from crawler.runner import crawl_environment
from crawler.runner import validate
from crawler.spiders.base import UPDATE_DAY_ONLY_NOTE
from crawler.spiders.base import check_spider_arguments
from crawler.spiders.base import error_kind
from crawler.spiders.base import needs_card
from crawler.spiders.eis import EisSpider
from crawler.spiders.eis import LocalFilter
from crawler.spiders.eis import local_filter
from crawler.spiders.eis import search_filters
from crawler.spiders.eis_rss import EisRssSpider
from crawler.tls import CaBundleContextFactory
from data.notice import Notice
from data.store import StoredVersion

BASE = "http://replay.test"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def snap():
    return build_snapshot(seed=11, count=30, now=NOW)


class FakeDatabase:
    """What the spider asks the database: the stored versions of the keys on a page."""

    def __init__(self, stored: dict | None = None) -> None:
        self.stored_map = stored or {}
        self.asked: list[list] = []

    def stored(self, keys):
        keys = list(keys)
        self.asked.append(keys)
        return {k: v for k, v in self.stored_map.items() if k in keys}


def make_spider(cls=EisSpider, settings=None, **arguments):
    crawler = get_crawler(cls, {"TENDERWATCH_BASE_URL": BASE, **(settings or {})})
    spider = cls.from_crawler(crawler, **arguments)
    crawler.spider = spider
    spider.database = FakeDatabase()
    return spider


def list_response(spider, snap, query: SearchQuery, page: int = 1):
    url = spider.url(spider.list_path, spider.list_params(page))
    feed = isinstance(spider, EisRssSpider)
    body = snap.render_rss(query) if feed else snap.render_search_page(query)
    cls = XmlResponse if feed else HtmlResponse
    return cls(url=url, body=body, request=Request(url, meta={"page": page, "kind": "list"}))


def split(output):
    output = list(output)
    return [o for o in output if isinstance(o, Request)], [o for o in output if isinstance(o, Notice)]


# --- arguments and settings ------------------------------------------------------------------------


def test_date_arguments_accept_russian_and_iso_forms():
    checked = check_spider_arguments(from_date="01.11.2026", until_date="2026-11-20T10:00:00", max_pages="3")
    assert checked == {
        "from_date": date(2026, 11, 1),
        "until_date": date(2026, 11, 20),
        "max_pages": 3,
        "sample": None,
        "reg_numbers": None,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"from_date": "32.01.2026"}, "spider argument from_date='32.01.2026': not a valid date"),
        ({"until_date": "yesterday"}, "until_date='yesterday': expected dd.mm.yyyy or yyyy-mm-dd"),
        ({"max_pages": "0"}, "max_pages='0': must be 1 or more"),
        ({"sample": "ten"}, "sample='ten': not a whole number"),
        ({"from_date": "2026-11-02", "until_date": "2026-11-01"}, "from_date is after until_date"),
    ],
)
def test_bad_arguments_are_clear_errors(arguments, message):
    with pytest.raises(SpiderArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_spider_arguments(**arguments)


def test_unknown_spider_argument_is_refused():
    with pytest.raises(SpiderArgumentError, match="unknown spider argument 'form_date'"):
        make_spider(form_date="01.11.2026")


def test_search_filters_become_eis_form_parameters():
    params = search_filters(
        {
            "laws": ["223-FZ"],
            "stages": ["af"],
            "price_from": "100000",
            "price_to": 5_000_000,
            "regions": ["77", "50"],
            "okpd2": ["26.20"],
            "search_string": "ноутбук",
        }
    )
    assert params == [
        ("fz223", "on"),
        ("af", "on"),
        ("priceFromGeneral", "100000"),
        ("priceToGeneral", "5000000"),
        ("delKladrIds", "5277335,5277327"),  # ids known for both: the site filters
        ("delKladrIdsCodes", "77000000000,50000000000"),
        ("delKladrIdsWithNested", "on"),
        ("searchString", "ноутбук"),  # okpd2: no id is known, the crawl filters it (local_filter)
        ("morphology", "on"),
    ]
    assert search_filters({}) == [("fz44", "on"), ("fz223", "on")]


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"region": ["77"]}, "crawler.search.region: unknown search filter"),
        ({"laws": ["94-FZ"]}, "crawler.search.laws: '94-FZ' is not one of 44-FZ, 223-FZ"),
        ({"price_from": "cheap"}, "'cheap' is not an amount"),
    ],
)
def test_bad_search_filters_are_clear_errors(search, message):
    with pytest.raises(CrawlSettingsError, match=message):
        search_filters(search)


def test_list_url_sorts_by_update_date_newest_first_with_the_largest_page():
    spider = make_spider(from_date="01.11.2026", settings={"TENDERWATCH_SEARCH": '{"laws": ["44-FZ"]}'})
    assert spider.search_key == "fz44=on"
    assert spider.url(spider.list_path, spider.list_params(2)) == (
        f"{BASE}/epz/order/extendedsearch/results.html?fz44=on&sortBy=UPDATE_DATE&sortDirection=false"
        "&recordsPerPage=_500&pageNumber=2&updateDateFrom=01.11.2026"
    )


# --- listing -> cards ------------------------------------------------------------------------------


def _listing(updated: datetime, *, date_only: bool, status: str = "Подача заявок") -> Notice:
    return Notice(
        reg_number="0373100084625000417",
        law="44-FZ",
        status=status,
        updated_at=updated,
        completeness="listing",
        notes=[DATE_ONLY_NOTE] if date_only else [],
    )


def test_needs_card_compares_days_for_search_pages_and_times_for_rss():
    stored = StoredVersion(2, datetime(2026, 11, 20, 15, 0, tzinfo=MOSCOW), "card")
    same_day = datetime(2026, 11, 20, tzinfo=MOSCOW)
    assert needs_card(_listing(same_day, date_only=True), stored) is False
    assert needs_card(_listing(same_day + timedelta(days=1), date_only=True), stored) is True
    assert needs_card(_listing(datetime(2026, 11, 20, 16, 0, tzinfo=MOSCOW), date_only=False), stored) is True
    assert (
        needs_card(_listing(datetime(2026, 11, 20, 14, 0, tzinfo=MOSCOW), date_only=False), stored) is False
    )
    assert needs_card(_listing(same_day, date_only=True), None) is True
    assert needs_card(_listing(same_day, date_only=True), StoredVersion(None, same_day, "listing")) is True
    cancelled = _listing(
        same_day + timedelta(days=2), date_only=True, status="Определение поставщика отменено"
    )
    assert needs_card(cancelled, stored) is False


def test_first_crawl_requests_every_card_and_the_next_page(snap):
    spider = make_spider(settings={"TENDERWATCH_PAGE_SIZE": 10})
    query = SearchQuery(per_page=10, page=1)
    entries, total = snap.search(query)
    requests, items = split(spider.parse_list(list_response(spider, snap, query)))
    cards = [r for r in requests if r.meta["kind"] == "card"]
    assert items == []
    assert [r.url for r in cards] == [
        f"{BASE}/epz/order/notice/printForm/viewXml.html?regNumber={e.purchase.reg_number}"
        if e.purchase.law == "44-FZ"
        else f"{BASE}/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
        f"?regNumber={e.purchase.reg_number}"
        for e in entries
    ]
    (next_page,) = [r for r in requests if r.meta["kind"] == "list"]
    assert next_page.meta["page"] == 2 and "pageNumber=2" in next_page.url
    assert total == 30
    stats = spider.crawler.stats.get_stats()
    assert stats["tenderwatch/pages"] == 1 and stats["tenderwatch/requests/card"] == 10


def test_stored_entries_yield_listings_and_paging_stops_below_the_mark(snap):
    spider = make_spider(settings={"TENDERWATCH_PAGE_SIZE": 10})
    query = SearchQuery(per_page=10, page=1)
    entries, _ = snap.search(query)
    spider.database = FakeDatabase(
        {
            (e.purchase.law, e.purchase.reg_number): StoredVersion(
                e.version.number, e.version.published_at, "card"
            )
            for e in entries
        }
    )
    spider.cutoff = entries[0].updated_at  # the mark: the newest entry; the page reaches below it
    requests, items = split(spider.parse_list(list_response(spider, snap, query)))
    assert requests == []
    assert [n.reg_number for n in items] == [e.purchase.reg_number for e in entries]
    assert {n.completeness for n in items} == {"listing"} and {n.source for n in items} == {"eis"}
    assert spider.stop_reason == "page 1 reached below the high-water mark (0 to fetch on it)"


def test_max_pages_and_sample_stop_the_listing(snap):
    spider = make_spider(max_pages="1", settings={"TENDERWATCH_PAGE_SIZE": 10})
    requests, _ = split(spider.parse_list(list_response(spider, snap, SearchQuery(per_page=10))))
    assert [r.meta["kind"] for r in requests] == ["card"] * 10
    assert spider.stop_reason == "max_pages=1 reached; older entries were not listed"

    spider = make_spider(sample="3", settings={"TENDERWATCH_PAGE_SIZE": 10})
    requests, _ = split(spider.parse_list(list_response(spider, snap, SearchQuery(per_page=10))))
    assert [r.meta["kind"] for r in requests] == ["card"] * 3
    assert spider.stop_reason == "sample of 3 reached" and spider.crawl_mark() is None


def test_rss_listing_is_one_document_with_exact_times(snap):
    spider = make_spider(EisRssSpider)
    query = SearchQuery(per_page=200)
    requests, _ = split(spider.parse_list(list_response(spider, snap, query)))
    assert len(requests) == 30 and {r.meta["kind"] for r in requests} == {"card"}
    newest = max(snap.listing_updated_at(p) for p in snap.purchases)
    assert spider.crawl_mark() == newest.replace(microsecond=0)
    assert spider.stop_reason == "last page (1) reached"


def test_card_takes_the_stage_from_the_listing(snap):
    spider = make_spider()
    purchase = next(p for p in snap.purchases if p.law == "44-FZ")
    listing = snap.listing_notice(purchase)
    url = f"{BASE}/epz/order/notice/printForm/viewXml.html?regNumber={purchase.reg_number}"
    response = XmlResponse(
        url=url, body=snap.render_card(purchase.latest), request=Request(url, meta={"listing": listing})
    )
    (card,) = list(spider.parse_card(response))
    assert card.completeness == "card" and card.key == purchase.latest.notice.key
    assert card.version == purchase.latest.number
    assert card.status == listing.status == purchase.latest.notice.status
    assert card.nmck == purchase.latest.nmck and card.source == "eis"


def test_223_json_card_without_update_time_takes_the_listings(snap):
    spider = make_spider()
    purchase = next(p for p in snap.purchases if p.law == "223-FZ")
    listing = snap.listing_notice(purchase)
    path = "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
    url = f"{BASE}{path}?regNumber={purchase.reg_number}"
    response = TextResponse(
        url=url, body=snap.render_json(purchase.latest), request=Request(url, meta={"listing": listing})
    )
    (card,) = list(spider.parse_card(response))
    assert card.completeness == "card" and card.reg_number == purchase.reg_number
    assert card.updated_at == listing.updated_at and card.status == listing.status
    assert card.nmck == purchase.latest.nmck


def test_truncated_card_is_retried_then_recorded_and_the_listing_kept(snap):
    spider = make_spider()
    purchase = next(p for p in snap.purchases if p.law == "44-FZ")
    listing = snap.listing_notice(purchase)
    url = f"{BASE}/epz/order/notice/printForm/viewXml.html?regNumber={purchase.reg_number}"
    body = snap.render_card(purchase.latest)
    request = Request(url, meta={"listing": listing})
    for attempt in (1, 2):
        response = XmlResponse(url=url, body=body[: len(body) // 2], request=request)
        (retry,) = list(spider.parse_card(response))
        assert isinstance(retry, Request) and retry.meta["retry_times"] == attempt
        request = retry
    response = XmlResponse(url=url, body=body[: len(body) // 2], request=request)
    (kept,) = list(spider.parse_card(response))
    assert kept.completeness == "listing" and kept.key == listing.key
    assert spider.crawler.stats.get_value("tenderwatch/errors/parse") == 1
    assert spider.oldest_failed == listing.updated_at
    spider.newest_seen = listing.updated_at + timedelta(days=1)
    spider.listing_complete = True
    assert spider.crawl_mark() == listing.updated_at - timedelta(microseconds=1)


# --- middlewares ---------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates_within_the_cap():
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7", default=30, cap=300) == 7
    in_90s = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(in_90s, default=30, cap=300, now=now) == 90
    assert retry_after_seconds(b"86400", default=30, cap=300) == 300
    assert retry_after_seconds(None, default=30, cap=300) == 30
    assert retry_after_seconds("soon", default=30, cap=300) == 30


def test_429_is_retried_after_the_wait_then_handed_on():
    spider = make_spider(settings={"TENDERWATCH_429_RETRY_TIMES": 1})
    middleware = RetryAfterMiddleware.from_crawler(spider.crawler)
    request = Request(f"{BASE}/x")
    response = HtmlResponse(url=request.url, status=429, headers={"Retry-After": "2"}, request=request)
    retry = middleware.process_response(request, response)
    assert isinstance(retry, Request) and retry.meta[WAIT_META] == 2 and retry.meta["retry_times"] == 1
    assert middleware.process_response(retry, response) is response
    ok = HtmlResponse(url=request.url, status=200, body=b"<html></html>", request=request)
    assert middleware.process_response(request, ok) is ok


def test_error_pages_are_retried_then_raised_as_bad_page_but_site_pages_at_once():
    spider = make_spider(settings={"TENDERWATCH_BAD_PAGE_RETRY_TIMES": 1})
    middleware = ErrorPageMiddleware.from_crawler(spider.crawler)
    request = Request(f"{BASE}/epz/order/extendedsearch/results.html")
    empty = HtmlResponse(url=request.url, body=b"  ", request=request)
    retry = middleware.process_response(request, empty)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    with pytest.raises(BadPage) as raised:
        middleware.process_response(retry, empty)
    assert raised.value.kind == "empty" and raised.value.url == request.url
    # A maintenance page answers every URL for a while: no retry, the spider ends the crawl on it.
    page = "<html><body><h1>Технические работы</h1></body></html>".encode()
    with pytest.raises(BadPage) as raised:
        middleware.process_response(request, HtmlResponse(url=request.url, body=page, request=request))
    assert raised.value.kind == "maintenance"


def test_bad_page_kind_leaves_data_documents_to_the_parser(snap):
    assert bad_page_kind(b"  ") == ("empty", "empty body")
    captcha = "<html><body>Подтвердите, что вы человек</body></html>".encode()
    assert bad_page_kind(captcha)[0] == "captcha"
    titled = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Технические работы</title></channel></rss>'
    )
    assert bad_page_kind(titled.encode()) is None
    assert bad_page_kind(snap.render_search_page(SearchQuery(per_page=10))) is None


# --- judging a crawl -----------------------------------------------------------------------------


def _figures(*, logical_requests: int, errors_by_kind=None, **progress) -> CrawlFigures:
    return CrawlFigures(CrawlProgress(**progress), logical_requests, errors_by_kind or {})


@pytest.mark.parametrize(
    ("figures", "reason", "outcome"),
    [
        (_figures(requests=11, pages=1, logical_requests=11), "finished", "ok"),
        (_figures(pages=1, logical_requests=20, errors_by_kind={"http_5xx": 2}), "finished", "partial"),
        (_figures(pages=1, logical_requests=10, errors_by_kind={"captcha": 6}), "finished", "failed"),
        (_figures(pages=0, logical_requests=1, errors_by_kind={"maintenance": 1}), "finished", "failed"),
        (_figures(pages=3, logical_requests=30), "shutdown", "partial"),  # SIGTERM: a deliberate stop
        (_figures(pages=3, logical_requests=30), "closespider_timeout", "failed"),
        (_figures(pages=1, logical_requests=30, errors_by_kind={"store": 5}), "finished", "failed"),
    ],
)
def test_outcome_is_judged_from_the_stats(figures, reason, outcome):
    got, why = judge(figures, finish_reason=reason, partial_rate=0.05, failed_rate=0.5)
    assert got == outcome, why


def test_judge_reason_names_the_error_kinds():
    figures = _figures(pages=2, logical_requests=40, errors_by_kind={"http_5xx": 3, "parse": 1})
    assert judge(figures, finish_reason="finished", partial_rate=0.05, failed_rate=0.5, stopped="done") == (
        "partial",
        "error rate above 5%: done; 4 errors in 40 requests (10%): http_5xx 3, parse 1",
    )


# --- TLS -----------------------------------------------------------------------------------------


def test_ca_bundle_is_checked_and_used_for_verification(tmp_path):
    crawler = get_crawler(
        settings_dict={"TENDERWATCH_CA_BUNDLE": certifi.where(), "DOWNLOAD_VERIFY_CERTIFICATES": True}
    )
    factory = CaBundleContextFactory.from_crawler(crawler)
    assert str(factory.ca_bundle) == certifi.where()
    assert factory.creatorForNetloc(b"zakupki.gov.ru", 443) is not None
    missing = get_crawler(settings_dict={"TENDERWATCH_CA_BUNDLE": str(tmp_path / "none.pem")})
    with pytest.raises(CrawlSettingsError, match=r"none\.pem'?: no such PEM file"):
        CaBundleContextFactory.from_crawler(missing)


def test_money_stays_decimal_through_the_listing(snap):
    spider = make_spider(settings={"TENDERWATCH_PAGE_SIZE": 10})
    query = SearchQuery(per_page=10)
    entries, _ = snap.search(query)
    spider.database = FakeDatabase(
        {
            (e.purchase.law, e.purchase.reg_number): StoredVersion(1, NOW + timedelta(days=5), "card")
            for e in entries
        }
    )
    _, items = split(spider.parse_list(list_response(spider, snap, query)))
    assert [n.nmck for n in items] == [e.version.nmck for e in entries]
    assert all(isinstance(n.nmck, Decimal) for n in items)


BOOM = "2026-11-22 [x] ERROR: boom"
STARTING_STOP = "2026-11-22 [scrapy.crawler] INFO: Received SIGTERM, shutting down gracefully. Send again"
"""What Scrapy logs when SIGTERM arrives while it starts: it then exits 0 without closing the run."""


@pytest.mark.parametrize(
    ("returncode", "timed_out", "last_line", "outcome", "reason"),
    [
        (-signal.SIGTERM, False, "done", "partial", "crawl process stopped by SIGTERM before it finished"),
        (-signal.SIGINT, False, "done", "partial", "crawl process stopped by SIGINT before it finished"),
        (0, False, STARTING_STOP, "partial", "crawl process stopped by SIGTERM before it finished"),
        (-signal.SIGKILL, False, "done", "failed", f"crawl process killed by signal SIGKILL: {BOOM}"),
        (-signal.SIGKILL, True, "done", "failed", f"crawl timed out after 60 s and was killed: {BOOM}"),
        (
            0,
            False,
            "done",
            "failed",
            f"crawl process exited with code 0 before recording its outcome: {BOOM}",
        ),
    ],
)
def test_a_run_the_crawl_never_closed_is_closed_by_the_runner(
    tmp_path, returncode, timed_out, last_line, outcome, reason
):
    """A deliberate stop (SIGTERM/SIGINT) keeps what was stored as ``partial``; a death is ``failed``.

    The reason quotes the last line the crawl logged as an error, not any line that says "Error".
    """
    database = CrawlDatabase.from_url(f"sqlite:///{tmp_path / 'runs.db'}")
    run_id = database.start_run(source="eis", arguments={})
    tail = deque(["'scrapy.spidermiddlewares.httperror.HttpErrorMiddleware',", BOOM, last_line])
    _close_abandoned_run(database, run_id, _Exit(returncode, None, tail, timed_out=timed_out), 60)
    run = read_run(database, run_id)
    database.close()
    assert (run.outcome, run.reason) == (outcome, reason)


def test_the_deprecated_context_factory_is_set_only_with_a_ca_bundle():
    """Scrapy 2.19 warns about DOWNLOADER_CLIENTCONTEXTFACTORY: a default crawl must not use it."""
    plain = CrawlConfig(database_url="sqlite://", base_url="http://127.0.0.1:1").scrapy_settings()
    assert "DOWNLOADER_CLIENTCONTEXTFACTORY" not in plain
    bundled = CrawlConfig(
        database_url="sqlite://", base_url="http://127.0.0.1:1", ca_bundle=certifi.where()
    ).scrapy_settings()
    assert bundled["DOWNLOADER_CLIENTCONTEXTFACTORY"] == "crawler.tls.CaBundleContextFactory"
    assert bundled["TENDERWATCH_CA_BUNDLE"] == certifi.where()


# --- audit fixes (issue #3) ------------------------------------------------------------------------


def test_publish_date_and_region_filters_become_eis_parameters():
    params = search_filters(
        {
            "publish_from": "2026-11-01",
            "publish_to": date(2026, 11, 20),
            "regions": ["77", "50000000000"],
            "customer_regions": 78,
        }
    )
    assert params == [
        ("fz44", "on"),
        ("fz223", "on"),
        ("publishDateFrom", "01.11.2026"),
        ("publishDateTo", "20.11.2026"),
        ("delKladrIds", "5277335,5277327"),
        ("delKladrIdsCodes", "77000000000,50000000000"),
        ("delKladrIdsWithNested", "on"),
    ]  # 78 (St Petersburg) has no known id: nothing is sent, the crawl filters it itself
    assert local_filter({"customer_regions": 78, "regions": ["77"]}) == LocalFilter(
        customer_regions=frozenset({"78"})
    )


def test_publish_window_reaches_the_list_url():
    search = '{"laws": ["44-FZ"], "publish_from": "01.11.2026"}'
    spider = make_spider(settings={"TENDERWATCH_SEARCH": search})
    assert spider.url(spider.list_path, spider.list_params(1)) == (
        f"{BASE}/epz/order/extendedsearch/results.html?fz44=on&publishDateFrom=01.11.2026"
        "&sortBy=UPDATE_DATE&sortDirection=false&recordsPerPage=_500&pageNumber=1"
    )


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"publish_from": "1 Nov"}, "crawler.search.publish_from: '1 Nov' is not a date (dd.mm.yyyy"),
        ({"publish_to": "31.02.2026"}, "crawler.search.publish_to: '31.02.2026' is not a date"),
        (
            {"publish_from": "02.11.2026", "publish_to": "01.11.2026"},
            "crawler.search: publish_from=02.11.2026 is after publish_to=01.11.2026",
        ),
        ({"regions": ["Москва"]}, "crawler.search.regions: 'Москва' is not a subject code"),
        ({"customer_regions": ["770"]}, "crawler.search.customer_regions: '770' is not a subject code"),
    ],
)
def test_bad_date_and_region_filters_are_clear_errors(search, message):
    with pytest.raises(CrawlSettingsError, match=message.replace("(", r"\(")):
        search_filters(search)


def test_command_line_carries_no_database_url_but_the_environment_does():
    secret = "postgresql+psycopg://crawler:s3cret@db.internal/tenderwatch"
    config = CrawlConfig(database_url=secret, base_url=BASE, extra_settings={"DOWNLOAD_TIMEOUT": 1})
    command = crawl_command("eis", {"sample": "3"}, config, run_id=7)
    assert not [arg for arg in command if "s3cret" in arg or "DATABASE" in arg]
    assert command[command.index("DOWNLOAD_TIMEOUT=1") - 1] == "-s"  # extra settings pass through
    assert "TENDERWATCH_RUN_ID=7" in command and "sample=3" in command
    assert crawl_environment(config)["TENDERWATCH_DATABASE__URL"] == secret


def test_a_crawl_is_not_given_the_bot_token(monkeypatch):
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "123:bot-secret")
    environment = crawl_environment(CrawlConfig(database_url="sqlite://", base_url=BASE))
    assert "bot-secret" not in repr(environment) and "TENDERWATCH_DATABASE__URL" in environment


def test_missing_or_unreadable_ca_bundle_fails_validation(tmp_path):
    def check(bundle):
        validate("eis", CrawlConfig(database_url="sqlite://", base_url=BASE, ca_bundle=bundle), {})

    check(certifi.where())  # a readable bundle passes
    missing = str(tmp_path / "russian_root.pem")
    with pytest.raises(CrawlSettingsError, match=r"crawler\.ca_bundle='.*russian_root\.pem': no such file"):
        check(missing)
    with pytest.raises(CrawlSettingsError, match=r"crawler\.ca_bundle=.*: no such file"):
        check(str(tmp_path))  # a directory is no bundle
    locked = tmp_path / "locked.pem"
    locked.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: an unreadable file cannot be made")
        with pytest.raises(CrawlSettingsError, match=r"locked\.pem': cannot be read \(Permission denied\)"):
            check(str(locked))
    finally:
        locked.chmod(0o600)


def test_223_card_dated_by_a_search_page_is_marked_and_compared_by_day(snap):
    spider = make_spider()
    requests, _ = split(spider.parse_list(list_response(spider, snap, SearchQuery(per_page=500))))
    listing = next(r.meta["listing"] for r in requests if r.meta["listing"].law == "223-FZ")
    purchase = next(p for p in snap.purchases if p.reg_number == listing.reg_number)
    assert DATE_ONLY_NOTE in listing.notes  # the search page shows dates only
    path = "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
    url = f"{BASE}{path}?regNumber={purchase.reg_number}"
    response = TextResponse(
        url=url, body=snap.render_json(purchase.latest), request=Request(url, meta={"listing": listing})
    )
    (card,) = list(spider.parse_card(response))
    assert card.updated_at == listing.updated_at and UPDATE_DAY_ONLY_NOTE in card.notes

    stored = StoredVersion(None, card.updated_at, "card", tuple(card.notes))
    later_that_day = card.updated_at + timedelta(hours=14, minutes=30)
    assert needs_card(_listing(later_that_day, date_only=False), stored) is False  # RSS, same day
    assert needs_card(_listing(later_that_day + timedelta(days=1), date_only=False), stored) is True
    exact = StoredVersion(None, card.updated_at, "card")  # an exact stored time is still compared by time
    assert needs_card(_listing(later_that_day, date_only=False), exact) is True


def test_223_card_dated_by_the_rss_keeps_its_exact_time_unmarked(snap):
    spider = make_spider(EisRssSpider)
    purchase = next(p for p in snap.purchases if p.law == "223-FZ")
    listing = snap.listing_notice(purchase).model_copy(
        update={"notes": [], "updated_at": datetime(2026, 11, 20, 14, 30, tzinfo=MOSCOW)}
    )
    path = "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
    url = f"{BASE}{path}?regNumber={purchase.reg_number}"
    response = TextResponse(
        url=url, body=snap.render_json(purchase.latest), request=Request(url, meta={"listing": listing})
    )
    (card,) = list(spider.parse_card(response))
    assert card.updated_at == listing.updated_at and UPDATE_DAY_ONLY_NOTE not in card.notes


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (DownloadTimeoutError("Getting x took longer than 1 seconds."), "timeout"),
        (DownloadConnectionRefusedError("Connection was refused by other side"), "connection_refused"),
        (CannotResolveHostError("no such host"), "dns"),
        (ValueError("odd"), "ValueError"),
    ],
)
def test_scrapy_download_errors_have_stable_kinds(exc, kind):
    failure = Failure(exc)
    assert error_kind(failure) == kind


def test_no_request_budget_reaches_the_crawl_as_none():
    """``max_requests = 0`` (settings.toml: "0 = no budget") must not fall back to the crawler's
    own default of 3,000, as it did while the runner left the setting out."""
    for unset in (0, None):
        config = CrawlConfig(database_url="sqlite://", base_url="http://127.0.0.1:1", max_requests=unset)
        assert config.scrapy_settings()["TENDERWATCH_MAX_REQUESTS"] == 0
    budget = CrawlConfig(database_url="sqlite://", base_url="http://127.0.0.1:1", max_requests=50)
    assert budget.scrapy_settings()["TENDERWATCH_MAX_REQUESTS"] == 50
