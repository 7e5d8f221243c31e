"""Bid security, contract security and the anti-dumping measures of 44-FZ (Arts. 37, 44, 96).

Source: ../shared/reference/procurement-law-and-market.md §2-3 and §11 B:

* anti-dumping (Art. 37) applies to auctions and competitions only, when the winning price is
  <= 75% of NMCK (a reduction of 25% or more). NMCK > 15 mln RUB: contract security x1.5 (and not
  less than the advance); NMCK <= 15 mln: x1.5 *or* the normal security plus proof of good faith
  (three penalty-free contracts in 3 years, one >= 20% of NMCK);
* contract security is a percentage of NMCK (0.5-30%, set by the customer), of the contract price
  when the procurement is reserved for SMP/SONKO (Art. 96 ч.6), of NMCK again in the
  right-to-conclude mode; an advance above 30% of NMCK makes the security equal to the advance;
  an SMP/SONKO winner with three penalty-free contracts is exempt, Art. 37 included (Art. 96 ч.8.1);
* bid security (Art. 44): none up to 1 mln RUB, 0.5-1% up to 20 mln, 0.5-5% above; at most 2% in
  procurements reserved for SMP/SONKO (Art. 44 ч.15).

The cost of a bank guarantee is ``amount x annual rate x days / 365``; the rate and the term are
the caller's assumptions (defaults: 3% a year for 365 days, a typical fee for a performance
guarantee; a real offer from the bank replaces them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from bidder.auction.money import half_up_div
from bidder.auction.money import money
from bidder.auction.money import percent_of
from bidder.auction.money import percent_of_kopecks
from bidder.auction.money import ratio_parts
from bidder.auction.money import round_down
from bidder.auction.money import round_half_up
from bidder.auction.money import to_kopecks
from bidder.errors import InvalidInput
from data.notice import Kind
from data.notice import Law

ANTIDUMPING_PRICE_RATIO = Decimal("0.75")
ANTIDUMPING_NMCK_LIMIT = Decimal("15000000")
ANTIDUMPING_MULTIPLIER = Decimal("1.5")
ANTIDUMPING_KINDS: frozenset[str] = frozenset({"auction", "competition"})
ADVANCE_SECURITY_PERCENT = Decimal("30")
RIGHT_TO_CONCLUDE_PERCENT = Decimal("0.5")
BID_SECURITY_FREE_UP_TO = Decimal("1000000")
BID_SECURITY_MIDDLE_UP_TO = Decimal("20000000")
BID_SECURITY_SMP_MAX_PERCENT = Decimal("2")
DEFAULT_GUARANTEE_RATE_PERCENT = Decimal("3")
DEFAULT_GUARANTEE_DAYS = 365


@dataclass(frozen=True)
class SecurityTerms:
    """What the notice says about securities, plus the facts about us that change them."""

    contract_percent: Decimal | None = None
    contract_amount: Decimal | None = None
    bid_percent: Decimal | None = None
    bid_amount: Decimal | None = None
    smp_only: bool = False
    smp_exempt: bool = False
    good_faith_proof: bool = False
    advance: Decimal | None = None
    guarantee_rate_percent: Decimal = DEFAULT_GUARANTEE_RATE_PERCENT
    guarantee_days: int = DEFAULT_GUARANTEE_DAYS

    def __post_init__(self) -> None:
        for name in ("contract_amount", "bid_amount", "advance"):
            value = getattr(self, name)
            if value is not None:
                money(value, name.replace("_", " "), non_negative=True)
        for name in ("contract_percent", "bid_percent"):
            value = getattr(self, name)
            if value is not None and not (0 <= value <= 100):
                raise InvalidInput(f"{name.replace('_', ' ')} must be within 0..100, got {value}")
        if self.guarantee_rate_percent < 0:
            raise InvalidInput(
                f"bank guarantee rate must not be negative, got {self.guarantee_rate_percent}%"
            )
        if self.guarantee_days <= 0:
            raise InvalidInput(f"bank guarantee term must be positive, got {self.guarantee_days} days")

    @property
    def contract_known(self) -> bool:
        return self.contract_percent is not None or self.contract_amount is not None


def antidumping_threshold(nmck: Decimal) -> Decimal:
    """The highest kopeck price that triggers Art. 37 (75% of NMCK, rounded down)."""
    return round_down(nmck * ANTIDUMPING_PRICE_RATIO)


def antidumping_applies(price: Decimal, nmck: Decimal, *, law: Law = "44-FZ", kind: Kind = "auction") -> bool:
    """Art. 37 is a 44-FZ rule for auctions and competitions: price <= 75% of NMCK, compared exactly."""
    return law == "44-FZ" and kind in ANTIDUMPING_KINDS and price <= nmck * ANTIDUMPING_PRICE_RATIO


def good_faith_alternative(nmck: Decimal) -> bool:
    """At NMCK <= 15 mln the x1.5 security may be replaced by proof of good faith (Art. 37 ч.2)."""
    return nmck <= ANTIDUMPING_NMCK_LIMIT


def guarantee_cost(amount: Decimal, terms: SecurityTerms) -> Decimal:
    """Fee for a bank guarantee of ``amount`` at the terms' annual rate for the terms' days."""
    return round_half_up(amount * terms.guarantee_rate_percent / 100 * terms.guarantee_days / 365)


@dataclass(frozen=True)
class BidSecurity:
    required: bool
    amount: Decimal | None
    band_min: Decimal
    band_max: Decimal
    basis: str


def bid_security(nmck: Decimal, terms: SecurityTerms) -> BidSecurity:
    """The statutory band for this NMCK and the amount the notice asks for (when it says)."""
    if nmck <= BID_SECURITY_FREE_UP_TO:
        low_pct, high_pct, basis = Decimal(0), Decimal(0), "not required up to 1 mln RUB (Art. 44)"
    elif nmck <= BID_SECURITY_MIDDLE_UP_TO:
        low_pct, high_pct, basis = Decimal("0.5"), Decimal("1"), "0.5-1% of NMCK up to 20 mln RUB (Art. 44)"
    else:
        low_pct, high_pct, basis = Decimal("0.5"), Decimal("5"), "0.5-5% of NMCK above 20 mln RUB (Art. 44)"
    if terms.smp_only and high_pct > BID_SECURITY_SMP_MAX_PERCENT:
        high_pct, basis = BID_SECURITY_SMP_MAX_PERCENT, basis + "; at most 2% when reserved for SMP (ч.15)"
    amount = terms.bid_amount
    if amount is None and terms.bid_percent is not None:
        amount = percent_of(nmck, terms.bid_percent)
    return BidSecurity(
        required=high_pct > 0,
        amount=amount,
        band_min=percent_of(nmck, low_pct),
        band_max=percent_of(nmck, high_pct),
        basis=basis,
    )


@dataclass(frozen=True)
class ContractSecurity:
    """Contract security if the contract is concluded at ``price``; amounts are None when the notice
    does not say how much security it wants."""

    price: Decimal
    antidumping: bool
    """``price`` is at or below 75 % of the NMCK (Art. 37): the security is one and a half times
    ``base``, or proof of good faith where ``good_faith_alternative`` allows it."""
    good_faith_alternative: bool
    exempt: bool
    base: Decimal | None
    required: Decimal | None
    extra: Decimal | None
    guarantee_cost: Decimal | None
    extra_guarantee_cost: Decimal | None


def contract_security(
    nmck: Decimal, price: Decimal, terms: SecurityTerms, *, law: Law = "44-FZ", kind: Kind = "auction"
) -> ContractSecurity:
    """What security the winner at ``price`` must give, anti-dumping included."""
    triggered = antidumping_applies(price, nmck, law=law, kind=kind)
    alternative = triggered and good_faith_alternative(nmck)
    base = _base_security(nmck, price, terms)
    if base is None:
        return ContractSecurity(price, triggered, alternative, terms.smp_exempt, None, None, None, None, None)
    if terms.smp_exempt:
        zero = Decimal("0.00")
        return ContractSecurity(price, triggered, alternative, True, base, zero, zero, zero, zero)
    required = base
    if triggered and not (alternative and terms.good_faith_proof):
        required = max(round_half_up(base * ANTIDUMPING_MULTIPLIER), terms.advance or Decimal(0))
    extra = required - base
    return ContractSecurity(
        price=price,
        antidumping=triggered,
        good_faith_alternative=alternative,
        exempt=False,
        guarantee_cost=guarantee_cost(required, terms),
        base=base,
        required=required,
        extra=extra,
        extra_guarantee_cost=guarantee_cost(extra, terms),
    )


def _base_security(nmck: Decimal, price: Decimal, terms: SecurityTerms) -> Decimal | None:
    """Security before anti-dumping: % of NMCK, or of the price when reserved for SMP (ч.6 ст.96)."""
    if not terms.contract_known:
        return None
    if terms.contract_percent is not None:
        from_price = terms.smp_only and price > percent_of(nmck, RIGHT_TO_CONCLUDE_PERCENT)
        base = percent_of(price if from_price else nmck, terms.contract_percent)
    else:
        base = terms.contract_amount or Decimal("0.00")
    if terms.advance is not None and terms.advance > percent_of(nmck, ADVANCE_SECURITY_PERCENT):
        base = terms.advance
    return base


def extra_guarantee_cost_kopecks(
    prices: np.ndarray, nmck: Decimal, terms: SecurityTerms, *, law: Law = "44-FZ", kind: Kind = "auction"
) -> np.ndarray:
    """``contract_security(...).extra_guarantee_cost`` for an int64 array of kopeck prices.

    The Monte Carlo needs it for every simulated final price; when the security does not depend on
    the price it is one Decimal computation broadcast, otherwise the same arithmetic in int kopecks.
    """
    zeros = np.zeros_like(prices)
    if law != "44-FZ" or kind not in ANTIDUMPING_KINDS or not terms.contract_known or terms.smp_exempt:
        return zeros
    if good_faith_alternative(nmck) and terms.good_faith_proof:
        return zeros
    nmck_kop = to_kopecks(nmck)
    triggered = prices * 4 <= nmck_kop * 3
    price_dependent = terms.smp_only and terms.contract_percent is not None
    advance_rules = terms.advance is not None and terms.advance > percent_of(nmck, ADVANCE_SECURITY_PERCENT)
    if not price_dependent or advance_rules:
        threshold = antidumping_threshold(nmck)
        cost = contract_security(nmck, threshold, terms, law=law, kind=kind).extra_guarantee_cost
        return np.where(triggered, to_kopecks(cost or Decimal(0)), 0).astype(prices.dtype)
    assert terms.contract_percent is not None
    right_to_conclude = to_kopecks(percent_of(nmck, RIGHT_TO_CONCLUDE_PERCENT))
    from_nmck = to_kopecks(percent_of(nmck, terms.contract_percent))
    base = np.where(prices > right_to_conclude, percent_of_kopecks(prices, terms.contract_percent), from_nmck)
    required = half_up_div(base * 3, 2)
    if terms.advance is not None:
        required = np.maximum(required, to_kopecks(terms.advance))
    rate_num, rate_den = ratio_parts(terms.guarantee_rate_percent)
    extra = half_up_div((required - base) * rate_num * terms.guarantee_days, 100 * rate_den * 365)
    return np.where(triggered, extra, 0).astype(prices.dtype)
