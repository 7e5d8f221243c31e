"""Column types that keep money exact and datetimes aware on both SQLite and PostgreSQL.

SQLite has no exact decimal (its NUMERIC affinity turns 388050008.20 into a float) and no
timezone in DATETIME; PostgreSQL has both. These types hide the difference so the rest of the
code only ever sees ``Decimal`` and aware ``datetime`` values.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


def finite_decimal(value: Decimal | int | str) -> Decimal | None:
    """``value`` as a Decimal; None when it is no finite number ("12,5", "abc", "NaN", "Infinity"):
    money is never NaN, and a Decimal NaN compares false with everything."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A ``Decimal`` stored without any rounding: TEXT on SQLite, unconstrained NUMERIC elsewhere.

    NUMERIC without precision/scale keeps the scale as written on PostgreSQL, so both ``0.5`` and
    ``388050008.20`` come back exactly as they went in. A float is refused rather than converted:
    a float that reached the store already lost the kopecks.
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
            raise TypeError(f"money/quantity must be Decimal, got {type(value).__name__} {value!r}")
        number = finite_decimal(value)
        if number is None:
            raise ValueError(f"not a finite decimal number: {value!r}")
        return str(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime: stored as UTC (naive on SQLite, timestamptz on PostgreSQL), read back as UTC.

    A naive datetime is refused: guessing its zone is exactly the bug this type exists to prevent.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__} {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: the store needs an aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""Lists and small documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite."""


class money_sum(GenericFunction[Decimal]):
    """``SUM`` of an :class:`ExactDecimal` column that stays exact on SQLite too.

    SQLite's own ``sum()`` converts TEXT to float; there the engine registers ``decimal_sum``
    (see ``data.db``), an aggregate that adds ``Decimal`` values.
    """

    type = ExactDecimal()
    inherit_cache = True
    name = "money_sum"


@compiles(money_sum)
def _money_sum_default(element: money_sum, compiler: Any, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(money_sum, "sqlite")
def _money_sum_sqlite(element: money_sum, compiler: Any, **kw: Any) -> str:
    return f"decimal_sum({compiler.process(element.clauses, **kw)})"


class DecimalSum:
    """The SQLite aggregate behind :class:`money_sum` (text in, text out, exact)."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total = Decimal(value) + (self.total or Decimal(0))

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)
