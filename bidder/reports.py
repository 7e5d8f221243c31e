"""Bid-manager reports: database -> typed rows (Decimal money, aware datetimes, dates, ints, str).

Rendering (tables, CSV, XLSX, JSON, charts) is the CLI's job; these functions only decide which
rows there are and compute their figures, so the same rows serve every output format and the
tests can check figures exactly. Every report takes ``now`` (aware) so "days left" and "the last
N days" do not depend on the clock.

Calendar days and ISO weeks are Moscow days: EIS publishes deadlines and dates in Moscow time,
and that is the calendar the bid managers work by.
"""

from __future__ import annotations

import logging
import statistics
import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal, get_args

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, select

from bidder.auction import (
    SimulationParams,
    antidumping_applies,
    antidumping_threshold,
    bid_security,
    build_ladder,
    contract_security,
    run_auctions,
)
from bidder.auction.money import exact_mean, to_kopecks
from bidder.errors import BidderError
from data.formatting import reason_text, to_kopeck
from data.models import (
    CRAWL_RUNS,
    DECISIONS,
    MATCHES,
    NOTICES,
    PROFILES,
    CrawlRun,
    DecisionRow,
    MatchRow,
    NoticeRow,
    ProfileRow,
)
from data.notice import MOSCOW, Notice
from data.reference.okpd2 import is_within, normalize_okpd2
from data.reference.regions import region_name, resolve_region
from data.store import KEYS_PER_QUERY, NOTICE_COLUMNS

log = logging.getLogger(__name__)

MIN_STEP_PERCENT = Decimal("0.5")
"""The 44-FZ minimum auction step: the slowest way down to the anti-dumping line."""
OUTLOOK_RUNS = 2_000
"""Monte Carlo runs per taken auction in the pipeline: enough for a percent-level win probability,
cheap enough for a report of dozens of tenders (``tenderwatch simulate`` is the precise tool)."""
OUTLOOK_SEED = 20_260_310
"""Fixed so the same database gives the same report; mixed with the registry number per tender."""
ONE_KOPECK = 1
"""In the int64 kopecks the Monte Carlo counts in."""
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

Status = Literal["new", "taken", "skipped"]
STATUSES: tuple[str, ...] = get_args(Status)


class ReportError(BidderError):
    """A report was asked for with impossible filters; the message names the option and the value."""


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Half-open interval [start, end) of aware datetimes; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return self.start is None and self.end is None
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def moscow_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=MOSCOW)


def moscow_date(moment: datetime) -> date:
    return moment.astimezone(MOSCOW).date()


def make_period(
    *, since: date | None = None, until: date | None = None, days: int | None = None, now: datetime
) -> Period:
    """``since``..``until`` as whole Moscow days (both inclusive), or the last ``days`` days up to ``now``."""
    _require_aware(now)
    if days is not None:
        if since is not None or until is not None:
            raise ReportError("give either --days or --since/--until, not both")
        if days <= 0:
            raise ReportError(f"--days must be a positive number of days, got {days}")
        return Period(start=now - days * DAY, end=None)
    if since is not None and until is not None and until < since:
        raise ReportError(f"--until {until.isoformat()} is before --since {since.isoformat()}")
    return Period(
        start=moscow_midnight(since) if since else None,
        end=moscow_midnight(until + DAY) if until else None,
    )


def region_code(text: str) -> str:
    """The two-digit subject code for what a user typed (code, name, alias, capital)."""
    region = resolve_region(text)
    if region is None:
        raise ReportError(f"--region {text!r} is not a known region code or name")
    return region.code


def okpd2_prefix(text: str) -> str:
    """The canonical dotted OKPD2 code a user typed as a prefix ("26.20", "262", "26.20.1")."""
    code = normalize_okpd2(text)
    if code is None:
        raise ReportError(f"--okpd2 {text!r} is not an OKPD2 code (expected e.g. 26.20 or 26.20.15)")
    return code


def in_region(row: NoticeRow, code: str) -> bool:
    """A notice is in a region when its customer is there or it delivers there."""
    return row.customer_region == code or code in (row.delivery_regions or [])


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ReportError(f"report time must be timezone-aware, got {now.isoformat()}")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    _require_aware(now)
    return now


# --- shared lookups ---------------------------------------------------------------------------


def _by_chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), KEYS_PER_QUERY):
        yield ids[start : start + KEYS_PER_QUERY]


