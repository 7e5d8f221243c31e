"""The deterministic ladder: NMCK down to our floor one fixed step at a time.

It answers the bid manager's first questions without any model: how many steps to the floor, how
long that takes if every step waits out the full timer (step k lands just before the k-th timer
expires, the procedure closes one timer after the last step), at which step Art. 37 anti-dumping
starts and at which step the auction would turn into bidding for the right to conclude.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bidder.auction.money import HUNDRED
from bidder.auction.money import KOPECK
from bidder.auction.money import money
from bidder.auction.rules import AuctionRules
from bidder.auction.securities import antidumping_applies
from bidder.auction.securities import antidumping_threshold
from bidder.errors import InvalidInput


@dataclass(frozen=True)
class LadderStep:
    index: int
    price: Decimal
    reduction_percent: Decimal
    """Below the NMCK, in percent: what the bid manager compares with the anti-dumping 25."""
    elapsed: timedelta
    """Auction time at this step if every bid came at the end of its 10-minute window."""
    antidumping: bool


@dataclass(frozen=True)
class Ladder:
    """Every price the auction passes through from the NMCK down to the floor, one step apart, with
    the steps where the law starts to bite (anti-dumping, the right to conclude at a loss)."""

    nmck: Decimal
    floor: Decimal
    step: Decimal
    steps: tuple[LadderStep, ...]
    antidumping_step: int | None
    """The first step at or below 25 % under the NMCK, whether the floor lets the ladder reach it or
    not; None where the law has no anti-dumping rule (223-FZ)."""
    right_to_conclude_step: int | None
    timer: timedelta

    @property
    def steps_to_floor(self) -> int:
        return len(self.steps) - 1

    @property
    def lowest_price(self) -> Decimal:
        return self.steps[-1].price

    @property
    def duration(self) -> timedelta:
        """Time to the close if every step waits the full timer: one more timer after the last step."""
        return self.steps[-1].elapsed + self.timer


def build_ladder(rules: AuctionRules, floor: Decimal, step_percent: Decimal) -> Ladder:
    """Prices after each step of ``step_percent`` of NMCK while they stay at or above ``floor``."""
    floor = money(floor, "floor", positive=True)
    nmck = rules.nmck
    if floor > nmck:
        raise InvalidInput(f"floor {floor} is above NMCK {nmck}")
    step = rules.step_amount(step_percent)
    count = int((nmck - floor) // step)
    steps = tuple(
        LadderStep(
            index=k,
            price=nmck - k * step,
            reduction_percent=(k * step * HUNDRED / nmck).quantize(KOPECK),
            elapsed=k * rules.timer,
            antidumping=antidumping_applies(nmck - k * step, nmck, law=rules.law),
        )
        for k in range(count + 1)
    )
    return Ladder(
        nmck=nmck,
        floor=floor,
        step=step,
        steps=steps,
        antidumping_step=_first_step_at_or_below(nmck, step, antidumping_threshold(nmck))
        if antidumping_applies(antidumping_threshold(nmck), nmck, law=rules.law)
        else None,
        right_to_conclude_step=None
        if rules.right_to_conclude_threshold is None
        else _first_step_at_or_below(nmck, step, rules.right_to_conclude_threshold),
        timer=rules.timer,
    )


def _first_step_at_or_below(nmck: Decimal, step: Decimal, level: Decimal) -> int:
    """Smallest k with ``nmck - k * step <= level`` (whether or not the ladder reaches it)."""
    k = (nmck - level) / step
    whole = int(k)
    return whole if whole == k else whole + 1
