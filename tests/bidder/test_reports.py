"""Report rows on a small known database (see ``report_factory``), with a fixed ``now``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

from bidder import reports
from bidder.reports import Period
from bidder.reports import ReportError
from data.db import make_engine
from data.db import upgrade
from data.notice import Notice
from tests.bidder import report_factory as f
from tests.bidder.report_factory import MSK
from tests.bidder.report_factory import NOW
from tests.bidder.report_factory import REG


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path: Path = tmp_path_factory.mktemp("reports") / "tw.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    f.build(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _keys(rows) -> list[str]:
    by_reg = {v: k for k, v in REG.items()}
    return [by_reg[r.reg_number] for r in rows]


# --- periods and filters ----------------------------------------------------------------------


def test_period_of_whole_moscow_days_includes_until() -> None:
    period = reports.make_period(since=date(2026, 3, 1), until=date(2026, 3, 2), now=NOW)
    assert period == Period(datetime(2026, 3, 1, tzinfo=MSK), datetime(2026, 3, 3, tzinfo=MSK))


def test_period_of_last_days_ends_open() -> None:
    assert reports.make_period(days=3, now=NOW) == Period(NOW - timedelta(days=3), None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 3, "since": date(2026, 3, 1)}, "give either --days or --since/--until, not both"),
        ({"days": 0}, "--days must be a positive number of days, got 0"),
        (
            {"since": date(2026, 3, 2), "until": date(2026, 3, 1)},
            "--until 2026-03-01 is before --since 2026-03-02",
        ),
    ],
)
def test_impossible_periods_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        reports.make_period(now=NOW, **kwargs)
    assert str(caught.value) == message


def test_naive_now_is_refused() -> None:
    with pytest.raises(ReportError, match="timezone-aware"):
        reports.make_period(days=1, now=datetime(2026, 3, 10, 12))


# --- matches ----------------------------------------------------------------------------------


def test_matches_newest_first_with_status_takers_and_reasons(session: Session) -> None:
    rows = reports.matches_report(session, now=NOW)
    assert [(k, r.profile, r.status) for k, r in zip(_keys(rows), rows, strict=True)] == [
        ("B", "laptops", "skipped"),
        ("B", "old", "skipped"),
        ("D", "laptops", "taken"),
        ("A", "laptops", "taken"),
        ("C", "software", "taken"),
    ]
    a = rows[3]
    assert a.matched_at == NOW - timedelta(days=3)
    assert a.taken_by == "Anna"
    assert a.reasons == "ОКПД2 26.20.11.110 в 26.20; регион заказчика 50"
    assert (a.law, a.title, a.customer, a.region, a.region_name) == (
        "44-FZ",
        "Поставка ноутбуков",
        "ГБУ Школа №1",
        "50",
        "Московская область",
    )
    assert a.nmck == Decimal("1000000.00")
    assert a.deadline == NOW + timedelta(days=2, hours=5)
    assert a.url.endswith("regNumber=0173200001426000001")
    assert rows[4].taken_by == "Boris"


def test_matches_filters(session: Session) -> None:
    last5 = reports.make_period(days=5, now=NOW)
    assert _keys(reports.matches_report(session, period=last5, now=NOW)) == ["B", "B", "D", "A"]
    assert _keys(reports.matches_report(session, profile="laptops", now=NOW)) == ["B", "D", "A"]
    # Region by name: customer 77 (B) or delivery to 77 (none); C's customer is in 77 too.
    assert _keys(reports.matches_report(session, region="Москва", now=NOW)) == ["B", "B", "C"]
    # C delivers to 50 although its customer is in 77.
    assert _keys(reports.matches_report(session, region="50", now=NOW)) == ["D", "A", "C"]
    assert _keys(reports.matches_report(session, status="taken", now=NOW)) == ["D", "A", "C"]
    assert _keys(reports.matches_report(session, status="new", now=NOW)) == []
    march_8 = reports.make_period(since=date(2026, 3, 8), until=date(2026, 3, 8), now=NOW)
    assert _keys(reports.matches_report(session, period=march_8, now=NOW)) == ["D"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"profile": "nope"}, "--profile 'nope' is not a stored profile (known: laptops, old, software)"),
        ({"region": "Атлантида"}, "--region 'Атлантида' is not a known region code or name"),
        ({"status": "done"}, "--status 'done' is not one of new, taken, skipped"),
    ],
)
def test_matches_bad_filters_name_the_option(session: Session, kwargs: dict, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        reports.matches_report(session, now=NOW, **kwargs)
    assert str(caught.value) == message


# --- pipeline ---------------------------------------------------------------------------------


def test_pipeline_by_person_with_days_left_and_bid_outline(session: Session) -> None:
    rows = reports.pipeline_report(session, now=NOW)
    assert [(r.person, k) for k, r in zip(_keys(rows), rows, strict=True)] == [("Anna", "A"), ("Boris", "C")]
    a, c = rows
    assert a.taken_at == NOW - timedelta(days=2)  # the first take counts, not the repeat in another chat
    assert (a.days_left, a.auction_date, a.days_to_auction) == (2, date(2026, 3, 14), 4)
    assert a.antidumping_threshold == Decimal("750000.00")
    assert a.steps_to_antidumping == 50
    assert a.bid_security == Decimal("10000.00")
    assert a.contract_security == Decimal("100000.00")
    assert a.contract_security_antidumping == Decimal("150000.00")
    # 223-FZ: no Art. 37, and the notice gives no securities.
    assert (c.days_left, c.antidumping_threshold, c.steps_to_antidumping) == (1, None, None)
    assert (c.contract_security, c.contract_security_antidumping, c.bid_security) == (None, None, None)


def test_pipeline_all_includes_closed_and_person_filter(session: Session) -> None:
    rows = reports.pipeline_report(session, include_closed=True, now=NOW)
    assert [(r.person, k) for k, r in zip(_keys(rows), rows, strict=True)] == [
        ("Anna", "D"),
        ("Anna", "A"),
        ("Boris", "C"),
    ]
    d = rows[0]
    assert (d.days_left, d.nmck, d.antidumping_threshold, d.contract_security) == (-1, None, None, None)
    assert _keys(reports.pipeline_report(session, person="boris", now=NOW)) == ["C"]
    assert _keys(reports.pipeline_report(session, person="7", now=NOW)) == ["A"]
    assert _keys(reports.pipeline_report(session, person="bor", now=NOW)) == ["C"]  # part of a name
    with pytest.raises(
        ReportError, match=r"--person 'Vera' names nobody who took a tender; those who did: Anna, Boris"
    ):
        reports.pipeline_report(session, person="Vera", now=NOW)


def test_bid_outline_of_competition_has_threshold_but_no_steps() -> None:
    notice = Notice(
        reg_number="1",
        law="44-FZ",
        kind="competition",
        nmck=Decimal("20000000.00"),
        contract_security=Decimal("1000000"),
    )
    outline = reports.bid_outline(notice)
    assert outline.antidumping_threshold == Decimal("15000000.00")
    assert outline.steps_to_antidumping is None
    assert outline.contract_security == Decimal("1000000")
    assert outline.contract_security_antidumping == Decimal("1500000.00")


def test_pipeline_outlook_of_taken_auctions_is_reproducible_and_plausible(session: Session) -> None:
    rows = reports.pipeline_report(session, include_closed=True, now=NOW)
    by_key = dict(zip(_keys(rows), rows, strict=True))
    a, c, d = by_key["A"], by_key["C"], by_key["D"]
    # D is a quotation request: no auction, no outlook.
    assert (d.market_price, d.win_probability_at_antidumping) == (None, None)
    for row, nmck in ((a, Decimal("1000000.00")), (c, Decimal("300000.25"))):
        assert row.market_price is not None and row.win_probability_at_antidumping is not None
        # Three default competitors (mean walk-away discount 25%) end well below NMCK, above 60%.
        assert Decimal("0.60") * nmck < row.market_price < Decimal("0.90") * nmck
        assert row.market_price == row.market_price.quantize(Decimal("0.01"))
        # We win at the line only when every competitor stops above it: rare, but not impossible.
        assert 0.05 < row.win_probability_at_antidumping < 0.40
        assert (row.win_probability_at_antidumping * reports.OUTLOOK_RUNS).is_integer()
    again = reports.pipeline_report(session, include_closed=True, now=NOW)
    assert [(r.market_price, r.win_probability_at_antidumping) for r in again] == [
        (r.market_price, r.win_probability_at_antidumping) for r in rows
    ]


def test_auction_outlook_is_per_tender_and_empty_without_an_auction() -> None:
    auction = Notice(
        reg_number="0173200001426000001", law="44-FZ", kind="auction", nmck=Decimal("1000000.00")
    )
    twin = auction.model_copy(update={"reg_number": "0173200001426000009"})
    outlook = reports.auction_outlook(auction)
    assert outlook == reports.auction_outlook(auction)  # fixed seed: the same report every time
    assert reports.auction_outlook(twin) != outlook  # but each tender draws its own competitors
    empty = reports.AuctionOutlook()
    assert reports.auction_outlook(auction.model_copy(update={"kind": "competition"})) == empty
    assert reports.auction_outlook(auction.model_copy(update={"nmck": None})) == empty


# --- deadlines --------------------------------------------------------------------------------


def test_deadlines_soonest_first_with_days_and_hours(session: Session) -> None:
    rows = reports.deadlines_report(session, days=7, now=NOW)
    assert [
        (k, r.days_left, r.hours_left, r.status, r.profiles, r.taken_by)
        for k, r in zip(_keys(rows), rows, strict=True)
    ] == [
        ("C", 1, 0, "taken", "software", "Boris"),
        ("A", 2, 5, "taken", "laptops", "Anna"),
    ]
    assert rows[1].deadline == NOW + timedelta(days=2, hours=5)


def test_deadlines_leave_out_skipped_and_unmatched(session: Session) -> None:
    # B closes in 10 days but Boris skipped it and nobody took it.
    assert _keys(reports.deadlines_report(session, days=30, now=NOW)) == ["C", "A"]
    assert _keys(reports.deadlines_report(session, days=1, now=NOW)) == ["C"]
    # Seen from three days earlier, D (matched, since taken by Anna) was the one closing.
    early = reports.deadlines_report(session, days=3, now=NOW - timedelta(days=3))
    assert [(r.reg_number, r.status, r.days_left, r.hours_left) for r in early] == [(REG["D"], "taken", 2, 0)]
    with pytest.raises(ReportError, match="--days must be a positive number of days, got 0"):
        reports.deadlines_report(session, days=0, now=NOW)


# --- crawls -----------------------------------------------------------------------------------


def test_crawls_last_runs_per_source_with_error_rate(session: Session) -> None:
    rows = reports.crawls_report(session, last=2)
    assert [(r.source, r.outcome) for r in rows] == [
        ("eis-rss", "failed"),
        ("eis-search", "running"),
        ("eis-search", "partial"),
    ]
    rss, running, partial = rows
    assert (rss.duration_seconds, rss.error_rate, rss.errors, rss.reason) == (
        60,
        None,
        1,
        "feed unavailable: HTTP 503",
    )
    assert (running.finished_at, running.duration_seconds, running.error_rate) == (None, None, 0.0)
    assert partial.started_at == NOW.astimezone(UTC) - timedelta(hours=2)
    assert (partial.duration_seconds, partial.requests, partial.pages) == (95, 40, 4)
    assert (partial.notices_new, partial.notices_changed, partial.errors, partial.error_rate) == (
        5,
        2,
        2,
        0.05,
    )
    assert len(reports.crawls_report(session, last=10, source="eis-search")) == 3
    assert reports.crawls_report(session, source="eis", known_sources=("eis", "eis_rss")) == []
    with pytest.raises(ReportError, match="--last must be a positive number of runs, got 0"):
        reports.crawls_report(session, last=0)


def test_crawls_of_an_unknown_source_is_refused_not_an_empty_report(session: Session) -> None:
    with pytest.raises(ReportError) as caught:
        reports.crawls_report(session, source="nosuch", known_sources=("eis", "eis_rss"))
    # Known: the crawler's sources and any source with stored runs.
    assert (
        str(caught.value)
        == "--source 'nosuch' is not a crawl source (known: eis, eis-rss, eis-search, eis_rss)"
    )


# --- market -----------------------------------------------------------------------------------


def _market(rows) -> list[tuple]:
    return [
        (r.dimension, r.group, r.week_start, r.notices, r.priced, r.total_nmck, r.median_nmck) for r in rows
    ]


def test_market_by_okpd2_prefix_totals_median_methods_and_weeks(session: Session) -> None:
    rows = reports.market_report(session, okpd2="26.20", now=NOW)
    assert _market(rows) == [
        ("total", "all", None, 3, 2, Decimal("3500000.50"), Decimal("1750000.25")),
        ("method", "auction", None, 1, 1, Decimal("1000000.00"), Decimal("1000000.00")),
        ("method", "competition", None, 1, 1, Decimal("2500000.50"), Decimal("2500000.50")),
        ("method", "quotation", None, 1, 0, Decimal("0.00"), None),
        ("week", "2026-W07", date(2026, 2, 9), 1, 0, Decimal("0.00"), None),
        ("week", "2026-W08", date(2026, 2, 16), 0, 0, Decimal("0.00"), None),
        ("week", "2026-W09", date(2026, 2, 23), 0, 0, Decimal("0.00"), None),
        ("week", "2026-W10", date(2026, 3, 2), 2, 2, Decimal("3500000.50"), Decimal("1750000.25")),
    ]


def test_market_by_region_and_prefix_and_period(session: Session) -> None:
    # Region 50: A and D (customer), C (delivery); E is cancelled.
    total = reports.market_report(session, region="Московская обл.", now=NOW)[0]
    assert (total.notices, total.priced, total.total_nmck, total.median_nmck) == (
        3,
        2,
        Decimal("1300000.25"),
        Decimal("650000.13"),
    )
    both = reports.market_report(session, region="50", okpd2="62.01", now=NOW)[0]
    assert (both.notices, both.total_nmck) == (1, Decimal("300000.25"))
    march = reports.make_period(since=date(2026, 3, 1), now=NOW)
    assert _market(reports.market_report(session, okpd2="26.20.15", period=march, now=NOW)) == [
        ("total", "all", None, 1, 1, Decimal("2500000.50"), Decimal("2500000.50")),
        ("method", "competition", None, 1, 1, Decimal("2500000.50"), Decimal("2500000.50")),
        ("week", "2026-W10", date(2026, 3, 2), 1, 1, Decimal("2500000.50"), Decimal("2500000.50")),
    ]


def test_market_with_nothing_selected_has_a_zero_total_and_no_weeks(session: Session) -> None:
    assert _market(reports.market_report(session, okpd2="01.11", now=NOW)) == [
        ("total", "all", None, 0, 0, Decimal("0.00"), None)
    ]


def test_market_bad_okpd2_is_refused(session: Session) -> None:
    with pytest.raises(ReportError) as caught:
        reports.market_report(session, okpd2="26.201", now=NOW)
    assert str(caught.value) == "--okpd2 '26.201' is not an OKPD2 code (expected e.g. 26.20 or 26.20.15)"


# --- export -----------------------------------------------------------------------------------


def test_notices_export_by_publication_period(session: Session) -> None:
    period = reports.make_period(since=date(2026, 2, 23), until=date(2026, 3, 3), now=NOW)
    rows = reports.notices_export(session, period=period)
    assert _keys(rows) == ["C", "A", "E"]
    c = rows[0]
    assert (c.law, c.kind, c.region, c.region_name, c.delivery_regions, c.okpd2) == (
        "223-FZ",
        "auction",
        "77",
        "Москва",
        "50",
        "62.01.11.000",
    )
    assert (c.nmck, c.published_at, c.smp_only) == (
        Decimal("300000.25"),
        datetime(2026, 2, 23, 10, tzinfo=MSK),
        False,
    )
    assert rows[2].status == "Определение поставщика отменено"
