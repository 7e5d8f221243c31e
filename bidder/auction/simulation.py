"""``simulate(params) -> SimulationResult``: the one call the CLI and the bot make.

Our floor is cost x (1 + minimum margin) (rounded up to the kopeck) or given directly; with a
direct floor the floor itself is the break-even used for profit. Expected profit counts the fee of
the bank guarantee for the extra anti-dumping security (Art. 37) whenever the winning price
triggers it, so the recommended walk-away price weighs a deeper price against that cost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

import numpy as np

from bidder.auction.ladder import Ladder
from bidder.auction.ladder import build_ladder
from bidder.auction.money import HUNDRED
from bidder.auction.money import as_decimal
from bidder.auction.money import exact_mean
from bidder.auction.money import fmt
from bidder.auction.money import from_kopecks
from bidder.auction.money import money
from bidder.auction.money import round_up
from bidder.auction.money import to_kopecks
from bidder.auction.montecarlo import CompetitorModel
from bidder.auction.montecarlo import CompetitorPrior
from bidder.auction.montecarlo import Outcomes
from bidder.auction.montecarlo import Strategy
from bidder.auction.montecarlo import run_auctions
from bidder.auction.rules import TIMER
from bidder.auction.rules import AuctionRules
from bidder.auction.securities import BidSecurity
from bidder.auction.securities import ContractSecurity
from bidder.auction.securities import SecurityTerms
from bidder.auction.securities import antidumping_threshold
from bidder.auction.securities import bid_security
from bidder.auction.securities import contract_security
from bidder.auction.securities import extra_guarantee_cost_kopecks
from bidder.errors import InvalidInput
from bidder.errors import NoAuctionHeld
from data.notice import Kind
from data.notice import Law
from data.notice import Notice

log = logging.getLogger(__name__)

MAX_RUNS = 2_000_000
CURVE_POINTS = 25


@dataclass(frozen=True)
class SimulationParams:
    """Everything a simulation needs; ``from_notice`` fills NMCK, law, kind, securities and the
    OKPD2 code and customer region a calibrated competitor model is chosen by."""

    nmck: Decimal
    law: Law = "44-FZ"
    kind: Kind = "auction"
    cost: Decimal | None = None
    margin_percent: Decimal = Decimal("0")
    floor: Decimal | None = None
    step_percent: Decimal = Decimal("0.5")
    competitors: CompetitorModel = field(default_factory=CompetitorModel)
    runs: int = 100_000
    seed: int | None = None
    securities: SecurityTerms = field(default_factory=SecurityTerms)
    rules: AuctionRules | None = None
    reg_number: str | None = None
    curve_points: int = CURVE_POINTS
    okpd2: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "nmck", money(self.nmck, "NMCK", positive=True))
        if self.seed is not None and self.seed < 0:
            raise InvalidInput(f"seed must be a non-negative integer, got {self.seed}")
        if self.law not in ("44-FZ", "223-FZ"):
            raise InvalidInput(f"law must be 44-FZ or 223-FZ, got {self.law!r}")
        if not 2 <= self.curve_points <= 200:
            raise InvalidInput(f"curve points must be between 2 and 200, got {self.curve_points}")

    @classmethod
    def from_notice(cls, notice: Notice, **overrides: Any) -> SimulationParams:
        """Parameters of a stored notice; ``overrides`` are the caller's (cost, floor, step, ...)."""
        if notice.nmck is None:
            raise InvalidInput(f"notice {notice.reg_number} has no NMCK: nothing to simulate")
        terms = SecurityTerms(
            contract_percent=notice.contract_security_percent,
            contract_amount=notice.contract_security,
            bid_percent=notice.bid_security_percent,
            bid_amount=notice.bid_security,
            smp_only=notice.smp_only,
        )
        values: dict[str, Any] = {
            "nmck": notice.nmck,
            "law": notice.law,
            "kind": notice.kind,
            "securities": terms,
            "reg_number": notice.reg_number,
            "okpd2": first_okpd2(notice),
            "region": notice.customer_region,
        }
        values.update(overrides)
        return cls(**values)

    def auction_rules(self) -> AuctionRules:
        if self.rules is not None:
            return self.rules
        if self.law == "223-FZ":
            # No Положение at hand: the ETP regulation's defaults (reference §5), stated explicitly.
            return AuctionRules.for_223fz(
                self.nmck,
                step_min_percent=Decimal("0.5"),
                step_max_percent=Decimal("5"),
                timer=TIMER,
                right_to_conclude_percent=Decimal("0.5"),
            )
        return AuctionRules.for_44fz(self.nmck)

    def resolved_floor(self) -> tuple[Decimal, Decimal]:
        """(floor, break-even cost), validated against NMCK."""
        if (self.cost is None) == (self.floor is None):
            raise InvalidInput(
                "give either a cost (with an optional margin) or a floor price, not both or neither"
            )
        if self.cost is not None:
            cost = money(self.cost, "cost", non_negative=True)
            margin = as_decimal(self.margin_percent, "margin")
            if margin < 0:
                raise InvalidInput(f"margin must not be negative, got {margin}%")
            exact = cost * (1 + margin / HUNDRED)
            if exact > self.nmck:  # before rounding: a huge margin would not fit the kopeck quantum
                raise InvalidInput(
                    f"cost {cost} plus margin {margin}% is above NMCK {self.nmck}: "
                    "this auction cannot be won at a profit"
                )
            floor = round_up(exact)
        else:
            if as_decimal(self.margin_percent, "margin") != 0:
                raise InvalidInput(
                    "a margin applies to a cost; with a floor price given directly it would be ignored"
                )
            floor = money(self.floor, "floor", non_negative=True)
            cost = floor
        if floor <= 0:
            raise InvalidInput(f"floor must be positive, got {floor} (cost {cost})")
        if floor > self.nmck:
            raise InvalidInput(
                f"floor {floor} is above NMCK {self.nmck}: this auction cannot be won at a profit"
            )
        return floor, cost


