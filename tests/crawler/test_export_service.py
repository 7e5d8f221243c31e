"""The EIS export service (issue 11 item 3): getDocsIP messages through zeep, and the ``eis_export``
crawl against the replay's double of the service, faults included."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from crawler.export_service import NOTICE_TYPES_44
from crawler.export_service import NOTICE_TYPES_223
from crawler.export_service import SERVICE_PATH
from crawler.export_service import TOKEN_ENV
from crawler.export_service import ExportServiceError
from crawler.export_service import NotAReply
from crawler.export_service import RegionDay
from crawler.export_service import archive_urls
from crawler.export_service import reg_number_request
from crawler.export_service import region_day_request
from crawler.replay import pages
from crawler.replay.export_service import REPLAY_EXPORT_TOKEN
from crawler.replay.export_service import ExportFake
from crawler.replay.generate import moscow_now_floor
from crawler.replay.market import results_of
from crawler.replay.server import start_replay
from crawler.replay.snapshot import build_snapshot
from crawler.runner import crawl_command
from crawler.runner import crawl_environment
from crawler.runner import run_crawl
from data.db import make_engine
from data.models import PROTOCOLS
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import store_notices
from tests.crawler.crawl_helpers import stored_rows

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WS = "http://zakupki.gov.ru/fz44/get-docs-ip/ws"
TOKEN = "t0k-secret-42"


def _reply(inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><ns2:getDocsByOrgRegionResponse xmlns:ns2="{WS}">'
        f"{inner}</ns2:getDocsByOrgRegionResponse></soap:Body></soap:Envelope>"
    ).encode()


def _error(code: int, message: str) -> str:
    return f"<errorInfo><code>{code}</code><message>{message}</message></errorInfo>"


# --- the messages -----------------------------------------------------------------------------


def test_a_region_day_request_carries_the_token_header_and_the_selection_in_the_documented_order():
    body = region_day_request(TOKEN, RegionDay("77", date(2026, 11, 30), "44-FZ", "epNotificationEF2020"))
    root = etree.fromstring(body)
    assert root.findtext(f"{{{SOAP}}}Header/individualPerson_token") == TOKEN
    request = root.find(f"{{{SOAP}}}Body/{{{WS}}}getDocsByOrgRegionRequest")
    assert [el.tag for el in request] == ["index", "selectionParams"]
    assert request.findtext("index/mode") == "PROD"
    assert [el.tag for el in request.find("selectionParams")] == [
        "orgRegion",
        "subsystemType",
        "documentType44",
        "periodInfo",
    ]
    assert request.findtext("selectionParams/orgRegion") == "77"
    assert request.findtext("selectionParams/subsystemType") == "PRIZ"
    assert request.findtext("selectionParams/periodInfo/exactDate") == "2026-11-30"


def test_223_questions_go_to_ri223_with_documenttype223_and_numbers_pick_their_law():
    body = region_day_request(TOKEN, RegionDay("66", date(2026, 11, 30), "223-FZ", "purchaseNoticeAE"))
    params = etree.fromstring(body).find(f".//{{{WS}}}getDocsByOrgRegionRequest/selectionParams")
    assert params.findtext("subsystemType") == "RI223"
    assert params.findtext("documentType223") == "purchaseNoticeAE"
    assert params.find("documentType44") is None
    by_number = etree.fromstring(reg_number_request(TOKEN, "32616000037"))
    assert by_number.findtext(".//selectionParams/subsystemType") == "RI223"
    by_number = etree.fromstring(reg_number_request(TOKEN, "0373200624325000142"))
    assert by_number.findtext(".//subsystemType") == "PRIZ"
    with pytest.raises(ValueError, match="no 44-FZ or 223-FZ registry number"):
        reg_number_request(TOKEN, "12345")


def test_a_reply_gives_every_archive_link_and_an_empty_reply_none():
    two = "".join(f"<dataInfo><archiveUrl> https://int44/a/{n}.zip </archiveUrl></dataInfo>" for n in (1, 2))
    assert archive_urls(_reply(two), "getDocsByOrgRegion") == [
        "https://int44/a/1.zip",
        "https://int44/a/2.zip",
    ]
    assert archive_urls(_reply(""), "getDocsByOrgRegion") == []


def test_an_error_reply_says_whether_the_token_was_refused():
    with pytest.raises(ExportServiceError) as refused:
        archive_urls(_reply(_error(5, "Токен недействителен")), "getDocsByOrgRegion")
    assert refused.value.token_refused and refused.value.code == 5
    with pytest.raises(ExportServiceError) as busy:
        archive_urls(_reply(_error(7, "Повторите позже")), "getDocsByOrgRegion")
    assert not busy.value.token_refused and "Повторите позже" in str(busy.value)
    fault = f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>'
    fault += "<faultstring>Некорректный токен</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    with pytest.raises(ExportServiceError) as faulted:
        archive_urls(fault.encode(), "getDocsByOrgRegion")
    assert faulted.value.token_refused


@pytest.mark.parametrize(
    "body",
    [
        "<html><head><title>Технические работы</title></head><body>x</body></html>".encode(),
        b"<soap:Envelope xmlns:soap='" + SOAP.encode() + b"'><soap:Body><ns2:getDocs",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>',
        b"",
    ],
    ids=["html", "cut", "entities", "empty"],
)
def test_anything_but_a_soap_reply_is_not_a_reply_and_no_entity_is_expanded(body):
    with pytest.raises(NotAReply):
        archive_urls(body, "getDocsByOrgRegion")


def test_the_fake_refuses_a_wrong_token_and_reads_only_documented_questions():
    snap = build_snapshot(seed=3, count=5)
    fake = ExportFake(snap, token=TOKEN)
    status, body = fake.answer(
        region_day_request("wrong", RegionDay("77", date(2026, 1, 1), "44-FZ", "x")), "http://r"
    )
    assert status == 200
    with pytest.raises(ExportServiceError) as refused:
        archive_urls(body, "getDocsByOrgRegion")
    assert refused.value.token_refused
    status, body = fake.answer(b"<not-soap/>", "http://r")
    assert status == 500 and b"Fault" in body
    assert fake.archive("nope", TOKEN)[0] == 404
    assert fake.archive("nope", None)[0] == 403


# --- the crawl --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snap():
    """Four days of notices up to today's Moscow midnight: every one lies in a whole past day."""
    return build_snapshot(seed=5, count=16, days=4, now=moscow_now_floor(None))


