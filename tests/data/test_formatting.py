"""Money as shown to people: grouping, kopeck rounding, currency symbol, missing amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from data.formatting import format_money
from data.formatting import to_kopeck


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234567.891"), None, "1 234 567,89 ₽"),
        (Decimal("1234567.895"), "RUB", "1 234 567,90 ₽"),
        (Decimal("0.005"), "643", "0,01 ₽"),
        (Decimal("999"), "", "999,00 ₽"),
        (Decimal("100000"), "USD", "100 000,00 USD"),
        (Decimal("-2500.5"), None, "-2 500,50 ₽"),
        (Decimal("388050008.20"), None, "388 050 008,20 ₽"),
    ],
)
def test_format_money(amount: Decimal, currency: str | None, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_missing_amount_reads_as_not_given() -> None:
    assert format_money(None) == "не указана"


def test_to_kopeck_rounds_half_up_and_keeps_decimal() -> None:
    assert to_kopeck(Decimal("10.125")) == Decimal("10.13")
    assert str(to_kopeck(Decimal("7"))) == "7.00"
