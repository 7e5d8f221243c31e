"""What the generator decides about a purchase, richer than ``Notice``, so renderers can write every
element a real document carries (registry numbers, GAR ids, account numbers) and the ground truth
stays a plain ``Notice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal

from crawler.replay.catalog import Category
from crawler.replay.catalog import Etp
from crawler.replay.catalog import Good
from crawler.replay.catalog import Method
from crawler.replay.catalog import Region
from crawler.replay.catalog import Unit
from data.formatting import format_money
from data.notice import MOSCOW
from data.notice import Notice

EIS = "https://zakupki.gov.ru"


@dataclass(frozen=True)
class Currency:
    code: str
    digital_code: str
    name: str  # as the 223 documents and the RSS write it
    sign: str  # as the search page shows it after the amount


CURRENCIES = {
    c.code: c
    for c in (
        Currency("RUB", "643", "Российский рубль", "₽"),
        Currency("EUR", "978", "Евро", "€"),
        Currency("USD", "840", "Доллар США", "$"),
        Currency("CNY", "156", "Китайский юань", "¥"),
    )
}


class ReplayError(Exception):
    """Base of the replay package's errors."""


class SnapshotError(ReplayError):
    """A snapshot was asked for something it does not hold or cannot build."""


def local_tz(region: Region) -> timezone:
    return timezone(timedelta(hours=region.utc_offset))


@dataclass(frozen=True)
class Organization:
    region: Region
    name: str
    short_name: str
    inn: str
    kpp: str
    ogrn: str
    reg_num: str  # consolidated registry (SPZ) code, 11 digits
    cons_registry_num: str
    level: str  # 1 federal, 2 regional, 3 municipal: first digit of customerCode
    post_address: str
    okato: str  # 11 digits
    email: str
    phone: str

    @property
    def customer_code(self) -> str:
        """1 digit + INN + KPP: what ``IKZInfo/customerCode`` and IKZ digits 3–22 hold."""
        return f"{self.level}{self.inn}{self.kpp}"


@dataclass(frozen=True)
class Place:
    region: Region
    gar_guid: str
    gar_address: str  # «обл Свердловская, г Екатеринбург, ул Ленина, д. 24»
    text: str  # what the customer types: «Свердловская область, г. Екатеринбург, ул. Ленина, д. 24»


@dataclass(frozen=True)
class Position:
    good: Good
    unit: Unit
    quantity: Decimal
    price: Decimal
    sum: Decimal


@dataclass(frozen=True)
class Security:
    part: Decimal  # percent of NMCK
    amount: Decimal | None  # None when only the share is published (SMP-only contract security)


@dataclass
class Purchase:
    """One registry number: the facts shared by all its versions."""

    reg_number: str
    law: str
    title: str
    method: Method
    category: Category
    customer: Organization
    placer: Organization  # == customer unless an authorised body (role RA) places the notice
    places: list[Place]
    etp: Etp
    smp_only: bool
    preferences: list[tuple[str, str, Decimal]]  # (shortName, name, prefValue)
    plan_position: str  # four digits of the IKZ
    guid: str  # 223: notice guid
    purchase_id: int  # 223 mobile JSON purchase.id
    cancelled: bool = False
    currency: Currency = CURRENCIES["RUB"]
    """A 223-FZ customer may price a purchase abroad in another currency (the listing shows its sign)."""
    versions: list[NoticeVersion] = field(default_factory=list)

    @property
    def latest(self) -> NoticeVersion:
        return self.versions[-1]

    @property
    def publishes_object(self) -> bool:
        """False for the 44-FZ small purchases (EZT2020): no ``purchaseObjectInfo`` in the XML, no
        «Объект закупки» on the search entry, ``null`` in the RSS; ``title`` is then made of the
        position names, as the parser makes it."""
        return self.method.code != "EZT20"

    @property
    def tz(self) -> timezone:
        return local_tz(self.customer.region)

    @property
    def card_url(self) -> str:
        if self.law == "44-FZ":
            return (
                f"{EIS}/epz/order/notice/{self.method.slug}/view/common-info.html?regNumber={self.reg_number}"
            )
        return f"{EIS}/223/purchase/public/purchase/info/common-info.html?regNumber={self.reg_number}"

    @property
    def ikz_okpd2(self) -> str:
        """IKZ digits 30–33: the OKPD2 group shared by every position, or ``0000`` when they differ."""
        groups = {pos.good.okpd2.replace(".", "")[:4] for pos in self.versions[0].positions}
        return groups.pop() if len(groups) == 1 else "0000"

    def ikz(self) -> str:
        """36 digits: year, customer code (level + INN + KPP), plan position, order, OKPD2 group, KVR."""
        year = self.versions[0].published_at.year % 100
        return f"{year:02d}{self.customer.customer_code}{self.plan_position}001{self.ikz_okpd2}244"


@dataclass
class NoticeVersion:
    """One published version of a purchase, with its ground truth ``Notice``."""

    purchase: Purchase
    number: int
    doc_id: int
    published_at: datetime  # this version's publication, customer-local offset
    deadline: datetime
    positions: list[Position]
    bid_security: Security | None
    contract_security: Security | None
    modification: str | None
    notice: Notice = field(init=False)

    @property
    def nmck(self) -> Decimal:
        return sum((p.sum for p in self.positions), Decimal(0))

    @property
    def auction_at(self) -> datetime | None:
        """The bidding starts two hours after the application deadline (44-FZ art. 49)."""
        return self.deadline + timedelta(hours=2) if self.purchase.method.kind == "auction" else None

    @property
    def auction_date(self) -> date | None:
        """44-FZ ``biddingDate`` is the customer-local day; 223-FZ ``auctionTime`` is Moscow wall time."""
        if self.auction_at is None:
            return None
        if self.purchase.law == "44-FZ":
            return self.deadline.date()
        return self.auction_at.astimezone(MOSCOW).date()

    @property
    def has_deadline(self) -> bool:
        """Single-supplier purchases collect no applications."""
        return self.purchase.method.kind != "single_supplier"

    @property
    def summarizing_date(self) -> date:
        return (self.deadline + timedelta(days=2)).date()


def inn_check(digits9: str) -> str:
    """The control digit of a legal entity's 10-digit INN."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return str(sum(int(d) * w for d, w in zip(digits9, weights, strict=True)) % 11 % 10)


def ogrn_check(digits12: str) -> str:
    return str(int(digits12) % 11 % 10)


def plain_decimal(value: Decimal) -> str:
    """Money as the EIS XML writes it: a plain decimal with a dot, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def ru_money(value: Decimal) -> str:
    """Money as the EIS HTML shows it: ``1 234 567,89`` with no-break spaces (the one formatter's
    digits, without the currency, which the page writes apart)."""
    return format_money(value).removesuffix(" ₽").replace(" ", "\xa0")


def iso_dt(value: datetime, *, millis: bool = False) -> str:
    """``2025-11-07T09:49:15.961+03:00`` (millis) or ``2025-11-24T10:00:00+03:00``."""
    spec = "milliseconds" if millis else "seconds"
    return value.isoformat(timespec=spec)


def xs_date(value: date, tz: timezone) -> str:
    """xs:date with the offset, as the EIS writes biddingDate: ``2025-11-05+03:00``."""
    offset = datetime.combine(value, datetime.min.time(), tz).isoformat()[-6:]
    return f"{value.isoformat()}{offset}"
