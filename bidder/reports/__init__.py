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

from bidder.reports.common import (
    DAY,
    HOUR,
    STATUSES,
    Period,
    RegionFilter,
    ReportError,
    Status,
    make_period,
    moscow_date,
    moscow_midnight,
    okpd2_prefix,
    person_of,
    region_code,
    region_filter,
    status_of,
)
from bidder.reports.crawls import (
    CrawlRunRow,
    crawls_report,
)
from bidder.reports.deadlines import (
    DeadlineRow,
    deadlines_report,
)
from bidder.reports.export import (
    MatchExportRow,
    NoticeExportRow,
    matches_export,
    notices_export,
)
from bidder.reports.market import (
    MarketRow,
    iso_week,
    market_report,
)
from bidder.reports.matches import (
    MatchReportRow,
    matches_report,
)
from bidder.reports.near_misses import (
    NearMissReportRow,
    near_misses_report,
)
from bidder.reports.pipeline import (
    MIN_STEP_PERCENT,
    ONE_KOPECK,
    OUTLOOK_RUNS,
    OUTLOOK_SEED,
    AuctionOutlook,
    BidOutline,
    PipelineRow,
    auction_outlook,
    bid_outline,
    pipeline_report,
)
from bidder.reports.results import (
    BacktestRow,
    CustomerRow,
    backtest_report,
    competitors_report,
    customer_report,
    segments_report,
)

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
