"""The calibrated competitor model against the assumption model, on a simulated market whose truth
is known (crawler.replay.market), stored through the same upserts as imported results."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session

from bidder.auction import DEFAULT_PRIOR, EmpiricalPrior
from bidder.market import backtest_stored, calibrate
from bidder.reports import ReportError, backtest_report, segments_report
from crawler.replay.market import TRUTH, simulated_auctions
from data.store import upsert_notices, upsert_results


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