def _config(db_url: str, server, snap, **changes):
    regions = sorted({p.customer.region.code for p in snap.purchases})
    config = fast_config(db_url, server.url, TENDERWATCH_BAD_PAGE_RETRY_TIMES=2)
    return replace(
        config,
        export_url=server.url + SERVICE_PATH,
        export_token=REPLAY_EXPORT_TOKEN,
        export_regions=regions,
        export_days=5,
        **changes,
    )


def _days(snap) -> int:
    return len({v.published_at.astimezone(pages.MOSCOW).date() for v in snap.versions})


@pytest.mark.slow
def test_whole_days_are_read_once_and_the_next_crawl_asks_nothing(snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'export.db'}"
    with start_replay(snap) as server:
        config = _config(db_url, server, snap)
        first = run_crawl("eis_export", config=config)
        assert first.outcome == "ok", first.reason
        assert stored_rows(db_url).keys() == {(p.law, p.reg_number) for p in snap.purchases}
        asked = replay_stats(server)["requests"]
        questions = 5 * len(config.export_regions) * (len(NOTICE_TYPES_44) + len(NOTICE_TYPES_223))
        assert asked["export"] == {"200": questions}
        # one archive per region, day and type that has documents: never more than the documents
        assert sum(asked["archive"].values()) <= len(snap.versions)
        assert first.new + first.changed == len(snap.versions)  # every version once, oldest first
        again = run_crawl("eis_export", config=config)
    assert again.outcome == "ok" and again.requests == 0, again.reason
    assert "already read" in (again.reason or "")


@pytest.mark.slow
def test_server_errors_and_cut_archives_are_retried_and_nothing_is_lost(snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'faults.db'}"
    with start_replay(snap, faults="5xx=3,429=2,retry-after=0,truncate=2,only=export+archive") as server:
        summary = run_crawl("eis_export", config=_config(db_url, server, snap))
        faults = replay_stats(server)["faults"]
    assert summary.outcome == "ok", summary.reason
    assert faults["5xx"] == 3 and faults["429"] == 2 and faults["truncate"] == 2
    assert stored_rows(db_url).keys() == {(p.law, p.reg_number) for p in snap.purchases}


