"""What the real EIS does that a convenient replay would hide (issue 16), each against the replay.

Every variant here is one the replay now serves the way the real site does (docs/eis-site.md
names the public evidence for each).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import zipfile
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from scrapy import Request
from scrapy.utils.test import get_crawler

from bidder.matcher import compile_profiles
from bidder.profiles import Profile
from crawler.eis_site import RESULT_CAP
from crawler.errors import SourcePaused
from crawler.parsers import parse_document
from crawler.parsers.html import parse_html
from crawler.parsers.html import read_search_page
from crawler.replay.server import JSON223_PATH_917
from crawler.replay.server import start_replay
from crawler.replay.snapshot import PP615
from crawler.replay.snapshot import SearchQuery
from crawler.replay.snapshot import build_snapshot
from crawler.runner import run_crawl
from crawler.spiders.eis import search_filters
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import CRAWL_STATE
from data.notice import title_from_positions
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import stored_rows
from tests.crawler.test_spiders import list_response
from tests.crawler.test_spiders import make_spider
from tests.crawler.test_spiders import split

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def crawl_under_faults(replay, spec: str, config):
    """One ``eis`` crawl while the replay misbehaves as ``spec`` says; the replay is well again after."""
    replay.set_faults(spec)
    try:
        return run_crawl("eis", config=config)
    finally:
        replay.set_faults(None)


@pytest.fixture(scope="module")
def snap():
    return build_snapshot(seed=16, count=90, now=NOW)


# --- 2. EZT2020 small purchases ---------------------------------------------------------------------


def test_small_purchases_parse_with_positions_codes_and_a_title_made_of_them(snap):
    small = [p for p in snap.purchases if p.method.code == "EZT20"]
    assert len(small) >= 2, "the replay must publish EZT2020 small purchases"
    for purchase in small:
        version = purchase.latest
        for document in (snap.render_card(version), snap.render_export(version)):
            assert b"epNotificationEZT2020" in document and b"purchaseObjectInfo" not in document
            assert b"notDrugPurchaseObjectsInfo" not in document
            (notice,) = parse_document(document, url=purchase.card_url)
            assert notice.okpd2 and notice.okpd2 == version.notice.okpd2
            assert len(notice.items) == len(version.positions)
            assert notice.title == title_from_positions([pos.good.name for pos in version.positions])
            assert notice.title == version.notice.title != ""
            assert "no purchaseObjectInfo" in " ".join(notice.notes)
            assert (notice.kind, notice.submission_deadline) == ("single_supplier", None)


def test_a_small_purchase_lists_without_an_object_and_is_matched_by_its_positions(snap):
    purchase = next(p for p in snap.purchases if p.method.code == "EZT20")
    page = read_search_page(snap.render_search_page(SearchQuery(per_page=500)), "page")
    (listed,) = [n for n in page.entries if n.reg_number == purchase.reg_number]
    assert listed.title == "" and listed.submission_deadline is None
    rss = parse_document(snap.render_rss(SearchQuery(per_page=200)), url=None)
    (item,) = [n for n in rss if n.reg_number == purchase.reg_number]
    assert item.title == ""  # the feed writes the literal «null»
    okpd2 = purchase.latest.notice.okpd2[0]
    matcher = compile_profiles([Profile.model_validate({"name": "small", "okpd2": [okpd2]})])
    (notice,) = parse_document(snap.render_card(purchase.latest), url=purchase.card_url)
    assert [m.profile for m in matcher.match(notice, now=NOW)] == ["small"]


# --- 3. an odd entry does not cost its page ---------------------------------------------------------


def test_a_search_without_law_flags_lists_615_auctions_as_the_eis_form_does(snap):
    everything = SearchQuery.from_params({"recordsPerPage": "_500"})
    assert PP615 in everything.laws
    entries, total = snap.search(everything)
    pp615 = [e for e in entries if not hasattr(e, "purchase")]
    assert len(pp615) == len(snap.pp615_entries()) >= 3
    assert total == len(snap.purchases) + len(pp615)
    assert SearchQuery.from_params({"fz44": "on", "fz223": "on"}).laws == frozenset({"44-FZ", "223-FZ"})


def test_615_entries_are_skipped_and_counted_and_the_page_stays_whole(snap, caplog):
    query = SearchQuery.from_params({"recordsPerPage": "_100"})
    body = snap.render_search_page(query)
    entries, _ = snap.search(query)
    skipped = sum(1 for e in entries if not hasattr(e, "purchase"))
    assert skipped >= 1
    page = read_search_page(body, "page")
    assert (len(page.entries), page.skipped) == (len(entries) - skipped, skipped)
    assert page.gap(page=1, page_size=100) is None
    assert len(parse_html(body, "page", None)) == len(entries) - skipped
    assert "skipped: placed under 'ПП РФ 615 Электронный аукцион'" in caplog.text

    spider = make_spider(settings={"TENDERWATCH_PAGE_SIZE": 100})
    requests, _ = split(spider.parse_list(list_response(spider, snap, query)))
    stats = spider.crawler.stats.get_stats()
    assert stats["tenderwatch/listings/skipped"] == skipped
    assert "tenderwatch/pages/failed" not in stats
    assert len([r for r in requests if r.meta["kind"] == "card"]) == len(entries) - skipped


# --- 4. foreign-currency prices ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1 234,56 €", Decimal("1234.56"), "EUR"),
        ("12\xa0345,67 $", Decimal("12345.67"), "USD"),
        ("98 765,40 ¥", Decimal("98765.40"), "CNY"),
        ("60 000,00 ₽", Decimal("60000.00"), "RUB"),
    ],
)
def test_a_listed_price_in_any_currency_keeps_its_amount(text, amount, currency):
    from crawler.parsers.common import parse_money
    from crawler.parsers.html import _currency_from_price

    assert (parse_money(text), _currency_from_price(text)) == (amount, currency)


def test_the_replay_lists_foreign_currency_purchases_and_the_crawl_reads_them(snap):
    foreign = [p for p in snap.purchases if p.currency != "RUB"]
    assert foreign, "the snapshot must hold a purchase priced in another currency"
    page = read_search_page(snap.render_search_page(SearchQuery(per_page=500)), "page")
    read = {n.reg_number: n for n in page.entries}
    for purchase in foreign:
        listed = read[purchase.reg_number]
        assert (listed.currency, listed.nmck) == (purchase.currency.code, purchase.latest.nmck)
        assert purchase.latest.notice.currency == purchase.currency.code


# --- 9. archives by content ----------------------------------------------------------------------


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_import_reads_zip_and_gzip_wrapped_zip_by_their_first_bytes(snap, tmp_path):
    from tenderwatch.ingest import iter_documents

    version = snap.purchases[0].latest
    xml = snap.render_export(version)
    plain = tmp_path / "export.bin"  # no .zip suffix: the export service names archives freely
    plain.write_bytes(_zip_of("notice.xml", xml))
    wrapped = tmp_path / "export.zip.gz"
    wrapped.write_bytes(gzip.compress(_zip_of("notice.xml", xml)))
    for path in (plain, wrapped):
        documents = [(name, data) for name, data in iter_documents([path])]
        assert [data for _, data in documents] == [xml], path.name


# --- 5. the 223-FZ card: the `data` wrapper, the endpoint setting, the card-page fallback ---------


@pytest.fixture(scope="module")
def replay(snap):
    with start_replay(snap) as server:
        yield server


def test_the_mobile_json_is_read_flat_and_inside_data(snap):
    purchase = next(p for p in snap.purchases if p.law == "223-FZ")
    flat = snap.render_json(purchase.latest)
    wrapped = json.dumps({"data": json.loads(flat)}).encode()
    url = f"https://zakupki.gov.ru{JSON223_PATH_917}?regNumber={purchase.reg_number}"
    assert parse_document(wrapped, url=url) == parse_document(flat, url=url)


@pytest.mark.slow
def test_a_crawl_through_the_917_endpoint_stores_every_notice(replay, snap, tmp_path):
    replay.set_faults(None)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    config = dataclasses.replace(fast_config(db_url, replay.url), card223_path=JSON223_PATH_917)
    summary = run_crawl("eis", config=config)
    assert (summary.outcome, summary.new) == ("ok", len(snap.purchases)), summary.reason
    assert mismatches(db_url, snap) == []  # EZT2020 and foreign-currency purchases included


@pytest.mark.slow
def test_a_failing_223_card_is_read_from_its_card_page_and_retried_next_time(replay, snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    broken = crawl_under_faults(replay, "5xx=100000,only=json", fast_config(db_url, replay.url))
    law223 = [p for p in snap.purchases if p.law == "223-FZ"]
    assert broken.errors_by_kind == {"http_5xx": len(law223)} and broken.outcome != "ok"
    rows = stored_rows(db_url)
    assert len(rows) == len(snap.purchases)
    for purchase in law223:
        row = rows[("223-FZ", purchase.reg_number)]
        assert (row["completeness"], row["source"]) == ("listing", "eis")
        assert (row["customer_name"], row["nmck"]) == (purchase.customer.name, purchase.latest.nmck)
    fixed = run_crawl("eis", config=fast_config(db_url, replay.url))
    assert fixed.outcome == "ok", fixed.reason
    assert mismatches(db_url, snap) == []


# --- 7. blocks, maintenance, politeness, budget, proxy --------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "kind", "words"),
    [
        ("403=1000,only=card+json", "http_403", "HTTP 403 from 127.0.0.1 (access refused)"),
        ("434=1000,only=card+json", "http_434", "HTTP 434 from 127.0.0.1 (access refused)"),
        ("captcha=1000,only=card+json", "captcha", "http://127.0.0.1"),
    ],
)
def test_a_block_stops_the_whole_crawl_and_pauses_the_source(replay, snap, tmp_path, spec, kind, words):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    config = dataclasses.replace(fast_config(db_url, replay.url), concurrent_requests=1)
    replay.reset_stats()
    blocked = crawl_under_faults(replay, spec, config)
    assert (blocked.outcome, blocked.listing_complete) == ("failed", False)
    assert blocked.reason.startswith(f"blocked by the site: {words}"), blocked.reason
    assert blocked.errors_by_kind == {kind: blocked.errors} and blocked.errors <= 2  # not card by card
    rows = stored_rows(db_url)
    assert {r["completeness"] for r in rows.values()} <= {"listing"}  # what the listing showed is kept
    with pytest.raises(SourcePaused, match=r"eis is paused until .* the site blocked crawl run"):
        run_crawl("eis", config=config)
    if kind == "http_403":  # the pause is the same for every kind of block: one resumes, to save time
        resumed = run_crawl(
            "eis", config=dataclasses.replace(config, block_pause_minutes=0, concurrent_requests=8)
        )
        assert resumed.outcome == "ok", resumed.reason
        assert mismatches(db_url, snap) == []


@pytest.mark.slow
def test_a_maintenance_page_ends_the_crawl_for_a_later_try(replay, snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    ended = crawl_under_faults(replay, "maintenance=1,only=list", fast_config(db_url, replay.url))
    assert (ended.outcome, ended.requests, ended.errors_by_kind) == ("failed", 1, {"maintenance": 1})
    assert ended.reason.startswith("the site is under maintenance"), ended.reason
    later = run_crawl("eis", config=fast_config(db_url, replay.url))  # no pause after maintenance
    assert later.outcome == "ok" and mismatches(db_url, snap) == []


@pytest.mark.slow
def test_the_request_budget_leaves_the_rest_to_the_next_crawl(replay, snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    budget = dataclasses.replace(fast_config(db_url, replay.url), max_requests=60)
    first = run_crawl("eis", config=budget)
    assert first.outcome == "partial" and first.listing_complete is False
    assert "request budget (crawler.max_requests) spent" in first.reason
    assert first.requests == 61  # page 1 and 60 cards
    rows = stored_rows(db_url)
    assert len(rows) == len(snap.purchases)  # nothing lost: unfetched cards are kept as listed
    assert sum(r["completeness"] == "card" for r in rows.values()) == 60
    second = run_crawl("eis", config=budget)  # the mark stayed: the rest is read now
    assert second.outcome == "ok", second.reason
    assert mismatches(db_url, snap) == []


def test_politeness_defaults_proxy_and_browser_headers():
    from crawler.middlewares import BROWSER_USER_AGENT
    from crawler.middlewares import PROXY_ENV
    from crawler.middlewares import ProxyMiddleware
    from crawler.runner import crawl_command
    from crawler.runner import crawl_environment
    from tenderwatch.config import Settings
    from tenderwatch.crawling import crawl_config

    config = crawl_config(Settings())
    assert (config.concurrent_requests, config.download_delay, config.max_requests) == (1, 3.5, 3000)
    secret = "http://user:s3cret@proxy.example:3128"
    proxied = dataclasses.replace(config, proxy=secret, browser_headers=True)
    command = " ".join(crawl_command("eis", {}, proxied, 1))
    assert "s3cret" not in command and BROWSER_USER_AGENT in command
    assert crawl_environment(proxied)[PROXY_ENV] == secret
    crawler = get_crawler(settings_dict={})
    import os

    os.environ[PROXY_ENV] = secret
    try:
        middleware = ProxyMiddleware(crawler)
    finally:
        del os.environ[PROXY_ENV]
    request = Request("https://zakupki.gov.ru/epz/order/extendedsearch/results.html")
    middleware.process_request(request)
    assert request.meta["proxy"] == secret


# --- 1. filters that filter ----------------------------------------------------------------------


def test_the_replay_filters_regions_by_id_and_ignores_codes_alone(snap):
    moscow = {p.reg_number for p in snap.purchases if p.customer.region.code == "77"}
    assert moscow and len(moscow) < len(snap.purchases)
    laws = {"fz44": "on", "fz223": "on", "recordsPerPage": "_500"}
    codes_only = SearchQuery.from_params({**laws, "customerPlaceCodes": "77000000000"})
    assert snap.search(codes_only)[1] == len(snap.purchases)  # the real site appears to do the same
    with_ids = SearchQuery.from_params(
        {**laws, "customerPlace": "5277335", "customerPlaceCodes": "77000000000"}
    )
    entries, total = snap.search(with_ids)
    assert {e.reg_number for e in entries} == moscow and total == len(moscow)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("search", "sent", "wanted"),
    [
        ({"customer_regions": ["77"]}, "customerPlace=5277335", lambda p: p.customer.region.code == "77"),
        ({"customer_regions": ["66"]}, None, lambda p: p.customer.region.code == "66"),
        ({"okpd2": ["26.20"]}, None, lambda p: any(c.startswith("26.20") for c in p.latest.notice.okpd2)),
    ],
    ids=["known-id", "no-id-local", "okpd2-local"],
)
def test_a_filtered_crawl_stores_only_the_filtered_notices(replay, snap, tmp_path, search, sent, wanted):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    replay.set_faults(None)
    replay.reset_stats()
    config = dataclasses.replace(fast_config(db_url, replay.url), search=search)
    summary = run_crawl("eis", config=config)
    assert summary.outcome == "ok", summary.reason
    expected = {p.reg_number for p in snap.purchases if wanted(p)}
    assert expected, "the snapshot must hold notices the filter keeps"
    assert {reg for _, reg in stored_rows(db_url)} == expected
    sent_params = "&".join(f"{k}={v}" for k, v in search_filters(search))
    if sent:  # the site filtered: only the kept notices' cards were asked for
        assert sent in sent_params and summary.requests == 1 + len(expected)
    else:  # the site could not: every card was read and the others dropped before storing
        assert "customerPlace" not in sent_params and "okpd2" not in sent_params
        assert summary.requests == 1 + len(snap.purchases)


# --- 6. the mark moves only over what was read --------------------------------------------------

CAP = 40
"""The site's result cap, lowered with the replay's so that a 90-purchase snapshot meets it."""


@pytest.fixture
def capped(snap):
    snap.result_cap = CAP
    try:
        yield snap
    finally:
        snap.result_cap = RESULT_CAP


def _mark(db_url: str, source: str):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            return session.execute(
                sa.select(CRAWL_STATE.c.high_water).where(CRAWL_STATE.c.source == source)
            ).scalar_one_or_none()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_feed_cut_at_the_sites_cap_keeps_the_mark(replay, capped, tmp_path):
    """The feed states no total to split by (the search does: tests/crawler/test_result_cap_split.py)."""
    source = "eis_rss"
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    replay.set_faults(None)
    config = fast_config(db_url, replay.url, TENDERWATCH_RESULT_CAP=CAP, TENDERWATCH_PAGE_SIZE=20)
    summary = run_crawl(source, config=config)
    assert (summary.outcome, summary.listing_complete) == ("partial", False), summary.reason
    assert "cap" in summary.reason and str(CAP) in summary.reason
    assert len(stored_rows(db_url)) == CAP  # what the site listed, and no more
    assert _mark(db_url, source) is None  # the tail was never seen: the next crawl must list it


@pytest.mark.slow
def test_the_feed_is_paged_to_its_end_and_max_pages_keeps_the_mark(replay, snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    replay.set_faults(None)
    config = fast_config(db_url, replay.url, TENDERWATCH_PAGE_SIZE=20)
    short = run_crawl("eis_rss", config=dataclasses.replace(config, max_pages=2))
    assert (short.outcome, short.listing_complete) == ("partial", False), short.reason
    assert "max_pages=2 reached" in short.reason and _mark(db_url, "eis_rss") is None
    whole = run_crawl("eis_rss", config=config)  # 5 pages of 20, the last one short: the end
    assert (whole.outcome, whole.pages) == ("ok", 5), whole.reason
    assert mismatches(db_url, snap) == [] and _mark(db_url, "eis_rss") is not None


async def test_a_cut_feed_makes_serve_crawl_the_search_at_once(tmp_path):
    from tests.tenderwatch.serve_helpers import FakeCrawl
    from tests.tenderwatch.serve_helpers import RecordingSender
    from tests.tenderwatch.serve_helpers import make_pipeline

    engine = make_engine(f"sqlite:///{tmp_path / 'serve.db'}")
    upgrade(engine)
    crawl = FakeCrawl(engine)
    crawled: list[str] = []

    def recording(source, **kwargs):
        crawled.append(source)
        crawl.listing_complete = source != "eis_rss"  # the feed is cut; the search reads to the end
        return crawl(source, **kwargs)

    pipeline = make_pipeline(engine, recording, RecordingSender())
    await pipeline.crawl_cycle("eis_rss")
    assert crawled == ["eis_rss", "eis"]
    crawled.clear()
    await pipeline.crawl_cycle("eis")  # a cut search has no fallback of its own
    assert crawled == ["eis"]
    engine.dispose()