def _decisions(session: Session, notice_ids: Iterable[int]) -> dict[int, list[DecisionRow]]:
    """Every decision on these notices, oldest first per notice."""
    found: dict[int, list[DecisionRow]] = defaultdict(list)
    for chunk in _by_chunks(sorted(set(notice_ids))):
        query = (
            select(DecisionRow)
            .where(DECISIONS.c.notice_id.in_(chunk))
            .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
        )
        for row in session.exec(query):
            found[row.notice_id].append(row)
    return found


def person_of(decision: DecisionRow) -> str:
    return decision.user_name or f"id {decision.user_id}"


def status_of(decisions: Sequence[DecisionRow]) -> Status:
    """Triage state of a notice: someone took it > someone skipped it > nobody decided yet."""
    actions = {d.action for d in decisions}
    if "take" in actions:
        return "taken"
    if "skip" in actions:
        return "skipped"
    return "new"


def _takers(decisions: Sequence[DecisionRow]) -> str:
    return ", ".join(dict.fromkeys(person_of(d) for d in decisions if d.action == "take"))


def _days_between(later: datetime, now: datetime) -> int:
    """Whole days from ``now`` to ``later`` (negative once it passed)."""
    return (later - now) // DAY


def to_notice(row: NoticeRow) -> Notice:
    """The stored row as the normalized notice (positions are not needed for reports)."""
    return Notice.model_validate({name: getattr(row, name) for name in NOTICE_COLUMNS})


# --- matches ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchReportRow:
    matched_at: datetime
    profile: str
    status: str
    taken_by: str
    reg_number: str
    law: str
    title: str
    customer: str
    region: str
    region_name: str
    nmck: Decimal | None
    deadline: datetime | None
    url: str
    reasons: str


def known_profiles(session: Session) -> list[str]:
    return list(session.exec(select(PROFILES.c.name).order_by(PROFILES.c.name)))


def _check_profile(session: Session, profile: str) -> None:
    names = known_profiles(session)
    if profile not in names:
        listed = ", ".join(names) or "none stored"
        raise ReportError(f"--profile {profile!r} is not a stored profile (known: {listed})")


