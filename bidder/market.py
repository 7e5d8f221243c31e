"""The market a purchase competes in: its segment's calibrated competitor model, and the backtest
that checks calibrated against assumed competitors on auctions that already ended.

Composition: the statistics are SQL in ``data.store.segments``, the models and the scoring pure
code in ``bidder.auction``; ``bidder.reports.results`` shows both to bid managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from sqlmodel import Session

from bidder.auction import MIN_CALIBRATION_AUCTIONS
from bidder.auction import CompetitorModel
from bidder.auction import EmpiricalPrior
from bidder.auction import Strategy
from bidder.auction.backtest import BacktestFigures
from bidder.auction.backtest import PastAuction
from bidder.auction.backtest import backtest
from bidder.auction.simulation import first_okpd2
from data.notice import Notice
from data.results import BASIS_POINTS
from data.store.segments import MIN_SEGMENT_PURCHASES
from data.store.segments import Segment
from data.store.segments import SegmentStats
from data.store.segments import decided_auctions
from data.store.segments import segment_of
from data.store.segments import segment_sample
from data.store.segments import stats_with_backoff

MAX_CALIBRATED_COMPETITORS = 20
"""More columns than this cost time and change nothing: so many bidders are rare."""


@dataclass(frozen=True)
class Calibration:
    competitors: CompetitorModel
    stats: SegmentStats
    """The segment the model was drawn from (possibly wider than the purchase's own) and its figures."""
    segment: Segment
    """The purchase's own, narrowest segment."""

    @property
    def widened(self) -> bool:
        return self.stats.segment != self.segment


def calibrate(
    session: Session,
    *,
    okpd2: str | None,
    region: str | None,
    kind: str | None,
    nmck: Decimal | None,
    strategy: Strategy = "mixed",
    before: datetime | None = None,
    min_purchases: int = MIN_SEGMENT_PURCHASES,
) -> Calibration | None:
    """The competitor model of the purchase's segment (widened until it holds ``min_purchases``
    finished purchases); None when even the widest holds fewer than ``MIN_CALIBRATION_AUCTIONS``
    auctions with a winning discount: then the assumption model is all there is."""
    own = segment_of(okpd2=okpd2, region=region, kind=kind, nmck=nmck)
    stats = stats_with_backoff(session, own, min_purchases=min_purchases, before=before)
    sample = segment_sample(session, stats.segment, before=before)
    if len(sample.discounts_bp) < MIN_CALIBRATION_AUCTIONS or not sample.applications:
        return None
    source = (
        f"calibrated on «{stats.segment.describe()}»: {stats.purchases} finished purchases, "
        f"{len(sample.discounts_bp)} auctions with a winning discount"
    )
    if stats.segment != own:
        source += f" (widened from «{own.describe()}»)"
    prior = EmpiricalPrior(
        discounts=tuple(float(Decimal(bp) / BASIS_POINTS) for bp in sample.discounts_bp),
        participants=tuple(sample.applications),
        source=source,
    )
    count = min(prior.most_competitors, MAX_CALIBRATED_COMPETITORS)
    return Calibration(CompetitorModel(count=count, strategy=strategy, prior=prior), stats, own)


def calibrate_notice(session: Session, notice: Notice, *, strategy: Strategy = "mixed") -> Calibration | None:
    """``calibrate`` on a stored notice's own segment: the one way the CLI's ``simulate``, the
    bot's /sim and the pipeline report choose a notice's competitors."""
    return calibrate(
        session,
        okpd2=first_okpd2(notice),
        region=notice.customer_region,
        kind=notice.kind,
        nmck=notice.nmck,
        strategy=strategy,
    )


def competitors_for(session: Session, notice: Notice, *, strategy: Strategy = "mixed") -> CompetitorModel:
    """The calibrated competitors of a stored notice, else the assumption model."""
    fit = calibrate_notice(session, notice, strategy=strategy)
    return fit.competitors if fit is not None else CompetitorModel(strategy=strategy)


@dataclass(frozen=True)
class BacktestReport:
    calibrated: BacktestFigures
    assumption: BacktestFigures
    calibrated_auctions: int
    """Of the auctions scored, how many had enough earlier history to calibrate on (the others
    fell back to the assumption model, as ``simulate`` does)."""


class BacktestOptions(TypedDict, total=False):
    """``backtest_stored``'s options, for the callers that pass them through (the report)."""

    limit: int
    min_purchases: int
    draws: int
    seed: int


def backtest_stored(
    session: Session,
    *,
    limit: int = 500,
    min_purchases: int = MIN_SEGMENT_PURCHASES,
    draws: int = 2000,
    seed: int = 0,
) -> BacktestReport | None:
    """Both models on the ``limit`` most recently decided auctions with a winner and a known NMCK;
    each auction's calibrated model sees only results decided before it. None without any."""
    rows = decided_auctions(session, limit=limit)
    if not rows:
        return None
    auctions: list[PastAuction] = []
    calibrated: list[CompetitorModel] = []
    assumed = CompetitorModel()
    for row in rows:
        nmck, runner_up = row.nmck, row.runner_up_price
        auctions.append(
            PastAuction(
                nmck=nmck,
                winning_discount=row.discount_bp / 10_000,
                runner_up_discount=None if runner_up is None or nmck <= 0 else float(1 - runner_up / nmck),
            )
        )
        fit = calibrate(
            session,
            okpd2=row.okpd2,
            region=row.region,
            kind=row.kind,
            nmck=nmck,
            before=row.decided_at,
            min_purchases=min_purchases,
        )
        calibrated.append(fit.competitors if fit is not None else assumed)
    return BacktestReport(
        calibrated=backtest(auctions, calibrated, draws=draws, seed=seed),
        assumption=backtest(auctions, [assumed] * len(auctions), draws=draws, seed=seed),
        calibrated_auctions=sum(model is not assumed for model in calibrated),
    )
