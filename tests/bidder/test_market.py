"""The calibrated competitor model against the assumption model, on a simulated market whose truth
is known (crawler.replay.market), stored through the same upserts as imported results."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from bidder.auction import DEFAULT_PRIOR
from bidder.auction import EmpiricalPrior
from bidder.market import backtest_stored
from bidder.market import calibrate
from bidder.reports import ReportError
from bidder.reports import backtest_report
from bidder.reports import customer_report
from bidder.reports import segments_report
from crawler.replay.market import TRUTH
from crawler.replay.market import customer_of
from crawler.replay.market import simulated_auctions
from crawler.replay.market import supplier_of
from data.store import upsert_notices
from data.store import upsert_results
from data.store.customers import competitors
from data.store.customers import customer_figures


@pytest.fixture
def market(session: Session) -> Session:
    auctions = simulated_auctions(per_segment=60)
    upsert_notices(session, [notice for notice, _ in auctions])
    upsert_results(session, [protocol for _, protocol in auctions])
    return session


def test_a_notice_of_a_known_segment_gets_its_segments_competitors(market: Session) -> None:
    laptops = TRUTH[0]
    fit = calibrate(
        market, okpd2=laptops.okpd2, region=laptops.region, kind="auction", nmck=Decimal("700000")
    )
    assert fit is not None and not fit.widened
    assert fit.stats.purchases == 60
    assert isinstance(fit.competitors.prior, EmpiricalPrior)
    assert fit.competitors.count == max(laptops.bidders)
    assert (
        "«ОКПД2 26.20 · регион 77 · auction · 0.5–1 млн ₽»: 60 finished purchases"
        in fit.competitors.prior.source
    )


def test_an_unknown_segment_is_widened_and_says_so(market: Session) -> None:
    fit = calibrate(market, okpd2="62.01.11.000", region="16", kind="auction", nmck=Decimal("700000"))
    assert fit is not None and fit.widened
    assert fit.stats.purchases == 180
    assert "widened from «ОКПД2 62.01 · регион 16" in fit.competitors.prior.source


def test_without_history_there_is_no_calibration(session: Session) -> None:
    assert calibrate(session, okpd2="26.20", region="77", kind="auction", nmck=Decimal("1")) is None


def test_the_calibrated_model_beats_the_assumption_model_on_auctions_it_did_not_see(market: Session) -> None:
    report = backtest_stored(market, limit=60, draws=1000, seed=1)
    assert report is not None
    assert report.calibrated_auctions == report.calibrated.auctions == 60  # every segment has history
    assert report.calibrated.discount_mae_points < report.assumption.discount_mae_points
    assert report.calibrated.brier < report.assumption.brier
    assert report.assumption.predicted_median_discount == pytest.approx(DEFAULT_PRIOR.mean_discount, abs=0.08)


def test_reports_show_segments_and_the_backtest(market: Session) -> None:
    rows = segments_report(market)
    assert [(r.okpd2, r.region, r.purchases) for r in rows] == [
        ("21.20", "41", 60),
        ("26.20", "77", 60),
        ("43.21", "50", 60),
    ]
    electrical = rows[2]
    assert electrical.single_share == 0.0 and electrical.discount_median is not None
    assert electrical.discount_median > rows[1].discount_median  # 31 % vs 10 % walk-aways
    figures = {row.figure: row for row in backtest_report(market, limit=30, draws=500)}
    assert figures["auctions scored"].calibrated == "30"


def test_a_backtest_without_results_says_what_to_do(session: Session) -> None:
    with pytest.raises(ReportError, match="import or crawl results first"):
        backtest_report(session)


def test_a_customer_report_counts_its_purchases_discounts_and_winners(market: Session) -> None:
    customer_inn, _ = customer_of(TRUTH[1], 0)
    now = datetime(2025, 3, 2, tzinfo=UTC)  # the 60 days of the simulated market are behind it
    figures = customer_figures(market, customer_inn, since=now - timedelta(days=365), today=now.date())
    assert 0 < figures.purchases < 60 and figures.finished == figures.purchases
    assert figures.cancelled == 0
    assert figures.discount_mean is not None and Decimal(20) < figures.discount_mean < Decimal(45)
    assert figures.won == sum(w.wins for w in figures.winners) == figures.finished
    assert figures.winners == sorted(figures.winners, key=lambda w: (-w.wins, w.inn))
    rows = {row.figure: row.value for row in customer_report(market, inn=customer_inn, now=now)}
    assert rows["notices in the last 365 days"] == str(figures.purchases)
    assert rows["winner #1"].endswith(f"{figures.winners[0].wins} win(s)")
    later = customer_figures(market, customer_inn, since=now, today=now.date())
    assert later.purchases == 0  # nothing after «now»


def test_a_competitors_report_ranks_the_suppliers_of_a_market(market: Session) -> None:
    since = datetime(2024, 1, 1, tzinfo=UTC)
    rows = competitors(market, okpd2="43.21", region="50", since=since, today=since.date())
    inns = {supplier_of(TRUTH[1], i)[0] for i in range(6)}
    assert {row.inn for row in rows} == inns  # only that market's suppliers
    assert sum(row.wins for row in rows) == 60
    assert [row.wins for row in rows] == sorted((row.wins for row in rows), reverse=True)
    for row in rows:
        assert row.region == "50" and row.name is not None and row.name.startswith("ООО «43.21-поставщик")
        assert row.applications >= row.wins and row.win_rate == round(row.wins / row.applications, 3)
        assert row.discount_median is None or 0 < row.discount_median < 0.8
    assert competitors(market, okpd2="99", region=None, since=since, today=since.date()) == []


def test_a_wrong_inn_is_a_report_error(session: Session) -> None:
    with pytest.raises(ReportError, match="10 digits"):
        customer_report(session, inn="12-34", now=datetime(2026, 1, 1, tzinfo=UTC))
