"""``eis_site_results``: the protocols of stored purchases read from the EIS site's result pages,
without a token, against the replay (which serves the results tab and the bid list in the real
pages' layout)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crawler.parsers.result_pages import parse_bid_list
from crawler.parsers.result_pages import read_results_tab
from crawler.replay import pages
from crawler.replay.generate import moscow_now_floor
from crawler.replay.market import results_of
from crawler.replay.result_pages import bid_list_page
from crawler.replay.result_pages import results_tab_page
from crawler.replay.server import start_replay
from crawler.replay.snapshot import build_snapshot
from crawler.runner import run_crawl
from data.db import make_engine
from data.models import PROTOCOLS
from data.results import Bid
from data.results import ProtocolResult
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import store_notices

NOW = datetime(2026, 9, 14, 17, 25, tzinfo=pages.MOSCOW)


def _protocol(bids: list[Bid], outcome: str = "winner") -> ProtocolResult:
    return ProtocolResult(
        law="44-FZ",
        purchase_number="0373100073126000016",
        document="epProtocolEF2020Final",
        published_at=NOW,
        outcome=outcome,  # type: ignore[arg-type]
        bids=bids,
    )


def test_the_replays_pages_read_back_to_the_protocol_they_were_made_from() -> None:
    from decimal import Decimal

    bids = [Bid(app_number=str(n), price=Decimal(1000 - n), admitted=True, rank=n) for n in range(1, 13)]
    protocol = _protocol([*bids, Bid(app_number="99", admitted=False)])
    tab = read_results_tab(results_tab_page("ea20", protocol.purchase_number, protocol, "Заказчик"), "tab")
    assert tab.deciding is not None and tab.formed_at == NOW
    assert tab.deciding.bid_list_url.endswith(
        "/epz/order/notice/ea20/view/protocol/protocol-bid-list.html"
        "?regNumber=0373100073126000016&type=iea&version=1"
    )
    page = bid_list_page("ea20", protocol, "Поставка", "1 000,00")
    (read,) = parse_bid_list(page, "list", tab.deciding.bid_list_url)
    assert read.outcome == "winner" and read.document == "eisPage:iea"
    # like the real list: ten applications shown, the other two counted from the page's totals
    assert [b.rank for b in read.bids[:10]] == list(range(1, 11))
    assert len(read.bids) == 13 and sum(1 for b in read.bids if b.admitted) == 12
    assert (read.bids[10].app_number, read.bids[10].admitted) == ("99", False)
    assert read.bids[11:] == [Bid(admitted=True)] * 2
    assert read.winner is not None and read.winner.price == Decimal(999)


def test_a_tab_before_the_result_links_no_protocol() -> None:
    tab = read_results_tab(results_tab_page("ea20", "0373100073126000016", None, "Заказчик"), "tab")
    assert tab.deciding is None and tab.winners == ()


@pytest.mark.slow
@pytest.mark.parametrize("faults", [None, "5xx=2,truncate=2,cut=0.5,only=page"])
def test_the_site_result_crawl_stores_the_protocol_of_every_decided_purchase_without_a_token(
    tmp_path, faults
):
    # Purchases of 40 to 70 days ago, seen today: every deadline is weeks behind, every review over.
    snap = build_snapshot(seed=8, count=60, days=30, now=moscow_now_floor(None) - timedelta(days=40))
    snap.now += timedelta(days=40)
    notices = [p.latest.notice for p in snap.purchases]
    db_url = f"sqlite:///{tmp_path / 'site-results.db'}"
    store_notices(db_url, notices)
    decided = {r.purchase_number: r for r in results_of(notices, now=snap.now, seed=snap.seed)}
    since = (datetime.now(pages.MOSCOW) - timedelta(days=100)).date().isoformat()
    with start_replay(snap, faults=faults) as server:
        # server errors are retried by Scrapy, a cut page by the spider: nothing is lost
        config = fast_config(db_url, server.url, TENDERWATCH_BAD_PAGE_RETRY_TIMES=3)
        first = run_crawl("eis_site_results", config=config, from_date=since)
        replay = replay_stats(server)
        stats = replay["requests"]
        again = run_crawl("eis_site_results", config=config, from_date=since)
    assert first.outcome == "ok", first.reason
    assert decided and (faults is None or replay["faults_total"] >= 4)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = {
            row.purchase_number: row
            for row in conn.execute(
                sa.select(PROTOCOLS.c.purchase_number, PROTOCOLS.c.document, PROTOCOLS.c.outcome)
            )
        }
    engine.dispose()
    assert set(stored) == set(decided)
    assert {row.document for row in stored.values()} == {"eisPage:iea"}
    assert all(stored[n].outcome == decided[n].outcome for n in decided)
    asked_tabs = stats["page"]["200"]
    assert asked_tabs >= 2 * len(decided)  # a tab and a bid list for each decided purchase
    # the second crawl asks only the purchases still without a protocol, and stores nothing twice
    assert again.outcome == "ok", again.reason
    if faults is None:
        assert again.requests == first.requests - 2 * len(decided)
