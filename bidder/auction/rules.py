"""The rules of the 44-FZ electronic auction (Art. 49, since 2022) and a validator for every offer.

Source: ../shared/reference/procurement-law-and-market.md §1.3-1.4 and §11 A. Rules the reference
marks unconfirmed ([V]) are fields of ``AuctionRules`` with documented defaults, not hard-coded:

* ``reset_on_any_offer`` (default False): the 10-minute timer restarts on a new *best* price only;
* ``post_close_window`` (default 10 min): after the close, non-leaders may still file ranking
  offers not below the last minimum (old Art. 68 ч.12; it never changes the winning price);
* ``no_offers_policy`` (default ``"review_at_nmck"``): with no offer in the first timer period the
  applications are reviewed as filed at NMCK (the 2022+ working assumption); ``"failed"`` is the
  pre-2022 consequence (the auction is declared failed).

When the price reaches 0.5% of NMCK or less the auction becomes bidding *upward* for the right to
conclude the contract: offers are then amounts the bidder pays the customer. Convention used here
(the law names the switch, not the starting point): upward bidding starts from a payment of 0,00
with the bidder who triggered the switch as the leader; the same step band applies to payments, up
to the 100 mln RUB cap and the bidder's approved maximum deal.

223-FZ auctions use the same engine with the customer's step band and timer, given explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from typing import Literal

from bidder.auction.money import KOPECK
from bidder.auction.money import as_decimal
from bidder.auction.money import fmt
from bidder.auction.money import money
from bidder.auction.money import percent_of
from bidder.errors import BidderError
from bidder.errors import InvalidInput
from data.notice import Law

Mode = Literal["descending", "right_to_conclude"]
NoOffersPolicy = Literal["review_at_nmck", "failed"]

RIGHT_TO_CONCLUDE_CAP = Decimal("100000000.00")
"""Upward bidding for the right to conclude stops at 100 mln RUB (old Art. 68 ч.23, Art. 49)."""


TIMER = timedelta(minutes=10)
"""The 44-FZ auction timer (Art. 49 ч.3 п.5); also what a 223-FZ simulation assumes without a Положение."""


@dataclass(frozen=True)
class AuctionRules:
    """Parameters of one auction. Build it with ``for_44fz`` or ``for_223fz``."""

    nmck: Decimal
    law: Law = "44-FZ"
    step_min_percent: Decimal = Decimal("0.5")
    step_max_percent: Decimal = Decimal("5")
    timer: timedelta = TIMER
    reset_on_any_offer: bool = False
    post_close_window: timedelta | None = timedelta(minutes=10)
    no_offers_policy: NoOffersPolicy = "review_at_nmck"
    right_to_conclude_percent: Decimal | None = Decimal("0.5")
    right_to_conclude_cap: Decimal = RIGHT_TO_CONCLUDE_CAP

    def __post_init__(self) -> None:
        money(self.nmck, "NMCK", positive=True)
        low = as_decimal(self.step_min_percent, "minimum step percent")
        high = as_decimal(self.step_max_percent, "maximum step percent")
        if not (0 < low <= high < 100):
            raise InvalidInput(f"step band {low}%..{high}% of NMCK is impossible (need 0 < min <= max < 100)")
        if self.step_min <= 0:
            raise InvalidInput(f"minimum step {low}% of NMCK {self.nmck} rounds to less than a kopeck")
        if self.timer <= timedelta(0):
            raise InvalidInput(f"timer must be positive, got {self.timer}")
        if self.post_close_window is not None and self.post_close_window < timedelta(0):
            raise InvalidInput(f"post-close window must not be negative, got {self.post_close_window}")
        if self.no_offers_policy not in ("review_at_nmck", "failed"):
            raise InvalidInput(f"unknown no-offers policy {self.no_offers_policy!r}")

    @classmethod
    def for_44fz(cls, nmck: Decimal, **flags: Any) -> AuctionRules:
        """Art. 49 rules; ``flags`` override only the unconfirmed ([V]) behaviours."""
        allowed = {"reset_on_any_offer", "post_close_window", "no_offers_policy"}
        unknown = set(flags) - allowed
        if unknown:
            raise InvalidInput(f"44-FZ step band and timer are set by law; cannot override {sorted(unknown)}")
        return replace(cls(nmck=nmck, law="44-FZ"), **flags)

    @classmethod
    def for_223fz(
        cls,
        nmck: Decimal,
        *,
        step_min_percent: Decimal,
        step_max_percent: Decimal,
        timer: timedelta,
        post_close_window: timedelta | None = None,
        right_to_conclude_percent: Decimal | None = None,
    ) -> AuctionRules:
        """The customer's Положение о закупке sets the band and the timer: they have no default here."""
        return cls(
            nmck=nmck,
            law="223-FZ",
            step_min_percent=step_min_percent,
            step_max_percent=step_max_percent,
            timer=timer,
            post_close_window=post_close_window,
            right_to_conclude_percent=right_to_conclude_percent,
        )

    @property
    def step_min(self) -> Decimal:
        return percent_of(self.nmck, self.step_min_percent)

    @property
    def step_max(self) -> Decimal:
        return percent_of(self.nmck, self.step_max_percent)

    @property
    def right_to_conclude_threshold(self) -> Decimal | None:
        """A best price at or below this switches the auction to upward bidding (None: never)."""
        if self.right_to_conclude_percent is None:
            return None
        return percent_of(self.nmck, self.right_to_conclude_percent)

    def step_amount(self, step_percent: Decimal) -> Decimal:
        """The kopeck amount of a step given in percent of NMCK, refused outside the band."""
        pct = as_decimal(step_percent, "step percent")
        if not (self.step_min_percent <= pct <= self.step_max_percent):
            raise InvalidInput(
                f"step {pct}% is outside the allowed band "
                f"{self.step_min_percent}%..{self.step_max_percent}% of NMCK"
            )
        return percent_of(self.nmck, pct)


