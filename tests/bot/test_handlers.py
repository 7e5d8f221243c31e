"""``/sim`` cost parsing: kopecks as Decimal, and a friendly refusal for anything else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.errors import UsageError
from bot.handlers import parse_cost


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 200 000,50", Decimal("1200000.50")),
        ("850000", Decimal("850000.00")),
        ("1e6", Decimal("1000000.00")),
        ("0,01", Decimal("0.01")),
        ("100000000000", Decimal("100000000000.00")),
        ("12 345,678₽", Decimal("12345.68")),
    ],
)
def test_costs_are_parsed_to_kopecks(raw, expected):
    value = parse_cost(raw)

    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e400", "Себестоимость «1e400» слишком велика: не больше 100 000 000 000,00 ₽"),
        ("9" * 30, f"Себестоимость «{'9' * 30}» слишком велика: не больше 100 000 000 000,00 ₽"),
        ("100000000000.01", "Себестоимость «100000000000.01» слишком велика: не больше 100 000 000 000,00 ₽"),
        ("1e-5", "Себестоимость должна быть не меньше 0,01 ₽, получено «1e-5»"),
        ("0.004", "Себестоимость должна быть не меньше 0,01 ₽, получено «0.004»"),
        ("-1e400", "Себестоимость должна быть положительной, получено «-1e400»"),
        ("0", "Себестоимость должна быть положительной, получено «0»"),
        ("Infinity", "«Infinity» — не сумма. Пример: /sim 0373200138225001206 850000"),
        ("NaN", "«NaN» — не сумма. Пример: /sim 0373200138225001206 850000"),
        ("sNaN", "«sNaN» — не сумма. Пример: /sim 0373200138225001206 850000"),
        ("много", "«много» — не сумма. Пример: /sim 0373200138225001206 850000"),
    ],
)
def test_unusable_costs_are_refused_with_a_russian_message(raw, message):
    with pytest.raises(UsageError) as caught:
        parse_cost(raw)

    assert str(caught.value) == message
