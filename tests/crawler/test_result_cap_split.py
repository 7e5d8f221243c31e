"""A search over the site's result cap is split until every part fits (issue 11 item 1).

The replay lists at most ``result_cap`` records of a query while stating them all, as the EIS does;
the tests lower the cap (and use the site's smallest page sizes) so that a small snapshot meets it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

import pytest

from crawler.eis_site import RESULT_CAP
from crawler.replay.server import start_replay
from crawler.replay.snapshot import SearchQuery
from crawler.replay.snapshot import build_snapshot
from crawler.runner import run_crawl
from crawler.spiders.eis import SearchPart
from crawler.spiders.eis import halves
from crawler.spiders.eis import price_bands
from crawler.spiders.eis import rest_of_cut_part
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.test_spiders import list_response
from tests.crawler.test_spiders import make_spider
from tests.crawler.test_spiders import split

NOW = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # 23.11 00:00 in Moscow
D = date(2026, 11, 20)
NO_BOUNDS: tuple[Decimal | None, Decimal | None] = (None, None)


# --- the split, as pure functions --------------------------------------------------------------------


def test_a_listing_that_spans_days_continues_from_the_oldest_day_it_reached():
    part = SearchPart(date(2026, 11, 1), None)
    (rest,) = rest_of_cut_part(part, newest=D, oldest=date(2026, 11, 12), floor=None, bounds=NO_BOUNDS)
    assert rest == SearchPart(date(2026, 11, 1), date(2026, 11, 12))  # day 12 again: it was cut
    # no window of its own: the mark's (or from_date's) day bounds it
    (rest,) = rest_of_cut_part(
        SearchPart(), newest=D, oldest=date(2026, 11, 12), floor=date(2026, 11, 5), bounds=NO_BOUNDS
    )
    assert (rest.first_day, rest.last_day) == (date(2026, 11, 5), date(2026, 11, 12))
    (rest,) = rest_of_cut_part(
        SearchPart(), newest=D, oldest=date(2026, 11, 12), floor=None, bounds=NO_BOUNDS
    )
    assert (rest.first_day, rest.last_day) == (None, date(2026, 11, 12))  # a first crawl goes on back


def test_a_single_day_over_the_cap_is_cut_by_price_and_the_days_before_are_a_part_of_their_own():
    part = SearchPart(date(2026, 11, 1), D)
    rest = rest_of_cut_part(part, newest=D, oldest=D, floor=None, bounds=NO_BOUNDS)
    bands = [(p.price_from, p.price_to) for p in rest if p.priced]
    assert all(p.first_day == p.last_day == D for p in rest if p.priced)
    assert bands[0][0] == 0 and bands[-1][1] is None  # every price is in some band
    assert all(a[1] == b[0] for a, b in pairwise(bands))  # edges shared, no gap
    assert rest[-1] == SearchPart(date(2026, 11, 1), date(2026, 11, 19))


def test_a_band_over_the_cap_is_halved_and_a_kopeck_wide_band_cannot_be():
    band = SearchPart(D, D, Decimal(100_000), Decimal(500_000), priced=True)
    rest = rest_of_cut_part(band, newest=D, oldest=D, floor=None, bounds=NO_BOUNDS)
    assert [(p.price_from, p.price_to) for p in rest] == [
        (Decimal(100_000), Decimal(300_000)),
        (Decimal(300_000), Decimal(500_000)),
    ]
    assert halves(Decimal(20_000_000), None) == [
        (Decimal(20_000_000), Decimal(200_000_000)),
        (Decimal(200_000_000), None),
    ]
    assert halves(Decimal("100.00"), Decimal("100.01")) == []


def test_price_bands_keep_within_the_configured_price_filter():
    assert price_bands(Decimal(200_000), Decimal(2_000_000)) == [
        (Decimal(200_000), Decimal(500_000)),
        (Decimal(500_000), Decimal(1_000_000)),
        (Decimal(1_000_000), Decimal(2_000_000)),
    ]
    assert price_bands(Decimal(30_000_000), None) == [(Decimal(30_000_000), None)]


def test_a_part_is_sent_as_the_eis_form_parameters_and_replaces_the_configured_price(snap_spread):
    spider = make_spider(settings={"TENDERWATCH_SEARCH": {"price_from": 200_000, "price_to": 2_000_000}})
    assert spider.price_bounds == (Decimal(200_000), Decimal(2_000_000))
    band = SearchPart(D, D, Decimal(200_000), Decimal(500_000), priced=True)
    params = spider.list_params(1, band)
    assert [v for k, v in params if k == "priceFromGeneral"] == ["200000"]
    assert [v for k, v in params if k == "priceToGeneral"] == ["500000"]
    assert ("updateDateFrom", "20.11.2026") in params and ("updateDateTo", "20.11.2026") in params


def test_a_cut_that_nothing_narrower_splits_says_so_and_keeps_the_mark(snap_one_day):
    """The site lists more than its cap at one price: no query reaches the rest, and the crawl says so."""
    spider = make_spider(settings={"TENDERWATCH_PAGE_SIZE": 10, "TENDERWATCH_RESULT_CAP": 10})
    snap_one_day.result_cap = 10
    try:
        day = date(2026, 11, 22)
        band = SearchPart(day, day, Decimal("100.00"), Decimal("100.01"), priced=True)
        response = list_response(spider, snap_one_day, SearchQuery(per_page=10))
        response.meta["part"] = band
        requests, _ = split(spider.parse_list(response))
    finally:
        snap_one_day.result_cap = RESULT_CAP
    assert [r.meta["kind"] for r in requests] == ["card"] * 10  # no further part
    assert not spider.listing_complete and "which no narrower query splits" in spider.stop_reason


# --- the split against the replay --------------------------------------------------------------------


@pytest.fixture(scope="module")
def snap_spread():
    return build_snapshot(seed=16, count=90, now=NOW)  # 30 days, at most 7 updates a day


@pytest.fixture(scope="module")
def snap_one_day():
    return build_snapshot(seed=11, count=120, now=NOW, days=1)  # 120 updates, all on 22.11


@pytest.fixture
def serve(request):
    servers = []

    def start(snapshot, cap):
        snapshot.result_cap = cap
        server = start_replay(snapshot).__enter__()
        servers.append((server, snapshot))
        return server

    yield start
    for server, snapshot in servers:
        server.__exit__(None, None, None)
        snapshot.result_cap = RESULT_CAP


def _card_requests(server) -> int:
    requests = replay_stats(server)["requests"]
    return sum(int(n) for kind in ("card", "json") for n in requests.get(kind, {}).values())


@pytest.mark.slow
def test_a_search_over_the_cap_is_split_by_day_and_lists_every_notice_once(serve, snap_spread, tmp_path):
    server = serve(snap_spread, 40)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    config = fast_config(db_url, server.url, TENDERWATCH_RESULT_CAP=40, TENDERWATCH_PAGE_SIZE=20)
    summary = run_crawl("eis", config=config)
    assert (summary.outcome, summary.listing_complete) == ("ok", True), summary.reason
    assert "over the site's cap of 40 records, the search was listed in" in summary.reason
    assert mismatches(db_url, snap_spread) == []
    assert (
        summary.new == 90 and _card_requests(server) == 90
    )  # every card once, though days were listed twice
    # Nothing new: the first page reaches below the mark, so the cap costs nothing.
    again = run_crawl("eis", config=config)
    assert (again.outcome, again.requests, again.new) == ("ok", 1, 0), again.reason


@pytest.mark.slow
def test_a_single_day_over_the_cap_is_split_by_price_until_every_band_fits(serve, snap_one_day, tmp_path):
    server = serve(snap_one_day, 20)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    config = fast_config(db_url, server.url, TENDERWATCH_RESULT_CAP=20, TENDERWATCH_PAGE_SIZE=10)
    summary = run_crawl("eis", config=config, from_date="22.11.2026", until_date="22.11.2026")
    assert (summary.outcome, summary.listing_complete) == ("ok", True), summary.reason
    assert mismatches(db_url, snap_one_day) == []
    assert summary.new == 120 and _card_requests(server) == 120
    parts = int(summary.reason.split("listed in ")[1].split()[0])
    assert parts > len(price_bands(None, None))  # at least one band was over the cap and halved


@pytest.mark.slow
def test_max_pages_counts_the_pages_of_every_part(serve, snap_spread, tmp_path):
    server = serve(snap_spread, 40)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    config = fast_config(db_url, server.url, TENDERWATCH_RESULT_CAP=40, TENDERWATCH_PAGE_SIZE=20)
    summary = run_crawl("eis", config=dataclasses.replace(config, max_pages=3))
    assert (summary.outcome, summary.listing_complete) == ("partial", False), summary.reason
    assert "max_pages=3 reached" in summary.reason and summary.pages == 3