class Refusal(StrEnum):
    NOT_KOPECKS = "not_kopecks"
    NON_POSITIVE = "non_positive"
    NOT_STARTED = "not_started"
    OUT_OF_ORDER = "out_of_order"
    CLOSED = "closed"
    OWN_PREVIOUS = "own_previous"
    LEADER_SELF = "leader_self"
    STEP_TOO_SMALL = "step_too_small"
    STEP_TOO_LARGE = "step_too_large"
    POST_CLOSE_IMPROVEMENT = "post_close_improvement"
    ABOVE_CAP = "above_cap"
    ABOVE_MAX_DEAL = "above_max_deal"


_MESSAGES: dict[Refusal, tuple[str, str]] = {
    Refusal.NOT_KOPECKS: (
        "{amount} has fractions of a kopeck",
        "{amount}: сумма должна быть в рублях с копейками, без долей копейки",
    ),
    Refusal.NON_POSITIVE: ("{amount} must be positive", "{amount}: предложение должно быть больше нуля"),
    Refusal.NOT_STARTED: (
        "the price procedure starts at {start}",
        "процедура подачи предложений начинается в {start}",
    ),
    Refusal.OUT_OF_ORDER: (
        "an offer at {at} is earlier than the last offer at {last}",
        "предложение в {at} раньше последнего предложения в {last}",
    ),
    Refusal.CLOSED: (
        "the price procedure closed at {deadline}",
        "процедура подачи предложений завершилась в {deadline}",
    ),
    Refusal.OWN_PREVIOUS: (
        "{amount} must be {better} than this bidder's previous offer {own}",
        "{amount}: предложение должно быть {better_ru} собственного предыдущего предложения {own}",
    ),
    Refusal.LEADER_SELF: (
        "the leader cannot improve on its own leading offer {best}",
        "лидер не может улучшать собственное лучшее предложение {best}",
    ),
    Refusal.STEP_TOO_SMALL: (
        "{amount} improves on {best} by less than the minimum step {step_min}",
        "{amount}: улучшение {best} меньше минимального шага аукциона {step_min}",
    ),
    Refusal.STEP_TOO_LARGE: (
        "{amount} improves on {best} by more than the maximum step {step_max}",
        "{amount}: улучшение {best} больше максимального шага аукциона {step_max}",
    ),
    Refusal.POST_CLOSE_IMPROVEMENT: (
        "after the close only offers not {better} than the last best {best} are accepted",
        "после завершения принимаются только предложения не {better_ru} последнего лучшего {best}",
    ),
    Refusal.ABOVE_CAP: (
        "{amount} exceeds the right-to-conclude cap {cap}",
        "{amount}: превышен предел торгов за право заключить контракт {cap}",
    ),
    Refusal.ABOVE_MAX_DEAL: (
        "{amount} exceeds this bidder's approved maximum deal {max_deal}",
        "{amount}: превышена максимальная сумма сделки по решению об одобрении {max_deal}",
    ),
}