def matches_report(
    session: Session,
    *,
    period: Period | None = None,
    profile: str | None = None,
    region: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> list[MatchReportRow]:
    """Matches found in ``period`` (by when the matcher found them), newest first, with reasons.

    ``region`` is a code or name (customer or delivery region); ``status`` is new, taken or skipped.
    """
    _now(now)
    period = period or Period()
    if status is not None and status not in STATUSES:
        raise ReportError(f"--status {status!r} is not one of {', '.join(STATUSES)}")
    code = region_code(region) if region is not None else None
    if profile is not None:
        _check_profile(session, profile)
    query = (
        select(MatchRow, NoticeRow, PROFILES.c.name)
        .join(NoticeRow, NOTICES.c.id == MATCHES.c.notice_id)
        .join(ProfileRow, PROFILES.c.id == MATCHES.c.profile_id)
        .where(MATCHES.c.matched == sa.true())
        .order_by(MATCHES.c.created_at.desc(), MATCHES.c.id.desc())
    )
    if period.start is not None:
        query = query.where(MATCHES.c.created_at >= period.start)
    if period.end is not None:
        query = query.where(MATCHES.c.created_at < period.end)
    if profile is not None:
        query = query.where(PROFILES.c.name == profile)
    found = [(m, n, p) for m, n, p in session.exec(query) if code is None or in_region(n, code)]
    decisions = _decisions(session, (n.id for _, n, _ in found if n.id is not None))
    rows = []
    for match, notice, profile_name in found:
        decided = decisions.get(notice.id or 0, [])
        row_status = status_of(decided)
        if status is not None and row_status != status:
            continue
        rows.append(_match_row(match, notice, profile_name, row_status, decided))
    return rows


def _match_row(
    match: MatchRow, notice: NoticeRow, profile: str, status: str, decided: Sequence[DecisionRow]
) -> MatchReportRow:
    region = notice.customer_region or ""
    return MatchReportRow(
        matched_at=match.created_at,
        profile=profile,
        status=status,
        taken_by=_takers(decided),
        reg_number=notice.reg_number,
        law=notice.law,
        title=notice.title,
        customer=notice.customer_name or "",
        region=region,
        region_name=(region_name(region) or "") if region else "",
        nmck=notice.nmck,
        deadline=notice.submission_deadline,
        url=notice.url or "",
        reasons="; ".join(reason_text(r) for r in match.reasons or []),
    )


# --- pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidOutline:
    """The deterministic part of the auction picture: no cost needed, so it can be shown for every
    taken tender (the full Monte Carlo needs our cost and runs in ``tenderwatch simulate``)."""

    antidumping_threshold: Decimal | None = None
    """Highest price that triggers Art. 37 (None: anti-dumping does not apply to this procurement)."""
    steps_to_antidumping: int | None = None
    """Minimum (0.5%) steps from NMCK down to that price; only for auctions."""
    bid_security: Decimal | None = None
    contract_security: Decimal | None = None
    """Contract security at NMCK as the notice states it (None: the notice does not say)."""
    contract_security_antidumping: Decimal | None = None
    """Contract security at the anti-dumping price (x1.5 unless the good-faith route is taken)."""


def bid_outline(notice: Notice) -> BidOutline:
    """Anti-dumping line, steps to it and securities for a notice; empty when it has no usable NMCK."""
    try:
        params = SimulationParams.from_notice(notice)
    except BidderError as exc:
        log.debug("no bid outline for %s: %s", notice.reg_number, exc)
        return BidOutline()
    nmck, terms, law, kind = params.nmck, params.securities, params.law, params.kind
    threshold: Decimal | None = antidumping_threshold(nmck)
    if threshold is None or threshold <= 0 or not antidumping_applies(threshold, nmck, law=law, kind=kind):
        threshold = None
    steps = None
    if threshold is not None and kind == "auction":
        steps = build_ladder(params.auction_rules(), threshold, MIN_STEP_PERCENT).antidumping_step
    at_threshold = contract_security(nmck, threshold, terms, law=law, kind=kind) if threshold else None
    return BidOutline(
        antidumping_threshold=threshold,
        steps_to_antidumping=steps,
        bid_security=bid_security(nmck, terms).amount,
        contract_security=contract_security(nmck, nmck, terms, law=law, kind=kind).required,
        contract_security_antidumping=at_threshold.required if at_threshold else None,
    )


@dataclass(frozen=True)
class AuctionOutlook:
    """The quick Monte Carlo summary of a taken auction, with default competitors and no cost.

    Without our cost there is no floor of ours to simulate, so two cost-free questions are asked
    of the same competitor draws (common random numbers):

    * the market price: where the auction would end if we did not bid at all (our walk-away at
      NMCK, so we never offer), averaged over the runs that end in a contract;
    * the win probability at the anti-dumping line: our chance if we go as low as one kopeck
      above 75% of NMCK, the deepest price that needs no extra Art. 37 security. For 223-FZ the
      same 75% depth is used as a comparable reference, though Art. 37 does not apply there.
    """

    market_price: Decimal | None = None
    win_probability_at_antidumping: float | None = None


def auction_outlook(notice: Notice, *, runs: int = OUTLOOK_RUNS, seed: int = OUTLOOK_SEED) -> AuctionOutlook:
    """The outlook of an auction notice; empty for other methods or without a usable NMCK."""
    try:
        params = SimulationParams.from_notice(notice)
        if params.kind != "auction":
            return AuctionOutlook()
        rules = params.auction_rules()
    except BidderError as exc:
        log.debug("no auction outlook for %s: %s", notice.reg_number, exc)
        return AuctionOutlook()
    competitors = params.competitors
    nmck = to_kopecks(params.nmck)
    line = to_kopecks(antidumping_threshold(params.nmck)) + ONE_KOPECK
    rng = np.random.default_rng([seed, zlib.crc32(notice.reg_number.encode())])
    walks = competitors.prior.sample_kopecks(rng, nmck, (runs, competitors.count))
    strategies = competitors.draw_strategies(rng, runs)
    outcomes = run_auctions(
        rules,
        np.repeat(np.array([nmck, line], dtype=np.int64), runs),
        to_kopecks(rules.step_min),
        np.tile(walks, (2, 1)),
        np.tile(strategies, (2, 1)),
        rng,
        sniper_miss_probability=competitors.sniper_miss_probability,
    )
    without_us = slice(0, runs)
    contracted = outcomes.winner[without_us] >= 0
    return AuctionOutlook(
        market_price=exact_mean(outcomes.final[without_us][contracted]),
        win_probability_at_antidumping=float(outcomes.we_win[runs:].mean()),
    )


@dataclass(frozen=True)
class PipelineRow:
    person: str
    taken_at: datetime
    reg_number: str
    law: str
    kind: str
    title: str
    customer: str
    nmck: Decimal | None
    deadline: datetime | None
    days_left: int | None
    auction_date: date | None
    days_to_auction: int | None
    antidumping_threshold: Decimal | None
    steps_to_antidumping: int | None
    bid_security: Decimal | None
    contract_security: Decimal | None
    contract_security_antidumping: Decimal | None
    market_price: Decimal | None
    """Expected final price if we do not bid (see ``AuctionOutlook``); None unless an auction."""
    win_probability_at_antidumping: float | None
    """Our win probability going down to one kopeck above the anti-dumping line."""
    url: str


def pipeline_report(
    session: Session,
    *,
    person: str | None = None,
    include_closed: bool = False,
    now: datetime | None = None,
) -> list[PipelineRow]:
    """Tenders people took, by person then deadline, with a quick auction outlook for each auction.

    A tender stays in the pipeline while its deadline or its auction is still ahead (or unknown);
    ``include_closed`` shows the rest too. ``person`` is a user name (case-insensitive) or id.
    """
    now = _now(now)
    query = (
        select(DecisionRow, NoticeRow)
        .join(NoticeRow, NOTICES.c.id == DECISIONS.c.notice_id)
        .where(DECISIONS.c.action == "take")
        .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
    )
    first: dict[tuple[int, int], tuple[DecisionRow, NoticeRow]] = {}
    for decision, notice in session.exec(query):
        if person is None or _is_person(decision, person):
            first.setdefault((decision.user_id, notice.id or 0), (decision, notice))
    rows = [
        _pipeline_row(decision, notice, now)
        for decision, notice in first.values()
        if include_closed or _still_open(notice, now)
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.person.casefold(), r.deadline or far, r.reg_number))


