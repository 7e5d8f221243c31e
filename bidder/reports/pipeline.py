"""The pipeline report: taken tenders by person, with deadlines, the bid outline (anti-dumping line,
securities) and a seeded Monte Carlo outlook of the auction."""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import numpy as np
from sqlmodel import Session

from bidder.auction import CompetitorModel
from bidder.auction import SimulationParams
from bidder.auction import antidumping_applies
from bidder.auction import antidumping_threshold
from bidder.auction import bid_security
from bidder.auction import build_ladder
from bidder.auction import contract_security
from bidder.auction import run_auctions
from bidder.auction.money import exact_mean
from bidder.auction.money import to_kopecks
from bidder.errors import BidderError
from bidder.market import competitors_for
from bidder.reports.common import ReportError
from bidder.reports.common import _now
from bidder.reports.common import notice_columns
from bidder.reports.common import person_of
from data.models import DecisionRow
from data.models import NoticeRow
from data.notice import Notice
from data.notice import days_left
from data.notice import moscow_date
from data.store import notice_from_row
from data.store import reports as reads

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


def auction_outlook(
    notice: Notice,
    *,
    runs: int = OUTLOOK_RUNS,
    seed: int = OUTLOOK_SEED,
    competitors: CompetitorModel | None = None,
) -> AuctionOutlook:
    """The outlook of an auction notice (against ``competitors``, default the assumption model);
    empty for other methods or without a usable NMCK."""
    try:
        params = SimulationParams.from_notice(notice, **({"competitors": competitors} if competitors else {}))
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
    ``include_closed`` shows the rest too. ``person`` is a Telegram id, or a name, a part of it or
    an @username (case-insensitive); when it names nobody who took a tender, the error lists them.
    """
    now = _now(now)
    first: dict[tuple[int, int], tuple[DecisionRow, NoticeRow]] = {}
    takers: dict[int, str] = {}
    for decision, notice in reads.takes(session):
        takers.setdefault(decision.user_id, person_of(decision))
        if person is None or _is_person(decision, person):
            first.setdefault((decision.user_id, notice.id or 0), (decision, notice))
    if person is not None and not first and takers:
        known = ", ".join(sorted(takers.values(), key=str.casefold))
        raise ReportError(f"--person {person!r} names nobody who took a tender; those who did: {known}")
    rows = [
        _pipeline_row(session, decision, notice, now)
        for decision, notice in first.values()
        if include_closed or _still_open(notice, now)
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.person.casefold(), r.deadline or far, r.reg_number))


def _is_person(decision: DecisionRow, person: str) -> bool:
    """An id exactly, or any part of the stored name («Иван Петров (@ivan)»: «петров», «@ivan»)."""
    wanted = person.strip().casefold()
    name = (decision.user_name or "").casefold()
    return bool(wanted) and (wanted == str(decision.user_id) or wanted in name)


def _still_open(notice: NoticeRow, now: datetime) -> bool:
    deadline, auction = notice.submission_deadline, notice.auction_date
    if deadline is None and auction is None:
        return True
    return (deadline is not None and deadline >= now) or (auction is not None and auction >= moscow_date(now))


def _pipeline_row(session: Session, decision: DecisionRow, notice: NoticeRow, now: datetime) -> PipelineRow:
    stored = notice_from_row(notice)
    outline = bid_outline(stored)
    outlook = auction_outlook(stored, competitors=competitors_for(session, stored))
    deadline, auction = notice.submission_deadline, notice.auction_date
    return PipelineRow(
        person=person_of(decision),
        taken_at=decision.decided_at,
        **notice_columns(notice),
        kind=notice.kind,
        # What to prepare by the deadline: the securities, and how low the bid may go before
        # anti-dumping raises the contract security.
        deadline=deadline,
        days_left=days_left(deadline, now) if deadline else None,
        bid_security=outline.bid_security,
        contract_security=outline.contract_security,
        contract_security_antidumping=outline.contract_security_antidumping,
        antidumping_threshold=outline.antidumping_threshold,
        steps_to_antidumping=outline.steps_to_antidumping,
        # The auction day and what the market says about it.
        auction_date=auction,
        days_to_auction=(auction - moscow_date(now)).days if auction else None,
        market_price=outlook.market_price,
        win_probability_at_antidumping=outlook.win_probability_at_antidumping,
    )