class OfferRefused(BidderError):
    """An offer broke an auction rule; ``check`` carries the reason code and both messages."""

    def __init__(self, check: OfferCheck) -> None:
        self.check = check
        super().__init__(check.message_en)


@dataclass(frozen=True)
class OfferCheck:
    """The validator's answer: allowed or not, why (a stable code), and the message in both languages."""

    allowed: bool
    kind: Literal["improving", "ranking", "post_close_ranking"] | None = None
    code: Refusal | None = None
    message_en: str = "allowed"
    message_ru: str = "допустимо"

    @classmethod
    def refuse(cls, code: Refusal, **values: object) -> OfferCheck:
        en, ru = _MESSAGES[code]
        return cls(allowed=False, code=code, message_en=en.format(**values), message_ru=ru.format(**values))


@dataclass(frozen=True)
class Offer:
    bidder: str
    amount: Decimal
    at: datetime
    mode: Mode
    kind: str


@dataclass(frozen=True)
class AuctionOutcome:
    """How the auction ended. ``price`` is the contract price; in the right-to-conclude mode it is the
    negative of the winner's payment, the way EIS shows such contracts."""

    winner: str | None
    price: Decimal | None
    mode: Mode
    failed: bool
    ranking: tuple[tuple[str, Decimal], ...]