@dataclass(frozen=True)
class CurvePoint:
    walk_away: Decimal
    win_probability: float
    expected_profit: Decimal


@dataclass(frozen=True)
class SimulationResult:
    reg_number: str | None
    nmck: Decimal
    law: Law
    kind: Kind
    cost: Decimal
    floor: Decimal
    step_percent: Decimal
    ladder: Ladder
    antidumping_threshold: Decimal | None
    at_floor: ContractSecurity
    bid_security: BidSecurity
    competitors: CompetitorModel
    runs: int
    seed: int | None
    win_probability: float
    expected_price: Decimal | None
    expected_profit: Decimal
    antidumping_probability: float
    expected_market_price: Decimal | None
    recommended_walk_away: Decimal
    recommended_win_probability: float
    recommended_expected_profit: Decimal
    curve: tuple[CurvePoint, ...]
    prior: CompetitorPrior
    securities: SecurityTerms
    notes: tuple[str, ...]

    @property
    def step(self) -> Decimal:
        return self.ladder.step

    @property
    def steps_to_floor(self) -> int:
        return self.ladder.steps_to_floor

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; money as strings to the kopeck, probabilities as floats."""
        sec = self.at_floor
        return {
            "reg_number": self.reg_number,
            "law": self.law,
            "kind": self.kind,
            "nmck": fmt(self.nmck),
            "cost": fmt(self.cost),
            "floor": fmt(self.floor),
            "step": fmt(self.step),
            "step_percent": str(self.step_percent),
            "steps_to_floor": self.steps_to_floor,
            "ladder_duration_minutes": int(self.ladder.duration.total_seconds() // 60),
            "antidumping_step": self.ladder.antidumping_step,
            "right_to_conclude_step": self.ladder.right_to_conclude_step,
            "ladder": [
                {
                    "step": s.index,
                    "price": fmt(s.price),
                    "reduction_percent": str(s.reduction_percent),
                    "elapsed_minutes": int(s.elapsed.total_seconds() // 60),
                    "antidumping": s.antidumping,
                }
                for s in self.ladder.steps
            ],
            "antidumping_threshold": fmt(self.antidumping_threshold),
            "antidumping_applies": sec.antidumping,
            "antidumping_good_faith_alternative": sec.good_faith_alternative,
            "antidumping_probability": round(self.antidumping_probability, 6),
            "contract_security": fmt(sec.required),
            "contract_security_base": fmt(sec.base),
            "extra_security": fmt(sec.extra),
            "extra_security_guarantee_cost": fmt(sec.extra_guarantee_cost),
            "contract_security_guarantee_cost": fmt(sec.guarantee_cost),
            "contract_security_percent": _text(self.securities.contract_percent),
            "guarantee_rate_percent": str(self.securities.guarantee_rate_percent),
            "guarantee_days": self.securities.guarantee_days,
            "smp_exempt": self.securities.smp_exempt,
            "good_faith_proof": self.securities.good_faith_proof,
            "bid_security": fmt(self.bid_security.amount),
            "bid_security_required": self.bid_security.required,
            "bid_security_band": [fmt(self.bid_security.band_min), fmt(self.bid_security.band_max)],
            "competitors": self.competitors.count,
            "strategy": self.competitors.strategy,
            "runs": self.runs,
            "seed": self.seed,
            "win_probability": round(self.win_probability, 6),
            "expected_price": fmt(self.expected_price),
            "expected_market_price": fmt(self.expected_market_price),
            "expected_profit": fmt(self.expected_profit),
            "recommended_walk_away": fmt(self.recommended_walk_away),
            "recommended_win_probability": round(self.recommended_win_probability, 6),
            "recommended_expected_profit": fmt(self.recommended_expected_profit),
            "win_curve": [
                {
                    "walk_away": fmt(p.walk_away),
                    "win_probability": round(p.win_probability, 6),
                    "expected_profit": fmt(p.expected_profit),
                }
                for p in self.curve
            ],
            "prior": self.prior.source,
            "notes": list(self.notes),
        }


def simulate(params: SimulationParams) -> SimulationResult:
    """Ladder, securities and Monte Carlo for our floor, plus the walk-away that maximises profit."""
    if params.kind != "auction":
        raise NoAuctionHeld(
            f"{params.reg_number or 'this purchase'} is a {params.kind.replace('_', ' ')}: "
            "no price bidding is held, so there is no auction to simulate"
        )
    if not 1 <= params.runs <= MAX_RUNS:
        raise InvalidInput(f"runs must be between 1 and {MAX_RUNS}, got {params.runs}")
    rules = params.auction_rules()
    floor, cost = params.resolved_floor()
    threshold = rules.right_to_conclude_threshold
    if threshold is not None and floor <= threshold:
        raise InvalidInput(
            f"floor {floor} is at or below 0.5% of NMCK ({threshold}): there the auction turns into bidding "
            "for the right to conclude the contract, which this simulator does not model"
        )
    ladder = build_ladder(rules, floor, params.step_percent)
    competitors = params.competitors
    prior = competitors.prior
    rng = np.random.default_rng(params.seed)
    model = _Model(rules, params, competitors, to_kopecks(ladder.step), to_kopecks(cost))
    main = model.play(np.full(params.runs, to_kopecks(floor), dtype=np.int64), rng)
    curve = model.curve(floor, rng)
    best = max(curve, key=lambda p: (p.expected_profit, p.walk_away))
    win = main.we_win
    headline = CurvePoint(floor, float(win.mean()), model.expected_profit(main))
    if best.walk_away == floor:
        # The curve's floor point is a separate, smaller sample; one price gets one set of figures.
        best = headline
    log.info(
        "simulated %d auctions in %d rounds: win %.3f", params.runs, main.rounds, headline.win_probability
    )
    return SimulationResult(
        reg_number=params.reg_number,
        nmck=params.nmck,
        law=params.law,
        kind=params.kind,
        cost=cost,
        floor=floor,
        step_percent=params.step_percent,
        ladder=ladder,
        antidumping_threshold=antidumping_threshold(params.nmck) if params.law == "44-FZ" else None,
        at_floor=contract_security(params.nmck, floor, params.securities, law=params.law, kind=params.kind),
        bid_security=bid_security(params.nmck, params.securities),
        competitors=competitors,
        runs=params.runs,
        seed=params.seed,
        win_probability=headline.win_probability,
        expected_price=exact_mean(main.final[win]),
        expected_profit=headline.expected_profit,
        antidumping_probability=float((win & (main.final * 4 <= to_kopecks(params.nmck) * 3)).mean())
        if params.law == "44-FZ"
        else 0.0,
        expected_market_price=exact_mean(main.final[main.winner >= 0]),
        recommended_walk_away=best.walk_away,
        recommended_win_probability=best.win_probability,
        recommended_expected_profit=best.expected_profit,
        curve=tuple(curve),
        prior=prior,
        securities=params.securities,
        notes=_notes(params, rules, model.runs_per_point(len(curve))),
    )


@dataclass
class _Model:
    rules: AuctionRules
    params: SimulationParams
    competitors: CompetitorModel
    our_step: int
    cost: int

    def play(self, our_walk: np.ndarray, rng: np.random.Generator, *, repeat: int = 1) -> Outcomes:
        """Play ``our_walk.size`` auctions; ``repeat`` > 1 reuses each competitor draw for that many
        consecutive blocks of ``our_walk`` (common random numbers: the blocks differ only in us)."""
        runs = our_walk.size
        nmck = to_kopecks(self.rules.nmck)
        if self.competitors.count == 0:
            # A single application: no bidding, the contract at NMCK (Art. 52 with Art. 93).
            everyone_us = np.zeros(runs, np.int64)
            return Outcomes(final=np.full(runs, nmck, dtype=np.int64), winner=everyone_us, rounds=0)
        draws = runs // repeat
        walks = self.competitors.prior.sample_kopecks(rng, nmck, (draws, self.competitors.count))
        strategies = self.competitors.draw_strategies(rng, draws)
        if repeat > 1:
            walks, strategies = np.tile(walks, (repeat, 1)), np.tile(strategies, (repeat, 1))
        return run_auctions(
            self.rules,
            our_walk,
            self.our_step,
            walks,
            strategies,
            rng,
            sniper_miss_probability=self.competitors.sniper_miss_probability,
        )

    def profit_kopecks(self, outcomes: Outcomes) -> np.ndarray:
        prices = outcomes.final
        guarantee = extra_guarantee_cost_kopecks(
            prices, self.rules.nmck, self.params.securities, law=self.params.law, kind=self.params.kind
        )
        return np.where(outcomes.we_win, prices - self.cost - guarantee, 0)

    def expected_profit(self, outcomes: Outcomes) -> Decimal:
        return exact_mean(self.profit_kopecks(outcomes)) or Decimal("0.00")

    def curve(self, floor: Decimal, rng: np.random.Generator) -> list[CurvePoint]:
        """Win probability and expected profit for walk-aways from the floor up to NMCK.

        All candidates are played in one batch of about ``runs`` auctions (at least 2,000 each),
        against the same competitor draws, so the curve compares walk-aways, not samples.
        """
        candidates = self._candidates(floor)
        per = self.runs_per_point(len(candidates))
        walks = np.repeat(np.array(candidates, dtype=np.int64), per)
        outcomes = self.play(walks, rng, repeat=len(candidates))
        profit = self.profit_kopecks(outcomes).reshape(len(candidates), per)
        wins = outcomes.we_win.reshape(len(candidates), per)
        return [
            CurvePoint(from_kopecks(c), float(wins[i].mean()), exact_mean(profit[i]) or Decimal("0.00"))
            for i, c in enumerate(candidates)
        ]

    def runs_per_point(self, points: int) -> int:
        return max(2_000, self.params.runs // points)

    def _candidates(self, floor: Decimal) -> list[int]:
        low = to_kopecks(floor)
        high = max(low, to_kopecks(self.rules.nmck - self.rules.step_min))
        grid = set(np.linspace(low, high, self.params.curve_points).astype(np.int64).tolist())
        if self.params.law == "44-FZ":
            above_threshold = to_kopecks(antidumping_threshold(self.rules.nmck)) + 1
            if low < above_threshold <= high:
                grid.add(above_threshold)
        return sorted(grid)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def first_okpd2(notice: Notice) -> str | None:
    """The code a market segment is chosen by: the notice's first OKPD2, else its first position's."""
    codes = [*notice.okpd2, *(item.okpd2 for item in notice.items)]
    return next((code for code in codes if code), None)


def _notes(params: SimulationParams, rules: AuctionRules, per_point: int) -> tuple[str, ...]:
    notes: list[str] = []
    if params.competitors.count == 0:
        notes.append("no competitors: a single application gets the contract at NMCK without bidding")
    if params.floor is not None:
        notes.append("floor given directly: profit is measured over the floor as break-even")
    if params.law == "223-FZ" and params.rules is None:
        notes.append("223-FZ: customer's step band and timer unknown; ETP defaults 0.5-5% and 10 min assumed")
    if params.law != "44-FZ":
        notes.append(
            "Art. 37 anti-dumping is a 44-FZ rule; 223-FZ measures depend on the customer's Положение"
        )
    if not params.securities.contract_known:
        notes.append(
            "contract security not given: extra anti-dumping security and its guarantee cost unknown"
        )
    notes.append(
        f"bank guarantee fee assumed {params.securities.guarantee_rate_percent}% a year "
        f"for {params.securities.guarantee_days} days"
    )
    notes.append(
        f"win curve: {per_point} auctions per walk-away price on common competitor draws, "
        "a separate sample from the headline figures at the floor"
    )
    if rules.no_offers_policy == "review_at_nmck":
        notes.append(
            "no offers at all: applications reviewed at NMCK, first filed wins (unconfirmed for 2022+)"
        )
    return tuple(notes)


__all__ = ["CurvePoint", "SimulationParams", "SimulationResult", "Strategy", "first_okpd2", "simulate"]
