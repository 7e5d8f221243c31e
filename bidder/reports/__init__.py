"""Bid-manager reports: database -> typed rows (Decimal money, aware datetimes, dates, ints, str).

Rendering (tables, CSV, XLSX, JSON, charts) is the CLI's job; these functions only decide which
rows there are and compute their figures, so the same rows serve every output format and the
tests can check figures exactly. Every report takes ``now`` (aware) so "days left" and "the last
N days" do not depend on the clock.

Calendar days and ISO weeks are Moscow days: EIS publishes deadlines and dates in Moscow time,
and that is the calendar the bid managers work by.

One module per report (``matches``, ``near_misses``, ``pipeline``, ``deadlines``, ``crawls``, ``market``,
``results``, ``export``); what they share is in ``common``. This package exports them all by name.
"""

from __future__ import annotations

from bidder.reports.common import DAY
from bidder.reports.common import HOUR
from bidder.reports.common import STATUSES
from bidder.reports.common import Period
from bidder.reports.common import RegionFilter
from bidder.reports.common import ReportError
from bidder.reports.common import Status
from bidder.reports.common import make_period
from bidder.reports.common import moscow_midnight
from bidder.reports.common import okpd2_prefix
from bidder.reports.common import person_of
from bidder.reports.common import region_code
from bidder.reports.common import region_filter
from bidder.reports.common import status_of
from bidder.reports.crawls import CrawlRunRow
from bidder.reports.crawls import crawls_report
from bidder.reports.deadlines import DeadlineRow
from bidder.reports.deadlines import deadlines_report
from bidder.reports.export import MatchExportRow
from bidder.reports.export import NoticeExportRow
from bidder.reports.export import matches_export
from bidder.reports.export import notices_export
from bidder.reports.market import MarketRow
from bidder.reports.market import iso_week
from bidder.reports.market import market_report
from bidder.reports.matches import MatchReportRow
from bidder.reports.matches import matches_report
from bidder.reports.near_misses import NearMissReportRow
from bidder.reports.near_misses import near_misses_report
from bidder.reports.pipeline import MIN_STEP_PERCENT
from bidder.reports.pipeline import ONE_KOPECK
from bidder.reports.pipeline import OUTLOOK_RUNS
from bidder.reports.pipeline import OUTLOOK_SEED
from bidder.reports.pipeline import AuctionOutlook
from bidder.reports.pipeline import BidOutline
from bidder.reports.pipeline import PipelineRow
from bidder.reports.pipeline import auction_outlook
from bidder.reports.pipeline import bid_outline
from bidder.reports.pipeline import pipeline_report
from bidder.reports.results import BacktestRow
from bidder.reports.results import CustomerRow
from bidder.reports.results import backtest_report
from bidder.reports.results import competitors_report
from bidder.reports.results import customer_report
from bidder.reports.results import segments_report
from data.notice import moscow_date

__all__ = [
    "DAY",
    "HOUR",
    "MIN_STEP_PERCENT",
    "ONE_KOPECK",
    "OUTLOOK_RUNS",
    "OUTLOOK_SEED",
    "STATUSES",
    "AuctionOutlook",
    "BacktestRow",
    "BidOutline",
    "CrawlRunRow",
    "CustomerRow",
    "DeadlineRow",
    "MarketRow",
    "MatchExportRow",
    "MatchReportRow",
    "NearMissReportRow",
    "NoticeExportRow",
    "Period",
    "PipelineRow",
    "RegionFilter",
    "ReportError",
    "Status",
    "auction_outlook",
    "backtest_report",
    "bid_outline",
    "competitors_report",
    "crawls_report",
    "customer_report",
    "deadlines_report",
    "iso_week",
    "make_period",
    "market_report",
    "matches_export",
    "matches_report",
    "moscow_date",
    "moscow_midnight",
    "near_misses_report",
    "notices_export",
    "okpd2_prefix",
    "person_of",
    "pipeline_report",
    "region_code",
    "region_filter",
    "segments_report",
    "status_of",
]