@dataclass
class AuctionState:
    """One running auction: feed it offers in time order with ``submit`` (or just ask ``check``)."""

    rules: AuctionRules
    started_at: datetime
    mode: Mode = "descending"
    best: Decimal = field(init=False)
    leader: str | None = None
    last_best_at: datetime = field(init=False)
    last_offer_at: datetime = field(init=False)
    offers: list[Offer] = field(default_factory=list)
    _own: dict[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "auction start")
        self.best = self.rules.nmck
        self.last_best_at = self.started_at
        self.last_offer_at = self.started_at

    @property
    def upward(self) -> bool:
        return self.mode == "right_to_conclude"

    @property
    def deadline(self) -> datetime:
        """When the procedure closes unless a new best price (or any offer, by flag) arrives first."""
        anchor = self.last_offer_at if self.rules.reset_on_any_offer else self.last_best_at
        return anchor + self.rules.timer

    def own_previous(self, bidder: str) -> Decimal:
        """The bidder's last offer in the current mode; NMCK (or a 0,00 payment) before its first."""
        return self._own.get(bidder, Decimal("0.00") if self.upward else self.rules.nmck)

    def _gain(self, amount: Decimal) -> Decimal:
        """How much better an amount is for the customer: lower prices, higher payments."""
        return amount if self.upward else -amount

    def check(
        self, bidder: str, amount: Decimal, at: datetime, *, max_deal: Decimal | None = None
    ) -> OfferCheck:
        """Whether ``bidder`` may offer ``amount`` at ``at``; never changes the state."""
        amount = as_decimal(amount, "offer amount")
        _require_aware(at, "offer time")
        values = self._message_values(bidder, amount, at)
        if amount != amount.quantize(KOPECK):
            return OfferCheck.refuse(Refusal.NOT_KOPECKS, **values)
        if amount <= 0:
            return OfferCheck.refuse(Refusal.NON_POSITIVE, **values)
        if at < self.started_at:
            return OfferCheck.refuse(Refusal.NOT_STARTED, **values)
        if at < self.last_offer_at:
            return OfferCheck.refuse(Refusal.OUT_OF_ORDER, **values)
        post_close = at > self.deadline
        if post_close and not self._in_post_close_window(at):
            return OfferCheck.refuse(Refusal.CLOSED, **values)
        if self.upward and amount > self.rules.right_to_conclude_cap:
            return OfferCheck.refuse(Refusal.ABOVE_CAP, **values)
        if max_deal is not None and amount > max_deal:
            return OfferCheck.refuse(Refusal.ABOVE_MAX_DEAL, max_deal=fmt(max_deal), **values)
        gain = self._gain(amount)
        if gain <= self._gain(self.own_previous(bidder)):
            return OfferCheck.refuse(Refusal.OWN_PREVIOUS, **values)
        if gain <= self._gain(self.best):
            return OfferCheck(allowed=True, kind="post_close_ranking" if post_close else "ranking")
        if post_close:
            return OfferCheck.refuse(Refusal.POST_CLOSE_IMPROVEMENT, **values)
        if bidder == self.leader:
            return OfferCheck.refuse(Refusal.LEADER_SELF, **values)
        improvement = gain - self._gain(self.best)
        if improvement < self.rules.step_min:
            return OfferCheck.refuse(Refusal.STEP_TOO_SMALL, **values)
        if improvement > self.rules.step_max:
            return OfferCheck.refuse(Refusal.STEP_TOO_LARGE, **values)
        return OfferCheck(allowed=True, kind="improving")

    def submit(
        self, bidder: str, amount: Decimal, at: datetime, *, max_deal: Decimal | None = None
    ) -> OfferCheck:
        """Validate and record an offer; raise ``OfferRefused`` (with the check) if a rule forbids it."""
        verdict = self.check(bidder, amount, at, max_deal=max_deal)
        if not verdict.allowed:
            raise OfferRefused(verdict)
        amount = amount.quantize(KOPECK)
        self.offers.append(Offer(bidder, amount, at, self.mode, verdict.kind or ""))
        self._own[bidder] = amount
        if verdict.kind != "post_close_ranking":
            self.last_offer_at = at
        if verdict.kind == "improving":
            self.best, self.leader, self.last_best_at = amount, bidder, at
            self._maybe_switch_to_right_to_conclude()
        return verdict

    def _maybe_switch_to_right_to_conclude(self) -> None:
        threshold = self.rules.right_to_conclude_threshold
        if self.upward or threshold is None or self.best > threshold:
            return
        self.mode = "right_to_conclude"
        self.best = Decimal("0.00")
        self._own = {}

    def _in_post_close_window(self, at: datetime) -> bool:
        window = self.rules.post_close_window
        return window is not None and at <= self.deadline + window

    def _message_values(self, bidder: str, amount: Decimal, at: datetime) -> dict[str, object]:
        better, better_ru = ("higher", "больше") if self.upward else ("lower", "ниже")
        return {
            "amount": amount,
            "at": at.isoformat(),
            "last": self.last_offer_at.isoformat(),
            "start": self.started_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "best": fmt(self.best),
            "own": fmt(self.own_previous(bidder)),
            "better": better,
            "better_ru": better_ru,
            "step_min": fmt(self.rules.step_min),
            "step_max": fmt(self.rules.step_max),
            "cap": fmt(self.rules.right_to_conclude_cap),
        }

    def outcome(self) -> AuctionOutcome:
        """Winner and price by the ranking rules: best amount first, the earlier offer on a tie."""
        if not self.offers:
            failed = self.rules.no_offers_policy == "failed"
            return AuctionOutcome(None, None if failed else self.rules.nmck, self.mode, failed, ())
        ranking = self._ranking()
        winner, price = ranking[0]
        return AuctionOutcome(winner, price, self.mode, False, ranking)

    def _ranking(self) -> tuple[tuple[str, Decimal], ...]:
        """Payers (right-to-conclude) by highest payment, then everyone else by lowest price."""
        last: dict[tuple[str, Mode], Offer] = {}
        for offer in self.offers:
            last[(offer.bidder, offer.mode)] = offer
        payers = sorted(
            (o for (_, mode), o in last.items() if mode == "right_to_conclude"),
            key=lambda o: (-o.amount, o.at),
        )
        paid = {o.bidder for o in payers}
        sellers = sorted(
            (o for (b, mode), o in last.items() if mode == "descending" and b not in paid),
            key=lambda o: (o.amount, o.at),
        )
        return tuple([(o.bidder, -o.amount) for o in payers] + [(o.bidder, o.amount) for o in sellers])


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime, got {moment!r}")