@pytest.mark.slow
def test_a_refused_token_ends_the_crawl_at_once_and_keeps_the_mark(snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'refused.db'}"
    with start_replay(snap) as server:
        config = replace(_config(db_url, server, snap), export_token="not-the-token")
        summary = run_crawl("eis_export", config=config)
        asked = replay_stats(server)["requests"]["export"]["200"]
        retried = run_crawl("eis_export", config=_config(db_url, server, snap))
    assert summary.outcome == "failed"
    assert "refused the token" in summary.reason
    assert asked < 5 * len(config.export_regions)  # it stopped; it did not ask every question
    assert not any("not-the-token" in line for line in summary.log_tail)
    # nothing advanced the mark: the crawl with the right token reads every day
    assert retried.outcome == "ok" and retried.new > 0


@pytest.mark.slow
def test_a_maintenance_page_from_the_service_is_the_site_down_not_a_parse_error(snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'down.db'}"
    with start_replay(snap, faults="maintenance=1,only=export") as server:
        summary = run_crawl("eis_export", config=_config(db_url, server, snap))
    assert summary.outcome == "failed"
    assert "maintenance" in summary.reason and "parse" not in summary.errors_by_kind


@pytest.mark.slow
def test_a_purchase_by_registry_number_brings_its_final_protocol(tmp_path):
    snap = build_snapshot(seed=8, count=60, days=30, now=moscow_now_floor(None))
    snap.now += timedelta(days=40)  # every review is over: the auctions have final protocols
    decided = next(
        p
        for p in snap.purchases
        if p.law == "44-FZ" and results_of([p.latest.notice], now=snap.now, seed=snap.seed)
    )
    db_url = f"sqlite:///{tmp_path / 'results.db'}"
    with start_replay(snap) as server:
        config = _config(db_url, server, snap)
        summary = run_crawl("eis_export", config=config, reg_numbers=decided.reg_number)
    assert summary.outcome == "ok", summary.reason
    assert (decided.law, decided.reg_number) in stored_rows(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        numbers = conn.execute(sa.select(PROTOCOLS.c.purchase_number)).scalars().all()
    engine.dispose()
    assert numbers == [decided.reg_number]


def test_the_token_travels_in_the_environment_only(tmp_path):
    config = replace(fast_config(f"sqlite:///{tmp_path / 'x.db'}", "http://127.0.0.1:1"), export_token=TOKEN)
    assert TOKEN not in " ".join(crawl_command("eis_export", {}, config, run_id=1))
    assert crawl_environment(config)[TOKEN_ENV] == TOKEN
    assert TOKEN not in str(config.scrapy_settings())


def test_without_a_token_the_export_crawls_say_what_to_set(tmp_path, monkeypatch):
    from crawler.errors import CrawlSettingsError

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    config = fast_config(f"sqlite:///{tmp_path / 'x.db'}", "http://127.0.0.1:1")
    for source in ("eis_export", "eis_results"):
        with pytest.raises(CrawlSettingsError, match=r"crawler\.export_token"):
            run_crawl(source, config=config)
    assert not (tmp_path / "x.db").exists()  # refused before anything started


def test_yesterday_is_the_last_day_asked_and_the_mark_moves_to_the_end_of_the_last_whole_day():
    from crawler.spiders.eis_export import EisExportSpider
    from crawler.spiders.eis_export import end_of_day

    spider = EisExportSpider()
    spider.days_back = 3
    today = date(2026, 12, 3)
    assert spider.window(today) == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
    spider.days = spider.window(today)
    spider.failed_days = {date(2026, 12, 1)}
    assert spider.crawl_mark() == end_of_day(date(2026, 11, 30))
    midnight = datetime(2026, 12, 1, tzinfo=pages.MOSCOW)
    assert end_of_day(date(2026, 11, 30)) + timedelta(microseconds=1) == midnight
    spider.failed_days = {date(2026, 11, 30)}
    assert spider.crawl_mark() is None


# --- the result crawl -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_result_crawl_asks_each_purchase_past_a_milestone_once_and_stores_its_protocol(tmp_path):
    # Purchases of 40 to 70 days ago, seen today: every deadline is weeks behind, every review over.
    snap = build_snapshot(seed=8, count=60, days=30, now=moscow_now_floor(None) - timedelta(days=40))
    snap.now += timedelta(days=40)
    db_url = f"sqlite:///{tmp_path / 'results.db'}"
    store_notices(db_url, [p.latest.notice for p in snap.purchases])
    notices = [p.latest.notice for p in snap.purchases]
    now = datetime.now(pages.MOSCOW)
    awaiting = {
        n.reg_number
        for n in notices
        if n.law == "44-FZ"
        and not n.cancelled
        and n.submission_deadline is not None
        and now - timedelta(days=60 + 31) < n.submission_deadline <= now - timedelta(days=3)
    }
    decided = {r.purchase_number for r in results_of(notices, now=snap.now, seed=snap.seed)}
    assert awaiting and decided and decided <= awaiting | {n.reg_number for n in notices if n.cancelled}
    with start_replay(snap) as server:
        config = replace(_config(db_url, server, snap), export_days=60)
        first = run_crawl("eis_results", config=config)
        asked = replay_stats(server)["requests"]["export"]["200"]
        again = run_crawl("eis_results", config=config)
    assert first.outcome == "ok", first.reason
    assert asked == len(awaiting)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        protocols = set(conn.execute(sa.select(PROTOCOLS.c.purchase_number)).scalars())
    engine.dispose()
    assert protocols == decided & awaiting
    assert again.outcome == "ok" and again.requests == 0, again.reason  # each milestone is asked once


def test_purchases_awaiting_results_follow_the_milestones_and_put_ours_first(tmp_path):
    from data.db import session_scope
    from data.models import MATCHES
    from data.models import NOTICES
    from data.models import PROFILES
    from data.store import purchases_awaiting_results
    from data.store import upsert_results

    now = datetime(2026, 12, 3, 12, 0, tzinfo=pages.MOSCOW)
    snap = build_snapshot(seed=4, count=40)
    base = [p.latest.notice for p in snap.purchases if p.law == "44-FZ" and not p.latest.notice.cancelled][:4]
    ages = (3.5, 10, 20, 40)  # days since the deadline
    notices = [
        n.model_copy(update={"submission_deadline": now - timedelta(days=a), "kind": "auction"})
        for n, a in zip(base, ages, strict=True)
    ]
    db_url = f"sqlite:///{tmp_path / 'awaiting.db'}"
    store_notices(db_url, notices)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        seen = now - timedelta(days=60)  # stored long ago: only the milestones decide
        session.connection().execute(sa.update(NOTICES).values(first_seen_at=seen))
        # a day's window: only the purchase 3.5 days past its deadline crossed a milestone (3 days)
        day = purchases_awaiting_results(session, since=now - timedelta(days=1), until=now, limit=10)
        assert day == [notices[0].reg_number]
        # 25 days: 3.5 (3), 10 (3, 7), 20 (3, 7, 17), 40 (17: no contract stored)
        month = purchases_awaiting_results(session, since=now - timedelta(days=25), until=now, limit=10)
        assert month == [n.reg_number for n in reversed(notices)]  # by deadline
        conn = session.connection()
        profile = conn.execute(
            sa.insert(PROFILES).values(
                name="p", spec={}, origin="settings", active=True, created_at=now, updated_at=now
            )
        ).inserted_primary_key[0]
        ours = conn.execute(
            sa.select(NOTICES.c.id).where(NOTICES.c.reg_number == notices[1].reg_number)
        ).scalar_one()
        conn.execute(
            sa.insert(MATCHES).values(
                notice_id=ours, profile_id=profile, matched=True, created_at=now, updated_at=now
            )
        )
        session.commit()
        first = purchases_awaiting_results(session, since=now - timedelta(days=25), until=now, limit=1)
        assert first == [notices[1].reg_number]  # a profile matched it: asked before older ones
        protocol = results_of([notices[0]], now=now, seed=1)
        assert protocol
        upsert_results(session, protocol)
        after = purchases_awaiting_results(session, since=now - timedelta(days=1), until=now, limit=10)
        assert after == []  # it has its protocol: its 3-day milestone asks nothing more
        # stored within the window with every milestone behind it (a first crawl, an import): asked
        late = notices[3].reg_number
        session.connection().execute(
            sa.update(NOTICES)
            .where(NOTICES.c.reg_number == late)
            .values(first_seen_at=now - timedelta(hours=12))
        )
        assert purchases_awaiting_results(session, since=now - timedelta(days=1), until=now, limit=10) == [
            late
        ]
    engine.dispose()
