"""Money arithmetic of the auction: ``Decimal`` roubles with kopecks, and int kopecks for NumPy.

Rounding, in one place:

* percentages of a price (auction step, securities, bank-guarantee fee) are rounded to the kopeck
  ``ROUND_HALF_UP``, the way ETPs print them;
* thresholds of the kind "price <= X" (anti-dumping at 75% of NMCK) are compared exactly and shown
  as the highest kopeck amount that still triggers them (``ROUND_DOWN``);
* our own floor (cost plus minimum margin) is rounded up (``ROUND_CEILING``), so the margin is never
  below the minimum asked for.
"""

from __future__ import annotations

from decimal import ROUND_CEILING
from decimal import ROUND_DOWN
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

import numpy as np

from bidder.errors import InvalidInput

KOPECK = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_RUB = Decimal("1e15")
"""The largest magnitude any money or percentage input may have: a thousand trillion roubles is far
beyond any procurement, and below it kopeck arithmetic stays exact in the default 28-digit context
(``1e400`` would make ``quantize`` raise ``InvalidOperation`` deep inside a computation)."""


def as_decimal(value: object, name: str) -> Decimal:
    """Accept Decimal, int or a numeric string; refuse float, which would smuggle binary error in."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(f"{name} must be a Decimal, int or string, not {type(value).__name__} ({value!r})")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise InvalidInput(f"{name}: {value!r} is not a number") from None
    else:
        raise InvalidInput(f"{name} must be a Decimal, int or string, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidInput(f"{name}: {value!r} is not a finite number")
    return within_limit(result, name)


def within_limit(amount: Decimal, name: str) -> Decimal:
    """``amount`` unchanged, or ``InvalidInput`` naming ``name`` when it is beyond ``MAX_RUB``."""
    if abs(amount) > MAX_RUB:
        raise InvalidInput(f"{name}: {amount} is too large (at most {MAX_RUB:,.0f})".replace(",", " "))
    return amount


def money(value: object, name: str, *, positive: bool = False, non_negative: bool = False) -> Decimal:
    """A roubles amount that must already be whole kopecks (ETPs accept nothing finer)."""
    amount = as_decimal(value, name)
    if amount != amount.quantize(KOPECK, rounding=ROUND_DOWN):
        raise InvalidInput(f"{name}: {amount} has fractions of a kopeck")
    if positive and amount <= 0:
        raise InvalidInput(f"{name} must be positive, got {amount}")
    if non_negative and amount < 0:
        raise InvalidInput(f"{name} must not be negative, got {amount}")
    return amount.quantize(KOPECK)


def to_kopecks(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_kopecks(kopecks: int | np.integer) -> Decimal:
    return (Decimal(int(kopecks)) / 100).quantize(KOPECK)


def percent_of(base: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``base`` rounded half up to the kopeck (steps, securities, fees)."""
    return (base * percent / HUNDRED).quantize(KOPECK, rounding=ROUND_HALF_UP)


def round_half_up(amount: Decimal) -> Decimal:
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


def round_down(amount: Decimal) -> Decimal:
    return amount.quantize(KOPECK, rounding=ROUND_DOWN)


def round_up(amount: Decimal) -> Decimal:
    return amount.quantize(KOPECK, rounding=ROUND_CEILING)


def fmt(amount: Decimal | None) -> str | None:
    """Money for JSON: a string to the kopeck (``"1000000.00"``), or None when unknown."""
    return None if amount is None else str(amount.quantize(KOPECK))


def ratio_parts(value: Decimal) -> tuple[int, int]:
    """Exact numerator and denominator of a Decimal, for integer arithmetic on kopeck arrays."""
    numerator, denominator = value.as_integer_ratio()
    return int(numerator), int(denominator)


def half_up_div(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounded half up, for non-negative int64 arrays (the kopeck twin of ``percent_of``)."""
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of_kopecks(base: np.ndarray, percent: Decimal) -> np.ndarray:
    """``percent_of`` on an int64 array of kopecks, with the same half-up rounding."""
    num, den = ratio_parts(percent)
    return half_up_div(base * num, 100 * den)


def exact_mean(values: np.ndarray) -> Decimal | None:
    """Mean of an int64 kopeck array as Decimal roubles; summed in Python ints so it cannot overflow."""
    if values.size == 0:
        return None
    total = int(values.astype(object).sum()) if values.size else 0
    return round_half_up(Decimal(total) / Decimal(values.size) / 100)