def _is_person(decision: DecisionRow, person: str) -> bool:
    wanted = person.strip().casefold()
    return wanted in ((decision.user_name or "").casefold(), str(decision.user_id))


def _still_open(notice: NoticeRow, now: datetime) -> bool:
    deadline, auction = notice.submission_deadline, notice.auction_date
    if deadline is None and auction is None:
        return True
    return (deadline is not None and deadline >= now) or (auction is not None and auction >= moscow_date(now))


def _pipeline_row(decision: DecisionRow, notice: NoticeRow, now: datetime) -> PipelineRow:
    stored = to_notice(notice)
    outline, outlook = bid_outline(stored), auction_outlook(stored)
    deadline, auction = notice.submission_deadline, notice.auction_date
    return PipelineRow(
        person=person_of(decision),
        taken_at=decision.decided_at,
        reg_number=notice.reg_number,
        law=notice.law,
        kind=notice.kind,
        title=notice.title,
        customer=notice.customer_name or "",
        nmck=notice.nmck,
        deadline=deadline,
        days_left=_days_between(deadline, now) if deadline else None,
        auction_date=auction,
        days_to_auction=(auction - moscow_date(now)).days if auction else None,
        antidumping_threshold=outline.antidumping_threshold,
        steps_to_antidumping=outline.steps_to_antidumping,
        bid_security=outline.bid_security,
        contract_security=outline.contract_security,
        contract_security_antidumping=outline.contract_security_antidumping,
        market_price=outlook.market_price,
        win_probability_at_antidumping=outlook.win_probability_at_antidumping,
        url=notice.url or "",
    )


# --- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRow:
    deadline: datetime
    days_left: int
    hours_left: int
    """Hours beyond the whole days: 2 days 5 hours is days_left=2, hours_left=5."""
    status: str
    profiles: str
    taken_by: str
    reg_number: str
    law: str
    title: str
    customer: str
    nmck: Decimal | None
    url: str


def deadlines_report(session: Session, *, days: int = 7, now: datetime | None = None) -> list[DeadlineRow]:
    """Matched or taken tenders whose submission closes within ``days`` from ``now``, soonest first.

    Tenders everyone skipped (and nobody took) are left out: they are decided. Matches count only
    for active profiles.
    """
    now = _now(now)
    if days <= 0:
        raise ReportError(f"--days must be a positive number of days, got {days}")
    window = (NOTICES.c.submission_deadline > now) & (NOTICES.c.submission_deadline <= now + days * DAY)
    notices = {n.id: n for n in session.exec(select(NoticeRow).where(window)) if n.id is not None}
    profiles = _matched_profiles(session, list(notices))
    decisions = _decisions(session, notices)
    rows = []
    for notice_id, notice in notices.items():
        decided = decisions.get(notice_id, [])
        status = status_of(decided)
        if status == "skipped" or (status == "new" and notice_id not in profiles):
            continue
        rows.append(_deadline_row(notice, status, profiles.get(notice_id, []), decided, now))
    return sorted(rows, key=lambda r: (r.deadline, r.reg_number))


