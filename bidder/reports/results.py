"""Reports on how purchases ended: market segments (``report segments``), the backtest of the
competitor models (``report backtest``), a customer (``report customer``) and the suppliers of a
market (``report competitors``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Unpack

from sqlmodel import Session

from bidder.market import BacktestOptions
from bidder.market import backtest_stored
from bidder.reports.common import ReportError
from data.notice import is_inn
from data.notice import moscow_date
from data.store.customers import CompetitorRow
from data.store.customers import Winner
from data.store.customers import competitors
from data.store.customers import customer_figures
from data.store.segments import SegmentStats
from data.store.segments import all_segment_stats


def segments_report(
    session: Session, *, okpd2_digits: int = 4, min_purchases: int = 1, top: int | None = None
) -> list[SegmentStats]:
    """Every segment holding at least ``min_purchases`` finished purchases, largest first."""
    if okpd2_digits not in (2, 4):
        raise ReportError(f"--okpd2-digits must be 2 or 4, got {okpd2_digits}")
    rows = [s for s in all_segment_stats(session, okpd2_digits=okpd2_digits) if s.purchases >= min_purchases]
    return rows[:top] if top is not None else rows


@dataclass(frozen=True)
class BacktestRow:
    """One figure of the backtest, for both competitor models side by side."""

    figure: str
    calibrated: str
    assumption: str


def backtest_report(session: Session, **options: Unpack[BacktestOptions]) -> list[BacktestRow]:
    """Calibrated against assumed competitors on the last ``limit`` stored auctions with a winner."""
    report = backtest_stored(session, **options)
    if report is None:
        raise ReportError(
            "no finished auction with a winner, an NMCK and two or more applications is stored: "
            "import or crawl results first (tenderwatch import PROTOCOLS.zip)"
        )
    cal, assumed = report.calibrated, report.assumption
    return [
        BacktestRow("auctions scored", str(cal.auctions), str(assumed.auctions)),
        BacktestRow(
            "calibrated on earlier results",
            f"{report.calibrated_auctions} (the rest fell back to the assumption model)",
            "-",
        ),
        BacktestRow(
            "winning discount MAE, p.p.",
            f"{cal.discount_mae_points:.2f}",
            f"{assumed.discount_mae_points:.2f}",
        ),
        BacktestRow("Brier score (win probability)", f"{cal.brier:.4f}", f"{assumed.brier:.4f}"),
        BacktestRow("win-probability events scored", str(cal.events), str(assumed.events)),
        BacktestRow(
            "median predicted winning discount",
            f"{cal.predicted_median_discount:.1%}",
            f"{assumed.predicted_median_discount:.1%}",
        ),
        BacktestRow(
            "median actual winning discount",
            f"{cal.actual_median_discount:.1%}",
            f"{assumed.actual_median_discount:.1%}",
        ),
    ]


@dataclass(frozen=True)
class CustomerRow:
    """One figure of the customer report."""

    figure: str
    value: str


def customer_report(session: Session, *, inn: str, now: datetime, days: int = 365) -> list[CustomerRow]:
    """A customer's purchases, cancellations, discounts and usual winners over the last ``days``."""
    if not is_inn(inn):
        raise ReportError(f"INN {inn!r}: a customer's INN has 10 digits (12 for a person)")
    inn = inn.strip()  # is_inn allows the spaces a pasted number brings
    figures = customer_figures(session, inn, since=now - timedelta(days=days), today=moscow_date(now))
    rows = [
        CustomerRow("customer INN", inn),
        CustomerRow(f"notices in the last {days} days", str(figures.purchases)),
        CustomerRow("of them cancelled", str(figures.cancelled)),
        CustomerRow("finished purchases with a stored result", str(figures.finished)),
        CustomerRow(
            "mean discount from NMCK", "-" if figures.discount_mean is None else f"{figures.discount_mean} %"
        ),
        CustomerRow(
            "mean applications", "-" if figures.participants_mean is None else str(figures.participants_mean)
        ),
        CustomerRow(
            "most frequent winner's share of wins",
            "-" if figures.top_winner_share is None else f"{figures.top_winner_share:.0%}",
        ),
    ]
    rows += [
        CustomerRow(f"winner #{place}", f"{w.name or '?'} (INN {w.inn}): {w.wins} win(s){_register_note(w)}")
        for place, w in enumerate(figures.winners[:5], start=1)
    ]
    return rows


def _register_note(winner: Winner) -> str:
    status = winner.register
    if status is None or not status.entries:
        return ""
    until = f" until {status.until:%d.%m.%Y}" if status.until else ""
    return f"; in the register of unfair suppliers (РНП){until}"


def competitors_report(
    session: Session,
    *,
    okpd2: str | None,
    region: str | None,
    now: datetime,
    days: int = 365,
    top: int = 30,
) -> list[CompetitorRow]:
    """Who wins the finished purchases of an OKPD2 prefix and a customer region, how often, how deep,
    and whether the register of unfair suppliers lists it (as far as it was read)."""
    since = now - timedelta(days=days)
    return competitors(session, okpd2=okpd2, region=region, since=since, today=moscow_date(now), top=top)
