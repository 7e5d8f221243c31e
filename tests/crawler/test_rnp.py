"""The register of unfair suppliers (РНП): its real search feed parses to its entries, entries and
look-ups are stored once, and ``eis_rnp`` looks our company and the winners up in the replay."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from crawler.eis_site import REGISTER_FEED_PATH
from crawler.parsers import parse_document
from crawler.parsers.rnp import entries_of
from crawler.replay.market import simulated_auctions
from crawler.replay.register import entries_for
from crawler.replay.server import start_replay
from crawler.replay.snapshot import build_snapshot
from crawler.runner import run_crawl
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import UNFAIR_CHECKS
from data.models import UNFAIR_SUPPLIERS
from data.notice import MOSCOW
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry
from data.store import upsert_notices
from data.store import upsert_results
from data.store.customers import competitors
from data.store.customers import customer_figures
from data.store.unfair import register_status
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import replay_stats

FEED = Path(__file__).parent / "eis_results" / "rnp_rss_search_STROY.xml"
TODAY = date(2026, 12, 4)


def feed_entries() -> list[UnfairSupplierEntry]:
    entries = parse_document(FEED.read_bytes(), url=FEED.name)
    assert all(isinstance(e, UnfairSupplierEntry) for e in entries)
    return entries  # type: ignore[return-value]


def test_the_real_feed_gives_every_entry_with_its_dates_and_card() -> None:
    entries = feed_entries()
    assert len(entries) == 10
    first = entries[0]
    assert (first.registry_number, first.listed_under, first.inn, first.status, first.eruz_number) == (
        "26008859",
        "44-ФЗ",
        "4813028017",
        "Размещено",
        "20018347",
    )
    assert first.name == 'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "СОКОЛСТРОЙ"'
    assert (first.included_on, first.updated_on, first.exclusion_planned_on) == (
        date(2026, 8, 13),
        date(2026, 8, 13),
        date(2028, 8, 14),
    )
    assert (
        first.url
        == "https://zakupki.gov.ru/epz/dishonestsupplier/view/info.html?reestrNumber=26008859&law=FZ44"
    )
    assert first.reason is None  # the feed gives none
    assert [e.registry_number for e in entries][-1] == "26008760"
    assert entries[-1].inn == "3016069910" and entries[-1].exclusion_planned_on == date(2028, 8, 8)
    # one company, two entries (two breaches): both kept, not folded into one
    garant = entries_of(entries, "3200010788")
    assert [e.registry_number for e in garant] == ["26008855", "26008856"]
    # the search matched the word «СТРОЙ»: an INN's look-up keeps that INN's entries only
    assert entries_of(entries, "0000000000") == []
    assert first.in_force(TODAY) and not first.in_force(date(2028, 8, 15))


def test_a_cut_or_changed_feed_is_an_error_not_fewer_entries() -> None:
    from crawler.parsers import ParseError

    raw = FEED.read_bytes()
    with pytest.raises(ParseError, match="malformed XML"):
        parse_document(raw[: len(raw) // 2], url="feed.xml")
    renamed = raw.replace("ИНН (аналог ИНН)".encode(), "ИНН поставщика".encode())
    with pytest.raises(ParseError, match="register entry 1 has no"):
        parse_document(renamed, url="feed.xml")


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rnp.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_entries_and_look_ups_are_stored_once_and_a_newer_read_replaces(engine) -> None:
    entries = feed_entries()
    with session_scope(engine) as session:
        first = upsert_results(session, entries, source="import")
        again = upsert_results(session, entries, source="import")
    assert (first.new, again.new, again.unchanged) == (10, 0, 10)
    excluded = entries[0].model_copy(update={"status": "Исключено", "updated_on": date(2026, 11, 1)})
    older = entries[1].model_copy(update={"status": "Исключено", "updated_on": date(2026, 1, 1)})
    checked = datetime(2026, 12, 4, 9, tzinfo=UTC)
    look_ups = [
        UnfairSupplierCheck(inn="3200010788", checked_at=checked, entries=entries_of(entries, "3200010788")),
        UnfairSupplierCheck(inn="7701000000", checked_at=checked),  # not in the register
    ]
    with session_scope(engine) as session:
        later = upsert_results(session, [excluded, older, *look_ups], source="eis_rnp")
        status = register_status(
            session, ["4813028017", "3200010788", "7701000000", "5406831069"], today=TODAY
        )
        count = (
            session.connection().execute(sa.select(sa.func.count()).select_from(UNFAIR_SUPPLIERS)).scalar()
        )
        checks = dict(
            session.connection().execute(sa.select(UNFAIR_CHECKS.c.inn, UNFAIR_CHECKS.c.entries)).all()
        )
    assert (later.new, later.changed) == (0, 1)  # the newer exclusion replaces; the older read does not
    assert count == 10
    assert "4813028017" not in status  # taken out, and never looked up
    assert status["3200010788"].entries == 2 and status["3200010788"].until == date(2028, 8, 10)
    assert status["3200010788"].checked_on == date(2026, 12, 4)
    assert status["7701000000"].entries == 0 and status["7701000000"].checked_on == date(2026, 12, 4)
    assert status["5406831069"].checked_on is None and status["5406831069"].entries == 1
    assert checks == {"3200010788": 2, "7701000000": 0}


def _market(engine, per_segment: int = 10):
    auctions = simulated_auctions(per_segment=per_segment, start=datetime.now(UTC) - timedelta(days=60))
    with session_scope(engine) as session:
        upsert_notices(session, [notice for notice, _ in auctions], source="test")
        upsert_results(session, [protocol for _, protocol in auctions], source="test")
    return sorted({p.winner.participant_inn for _, p in auctions if p.winner and p.winner.participant_inn})


def test_the_replays_feed_wants_the_cookie_and_a_browser(tmp_path) -> None:
    snap = build_snapshot(seed=3, count=5)
    with start_replay(snap) as server:
        request = urllib.request.Request(
            f"{server.url}{REGISTER_FEED_PATH}?searchString=7726000000", headers={"User-Agent": "Mozilla/5.0"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404  # no session cookie: a bare 404, as the real site answers


@pytest.mark.slow
@pytest.mark.parametrize("faults", [None, "5xx=2,truncate=2,cut=0.5,only=register"])
def test_the_register_crawl_looks_up_our_company_and_the_winners_once_a_week(
    tmp_path, engine, faults
) -> None:
    db_url = str(engine.url)
    winners = _market(engine)
    ours = "7707083893"
    snap = build_snapshot(seed=3, count=5)
    today = snap.now.astimezone(MOSCOW).date()
    listed = {inn for inn in [ours, *winners] if entries_for(inn, today)}
    assert winners and listed  # the replay's register holds some of the winners
    with start_replay(snap, faults=faults) as server:
        # server errors are retried by Scrapy, a cut feed by the spider: no look-up is lost
        extra = {"TENDERWATCH_BAD_PAGE_RETRY_TIMES": 3}
        config = replace(fast_config(db_url, server.url, **extra), company_inn=ours)
        first = run_crawl("eis_rnp", config=config)
        again = run_crawl("eis_rnp", config=config)
        faulted = replay_stats(server)["faults_total"]
    assert first.outcome == "ok", first.reason
    assert faults is None or faulted >= 4
    assert first.errors == 0
    if faults is None:  # the search page, our company, every winner (retries not counted)
        assert first.requests == 1 + 1 + len(winners)
        assert again.requests == 2  # a week later only: the page and our company
    assert again.outcome == "ok" and "looked up 1 INN(s)" in (again.reason or "")
    with session_scope(engine) as session:
        status = register_status(session, [ours, *winners], today=today)
        figures = customer_figures(
            session, _a_customer_of(session), since=datetime.now(UTC) - timedelta(days=365), today=today
        )
        rows = competitors(
            session,
            okpd2=None,
            region=None,
            since=datetime.now(UTC) - timedelta(days=365),
            today=today,
            top=100,
        )
    assert {inn for inn, s in status.items() if s.entries} == listed
    assert all(status[inn].checked_on is not None for inn in [ours, *winners])
    unfair_rows = {row.inn for row in rows if row.register_entries}
    assert unfair_rows == listed & {row.inn for row in rows}
    assert all(w.unfair == (w.inn in listed) for w in figures.winners)


def _a_customer_of(session) -> str:
    from data.models import PURCHASE_RESULTS

    return session.connection().execute(sa.select(PURCHASE_RESULTS.c.customer_inn).limit(1)).scalar_one()