def _matched_profiles(session: Session, notice_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _by_chunks(sorted(notice_ids)):
        query = (
            select(MATCHES.c.notice_id, PROFILES.c.name)
            .join(ProfileRow, PROFILES.c.id == MATCHES.c.profile_id)
            .where(
                MATCHES.c.notice_id.in_(chunk),
                MATCHES.c.matched == sa.true(),
                PROFILES.c.active == sa.true(),
            )
            .order_by(PROFILES.c.name)
        )
        for notice_id, name in session.exec(query):
            found[notice_id].append(name)
    return found


def _deadline_row(
    notice: NoticeRow, status: str, profiles: list[str], decided: Sequence[DecisionRow], now: datetime
) -> DeadlineRow:
    assert notice.submission_deadline is not None
    left = notice.submission_deadline - now
    return DeadlineRow(
        deadline=notice.submission_deadline,
        days_left=left // DAY,
        hours_left=(left % DAY) // HOUR,
        status=status,
        profiles=", ".join(profiles),
        taken_by=_takers(decided),
        reg_number=notice.reg_number,
        law=notice.law,
        title=notice.title,
        customer=notice.customer_name or "",
        nmck=notice.nmck,
        url=notice.url or "",
    )


# --- crawls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlRunRow:
    source: str
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: int | None
    outcome: str
    requests: int
    pages: int
    notices_new: int
    notices_changed: int
    errors: int
    error_rate: float | None
    """Errors per request (may exceed 1: one request can fail several ways); None without requests."""
    reason: str


def crawls_report(
    session: Session, *, last: int = 10, source: str | None = None, known_sources: Collection[str] = ()
) -> list[CrawlRunRow]:
    """The last ``last`` runs of every source (or of ``source``), by source, newest run first.

    ``source`` must be one of ``known_sources`` (the crawler's, passed in by the caller: bidder
    does not import crawler) or have stored runs, so a typo is an error, not an empty report.
    """
    if last <= 0:
        raise ReportError(f"--last must be a positive number of runs, got {last}")
    table = CRAWL_RUNS
    if source is not None:
        _check_source(session, source, known_sources)
    rank = sa.func.row_number().over(partition_by=table.c.source, order_by=table.c.started_at.desc())
    ranked = sa.select(table.c.id, rank.label("rank"))
    if source is not None:
        ranked = ranked.where(table.c.source == source)
    ranked_q = ranked.subquery()
    query = (
        select(CrawlRun)
        .join(ranked_q, ranked_q.c.id == CRAWL_RUNS.c.id)
        .where(ranked_q.c.rank <= last)
        .order_by(CRAWL_RUNS.c.source, CRAWL_RUNS.c.started_at.desc(), CRAWL_RUNS.c.id.desc())
    )
    return [_crawl_row(run) for run in session.exec(query)]


def _check_source(session: Session, source: str, known_sources: Collection[str]) -> None:
    stored = session.exec(select(CRAWL_RUNS.c.source).distinct())
    known = sorted({*known_sources, *stored})
    if source not in known:
        raise ReportError(f"--source {source!r} is not a crawl source (known: {', '.join(known) or 'none'})")


def _crawl_row(run: CrawlRun) -> CrawlRunRow:
    duration = run.finished_at - run.started_at if run.finished_at else None
    return CrawlRunRow(
        source=run.source,
        run_id=run.id or 0,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=int(duration.total_seconds()) if duration is not None else None,
        outcome=run.outcome,
        requests=run.requests,
        pages=run.pages,
        notices_new=run.notices_new,
        notices_changed=run.notices_changed,
        errors=run.errors,
        error_rate=run.errors / run.requests if run.requests else None,
        reason=run.reason or "",
    )


# --- market -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketRow:
    """One group of the market report: the whole selection, one method, or one ISO week."""

    dimension: str
    """"total", "method" or "week"."""
    group: str
    """"all", the procurement kind, or the ISO week ("2026-W03")."""
    week_start: date | None
    notices: int
    priced: int
    """Notices with an NMCK (the total and median are over these)."""
    total_nmck: Decimal
    median_nmck: Decimal | None


def market_report(
    session: Session,
    *,
    okpd2: str | None = None,
    region: str | None = None,
    period: Period | None = None,
    now: datetime | None = None,
) -> list[MarketRow]:
    """Count, total and median NMCK of published notices, overall, by method and by ISO week.

    ``okpd2`` is a prefix on the classifier hierarchy (a notice is in when any of its codes is);
    ``region`` is a code or name (customer or delivery region); ``period`` filters on
    publication. Cancelled notices are left out: their prices never met the market. Weeks with
    no notices between the first and the last are listed with zeros so a trend has no gaps.
    """
    _now(now)
    period = period or Period()
    prefix = okpd2_prefix(okpd2) if okpd2 is not None else None
    code = region_code(region) if region is not None else None
    query = select(NoticeRow)
    if period.start is not None:
        query = query.where(NOTICES.c.published_at >= period.start)
    if period.end is not None:
        query = query.where(NOTICES.c.published_at < period.end)
    chosen = [
        n
        for n in session.exec(query)
        if not _cancelled(n)
        and (code is None or in_region(n, code))
        and (prefix is None or any(is_within(c, prefix) for c in n.okpd2 or []))
    ]
    rows = [_market_row("total", "all", None, chosen)]
    by_kind: dict[str, list[NoticeRow]] = defaultdict(list)
    for n in chosen:
        by_kind[n.kind].append(n)
    rows += [_market_row("method", kind, None, by_kind[kind]) for kind in sorted(by_kind)]
    rows += _weekly(chosen)
    return rows


def _cancelled(row: NoticeRow) -> bool:
    """Same test as ``Notice.cancelled``, on the row (no model validation for every notice)."""
    return "отмен" in (row.status or "").lower()


def _market_row(dimension: str, group: str, week_start: date | None, notices: list[NoticeRow]) -> MarketRow:
    prices = [n.nmck for n in notices if n.nmck is not None]
    return MarketRow(
        dimension=dimension,
        group=group,
        week_start=week_start,
        notices=len(notices),
        priced=len(prices),
        total_nmck=sum(prices, Decimal("0.00")),
        median_nmck=to_kopeck(statistics.median(prices)) if prices else None,
    )


def iso_week(day: date) -> tuple[str, date]:
    """("2026-W03", Monday of that week) for a day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=day.weekday())


def _weekly(notices: list[NoticeRow]) -> list[MarketRow]:
    weeks: dict[date, list[NoticeRow]] = defaultdict(list)
    for n in notices:
        if n.published_at is not None:
            weeks[iso_week(moscow_date(n.published_at))[1]].append(n)
    if not weeks:
        return []
    rows = []
    monday, last = min(weeks), max(weeks)
    while monday <= last:
        rows.append(_market_row("week", iso_week(monday)[0], monday, weeks.get(monday, [])))
        monday += timedelta(days=7)
    return rows


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeExportRow:
    reg_number: str
    law: str
    kind: str
    method: str
    title: str
    status: str
    customer: str
    customer_inn: str
    region: str
    region_name: str
    delivery_regions: str
    nmck: Decimal | None
    currency: str
    okpd2: str
    published_at: datetime | None
    deadline: datetime | None
    auction_date: date | None
    bid_security: Decimal | None
    contract_security: Decimal | None
    smp_only: bool
    url: str


def notices_export(session: Session, *, period: Period) -> list[NoticeExportRow]:
    """Notices published in ``period``, oldest first: the flat sheet Excel users filter themselves."""
    query = select(NoticeRow).order_by(NOTICES.c.published_at, NOTICES.c.id)
    if period.start is not None:
        query = query.where(NOTICES.c.published_at >= period.start)
    if period.end is not None:
        query = query.where(NOTICES.c.published_at < period.end)
    return [_export_row(n) for n in session.exec(query)]


def _export_row(n: NoticeRow) -> NoticeExportRow:
    region = n.customer_region or ""
    return NoticeExportRow(
        reg_number=n.reg_number,
        law=n.law,
        kind=n.kind,
        method=n.method or "",
        title=n.title,
        status=n.status or "",
        customer=n.customer_name or "",
        customer_inn=n.customer_inn or "",
        region=region,
        region_name=(region_name(region) or "") if region else "",
        delivery_regions=", ".join(n.delivery_regions or []),
        nmck=n.nmck,
        currency=n.currency or "",
        okpd2=", ".join(n.okpd2 or []),
        published_at=n.published_at,
        deadline=n.submission_deadline,
        auction_date=n.auction_date,
        bid_security=n.bid_security,
        contract_security=n.contract_security,
        smp_only=n.smp_only,
        url=n.url or "",
    )
