"""The normalized notice: the one shape every source (XML card, JSON, search page, RSS) produces.

It lives in ``data`` rather than ``crawler`` because the matcher, the store, the bot and the
reports all read it; the crawler only produces it.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

MOSCOW = ZoneInfo("Europe/Moscow")
"""The EIS's own clock: naive times, date-only values and day counts are read on it."""


def moscow_date(moment: datetime) -> date:
    """The day on the Moscow clock: the EIS dates everything by it."""
    return moment.astimezone(MOSCOW).date()


Law = Literal["44-FZ", "223-FZ"]
Kind = Literal["auction", "competition", "quotation", "single_supplier", "other"]
Completeness = Literal["card", "listing"]


_INN = re.compile(r"^(\d{10}|\d{12})$")


def is_inn(value: str) -> bool:
    """An INN: 10 digits (an organisation) or 12 (a person), as customers and suppliers have them."""
    return bool(_INN.match(value.strip()))


DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


class Stage(StrEnum):
    """Where a purchase is in its life, read from the EIS's «Этап закупки» (``Notice.status``)."""

    SUBMISSION = "submission"
    COMMISSION = "commission"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """Nothing changes after it: a followed notice is followed no further."""
        return self in (Stage.COMPLETED, Stage.CANCELLED)


_STAGE_WORDS = (
    ("отмен", Stage.CANCELLED),  # «Определение поставщика отменено», «Закупка отменена»
    ("заверш", Stage.COMPLETED),  # «Определение поставщика завершено», «Закупка завершена»
    ("комисси", Stage.COMMISSION),  # «Работа комиссии»
    ("подача заявок", Stage.SUBMISSION),  # «Подача заявок»
)
"""The wordings of the real search pages, RSS and card pages (../shared/eis_samples); the order
matters only for a text that would hold two of them. Anything else (e.g. «приостановлено», a
suspension by the regulator) is no stage: the notice keeps being followed."""


def stage_of(status: str | None) -> Stage | None:
    """The stage an EIS status text names; None for no text or a wording not listed above."""
    text = (status or "").lower()
    return next((stage for word, stage in _STAGE_WORDS if word in text), None)


def deadline_order(notice: Notice) -> tuple[bool, datetime]:
    """Sort key by submission deadline, the soonest first and notices without one last: how
    digests and search results are ordered."""
    deadline = notice.submission_deadline
    return deadline is None, deadline or datetime.max.replace(tzinfo=MOSCOW)


def time_left(deadline: datetime, now: datetime) -> tuple[int, int]:
    """(full days, hours beyond them) from ``now`` to ``deadline``: the one way a deadline is
    counted, in whole 24-hour periods, not calendar days. A deadline of 24.03 10:00 seen at
    23.03 20:00 is (0, 14): «0 полных дней», «осталось 14 часов». Negative once it has passed."""
    left = deadline - now
    return left // DAY, (left % DAY) // HOUR


def days_left(deadline: datetime, now: datetime) -> int:
    """The full days of ``time_left`` (what the matcher's ``min_days_left`` and the reports count)."""
    return (deadline - now) // DAY


TITLE_POSITIONS = 3
"""A title made of position names shows this many (a small purchase has a handful)."""


def title_from_positions(names: list[str]) -> str:
    """The title of a notice that has none (the 44-FZ small purchases, ``epNotificationEZT2020``):
    its distinct position names, as a reader of the notice would sum it up."""
    distinct = list(dict.fromkeys(name for name in names if name))
    shown = "; ".join(distinct[:TITLE_POSITIONS])
    more = len(distinct) - TITLE_POSITIONS
    return f"{shown} и ещё {more} поз." if more > 0 else shown


class FrozenModel(BaseModel):
    """A value read from a document: nothing may change it once parsed, so the stores and reports
    that read it can share one copy."""

    model_config = ConfigDict(frozen=True)


class NoticeItem(FrozenModel):
    """One position of the purchase object (what is bought), as far as the source gives it."""

    name: str
    okpd2: str | None = None
    ktru: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    price: Decimal | None = None
    sum: Decimal | None = None
    """The position's total as the source publishes it, never ``price`` × ``quantity`` worked out
    here: sources round them apart, and many positions publish only one of the two."""


class Notice(BaseModel):
    """A procurement notice, normalized.

    Money is ``Decimal`` as published (no float ever), datetimes are timezone-aware.
    ``completeness`` says whether this came from a full card ("card") or from what a search page
    or RSS item shows ("listing"); the store never lets a listing overwrite a card.
    """

    model_config = ConfigDict(extra="forbid")

    reg_number: str
    law: Law
    version: int | None = None
    method_code: str | None = None
    method: str | None = None
    kind: Kind = "other"
    title: str = ""
    status: str | None = None
    customer_name: str | None = None
    customer_inn: str | None = None
    customer_region: str | None = None
    delivery_places: list[str] = Field(default_factory=list)
    delivery_regions: list[str] = Field(default_factory=list)
    nmck: Decimal | None = None
    currency: str | None = None
    okpd2: list[str] = Field(default_factory=list)
    ktru: list[str] = Field(default_factory=list)
    items: list[NoticeItem] = Field(default_factory=list)
    published_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    """When the source last changed the notice: what the crawler compares to decide that a stored
    notice changed (see ``updated_day_only``)."""
    submission_deadline: AwareDatetime | None = None
    auction_date: date | None = None
    bid_security: Decimal | None = None
    bid_security_percent: Decimal | None = None
    contract_security: Decimal | None = None
    contract_security_percent: Decimal | None = None
    smp_only: bool = False
    preferences: list[str] = Field(default_factory=list)
    etp_name: str | None = None
    etp_url: str | None = None
    ikz: str | None = None
    url: str | None = None
    source: str | None = None
    completeness: Completeness = "card"
    updated_day_only: bool = False
    """``updated_at`` is a day read as 00:00 Moscow, not a time (a search page; a 223 card whose
    update time came from its listing): the crawler then compares updates by day."""
    notes: list[str] = Field(default_factory=list)
    """Caveats the parser wants a human to know (e.g. a datetime read as Moscow time)."""

    @property
    def key(self) -> tuple[str, str]:
        """The identity the store upserts on."""
        return (self.law, self.reg_number)

    @property
    def stage(self) -> Stage | None:
        return stage_of(self.status)

    @property
    def cancelled(self) -> bool:
        return self.stage is Stage.CANCELLED
