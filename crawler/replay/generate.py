"""Deterministic invention of purchases: who buys what, where, for how much, and when.

One ``random.Random`` seeded from the snapshot seed drives everything, so a seed always yields the
same purchases (and the same bytes once rendered). Amounts are built bottom-up (price × quantity =
sum, sums add up to the NMCK) so money is consistent by construction.
"""

from __future__ import annotations

import math
import random
import uuid
import zlib
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import ROUND_HALF_UP
from decimal import Decimal

from crawler.replay import catalog
from crawler.replay.catalog import Category
from crawler.replay.catalog import Region
from crawler.replay.model import CURRENCIES
from crawler.replay.model import Currency
from crawler.replay.model import NoticeVersion
from crawler.replay.model import Organization
from crawler.replay.model import Place
from crawler.replay.model import Position
from crawler.replay.model import Purchase
from crawler.replay.model import Security
from crawler.replay.model import SnapshotError
from crawler.replay.model import inn_check
from crawler.replay.model import local_tz
from crawler.replay.model import ogrn_check
from data.notice import Notice
from data.notice import NoticeItem
from data.notice import title_from_positions

CENT = Decimal("0.01")
SHARE_44 = 0.7
NMCK_MIN = 50_000
NMCK_MAX = 500_000_000
VERSIONED_SHARE = 0.14
CANCELLED_SHARE = 0.03
SMP_SHARE = 0.3
RA_SHARE = 0.15
PAST_DEADLINE_SHARE = 0.12
REVIEW_TIME = timedelta(days=3)
"""How long the commission works after the deadline before the replay calls the purchase
completed (44-FZ gives the commission one to a few working days; an assumption). The stage moves
without a new version: the listing's «Обновлено» stays, so only a crawl that follows stored
notices (``eis_follow``) sees it."""
SMALL_PURCHASE_PERCENT = 30
"""Of the 44-FZ auctions within the small-purchase limit, this many per hundred are published as
electronic small purchases (EZT2020) instead; 2 of the 5 items of the real RSS sample are ezt20."""
SMALL_PURCHASE_LIMIT = Decimal(5_000_000)
"""44-FZ art. 93 part 12: a small electronic purchase is at most 5 million roubles."""
FOREIGN_CURRENCY_PERCENT = 4
"""223-FZ purchases priced in EUR, USD or CNY (state companies buying abroad), per hundred."""
CHANGES = ("deadline", "price")
"""What an amendment changes: the submission deadline, or the price (every position, so the NMCK)."""


def _pick(rng: random.Random, items, weights=None):
    return rng.choices(items, weights=weights, k=1)[0]


class Generator:
    """Mints purchases and their versions; keeps the counters that make registry numbers unique."""

    def __init__(self, seed: int, now: datetime, days: int = 30) -> None:
        self.seed = seed
        self.now = now
        self.days = days
        """Publications are spread over this many days before ``now``."""
        self.rng = random.Random(seed)
        self._seq: dict[str, int] = {}
        self._doc_id = 40_000_000 + self.rng.randrange(1_000_000)
        self._inns: set[str] = set()
        self._customers: dict[tuple[str, str, int], Organization] = {}
        self._authorities: dict[str, Organization] = {}
        self._region_weights = [catalog.REGION_WEIGHTS.get(r.code, 1) for r in catalog.REGIONS]

    # ---- identities -------------------------------------------------------------------------------

    def _uuid(self, rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _inn(self, rng: random.Random, region: Region) -> str:
        while True:
            body = region.code + f"{rng.randrange(10**7):07d}"
            inn = body + inn_check(body)
            if inn not in self._inns:
                self._inns.add(inn)
                return inn

    def _organization(self, rng: random.Random, region: Region, name: str, level: str) -> Organization:
        inn = self._inn(rng, region)
        kpp = f"{region.code}{rng.randrange(1, 30):02d}01001"
        ogrn12 = f"1{rng.randrange(2, 24):02d}{region.code}{rng.randrange(10**7):07d}"
        first = "0" + {"1": "1", "2": "3", "3": "8"}[level]
        reg_num = f"{first}{region.spz}{rng.randrange(10**7):07d}"
        street = _pick(rng, catalog.STREETS)
        city = f"г. {region.city_plain}"
        where = region.name if not region.city else f"{region.name}, {city}"
        address = (
            f"{region.postcode}{rng.randrange(100):03d}, {where}, ул. {street}, д. {rng.randrange(1, 120)}"
        )
        return Organization(
            region=region,
            name=name,
            short_name=_short_name(name),
            inn=inn,
            kpp=kpp,
            ogrn=ogrn12 + ogrn_check(ogrn12),
            reg_num=reg_num,
            cons_registry_num=f"{rng.randrange(10**8):08d}",
            level=level,
            post_address=address,
            okato=f"{region.okato}{rng.randrange(10**9):09d}",
            email=f"zakupki{rng.randrange(1000)}@{_translit(region.city_plain)}.ru",
            phone=f"7-{region.phone}-{rng.randrange(10**7):07d}",
        )

    def _customer(self, rng: random.Random, region: Region, law: str) -> Organization:
        slot = rng.randrange(4)  # a few customers per (region, law) buy repeatedly, as in life
        key = (region.code, law, slot)
        if key not in self._customers:
            n = rng.randrange(1, 60)
            city_upper = region.city_plain.upper()
            if law == "44-FZ":
                level, template = _pick(rng, catalog.CUSTOMER_TEMPLATES_44)
            else:
                level, template = "2", _pick(rng, catalog.CUSTOMER_TEMPLATES_223)
            name = template.format(gen=region.genitive, n=n, city_upper=city_upper)
            self._customers[key] = self._organization(rng, region, name, level)
        return self._customers[key]

    def _authority(self, rng: random.Random, region: Region) -> Organization:
        if region.code not in self._authorities:
            name = f"КОМИТЕТ ПО КОНКУРЕНТНОЙ ПОЛИТИКЕ {region.genitive}"
            self._authorities[region.code] = self._organization(rng, region, name, "2")
        return self._authorities[region.code]

    def _reg_number(self, law: str, placer: Organization, year: int) -> str:
        if law == "44-FZ":
            key = f"{placer.reg_num}{year % 100:02d}"
            self._seq[key] = self._seq.get(key, 0) + 1
            return f"{key}{self._seq[key]:06d}"
        key = f"3{year % 100:02d}"
        self._seq[key] = self._seq.get(key, 0) + 1
        return f"{key}{16_000_000 + self._seq[key] * 37:08d}"

    def _next_doc_id(self) -> int:
        self._doc_id += 1 + self.rng.randrange(40)
        return self._doc_id

    # ---- places, positions, money -----------------------------------------------------------------

    def _place(self, rng: random.Random, region: Region) -> Place:
        street = _pick(rng, catalog.STREETS)
        house = rng.randrange(1, 150)
        if region.city:
            gar = f"{region.gar}, г.о. город {region.city_plain}, {region.city}, ул {street}, д. {house}"
            text = f"{region.name}, г. {region.city_plain}, ул. {street}, д. {house}"
        else:
            gar = f"{region.gar}, вн.тер.г. муниципальный округ {street}ский, ул {street}, д. {house}"
            text = f"{region.name}, ул. {street}, д. {house}"
        return Place(region=region, gar_guid=self._uuid(rng), gar_address=gar, text=text)

    def _positions(self, rng: random.Random, category: Category, nmck_target: Decimal) -> list[Position]:
        count = 1 if category.drugs else min(len(category.goods), _pick(rng, [1, 1, 2, 3, 4]))
        goods = rng.sample(list(category.goods), count)
        weights = [rng.uniform(0.5, 2.0) for _ in goods]
        total_weight = sum(weights)
        positions = []
        for good, weight in zip(goods, weights, strict=True):
            share = nmck_target * Decimal(str(round(weight / total_weight, 6)))
            low, high = good.price
            unit_price = Decimal(str(round(rng.uniform(low, high), 2)))
            quantity = max(1, int(share / unit_price))
            price = (share / quantity).quantize(CENT, ROUND_HALF_UP)
            if price <= 0:
                price = unit_price
            positions.append(
                Position(
                    good=good,
                    unit=catalog.UNITS[good.unit],
                    quantity=Decimal(quantity),
                    price=price,
                    sum=(price * quantity).quantize(CENT),
                )
            )
        return positions

    def _nmck_target(self, rng: random.Random) -> Decimal:
        value = math.exp(rng.uniform(math.log(NMCK_MIN), math.log(NMCK_MAX)))
        return Decimal(str(round(value, 2)))

    def _securities(
        self, rng: random.Random, purchase: Purchase, nmck: Decimal, previous: NoticeVersion | None = None
    ) -> tuple[Security | None, Security | None]:
        """Bid and contract security following 44-FZ arts. 44 and 96 (see the law notes, §3).

        With ``previous`` (a live amendment) the customer keeps the shares it published where the law
        still allows them and only the amounts follow the new NMCK; otherwise the shares are drawn.
        """
        if purchase.law != "44-FZ":
            return None, None  # 223-FZ notices carry no structured security
        bid = None
        if purchase.method.kind != "quotation" and nmck > catalog.BID_SECURITY_FREE_LIMIT:
            if nmck <= catalog.BID_SECURITY_BAND_LIMIT:
                allowed = ["0.5", "1.0"]
            else:
                allowed = ["0.5", "1.0", "2.0"] if purchase.smp_only else ["0.5", "1.0", "2.0", "5.0"]
            kept = previous.bid_security if previous else None
            if kept is not None and kept.part in {Decimal(a) for a in allowed}:
                part = kept.part
            else:
                part = Decimal(_pick(rng, allowed))
            bid = Security(part, _share(nmck, part))
        if previous is not None:
            kept = previous.contract_security
            return bid, _contract_security(purchase, nmck, kept.part) if kept else None
        contract = None
        if rng.random() < 0.85:
            part = Decimal(_pick(rng, ["5.0", "10.0", "10.0", "15.0", "30.0"]))
            contract = _contract_security(purchase, nmck, part)
        return bid, contract

    # ---- purchases --------------------------------------------------------------------------------

    def purchase(self, *, published_at: datetime | None = None, rng: random.Random | None = None) -> Purchase:
        """A new purchase with its first version; ``published_at`` pins the publication instant."""
        rng = rng or self.rng
        law = "44-FZ" if rng.random() < SHARE_44 else "223-FZ"
        methods = catalog.METHODS_44 if law == "44-FZ" else catalog.METHODS_223
        method = _pick(rng, methods, [m.weight for m in methods])
        region = _pick(rng, catalog.REGIONS, self._region_weights)
        categories = [c for c in catalog.CATEGORIES if not (c.drugs and law == "223-FZ")]
        category = _pick(rng, categories, [c.weight for c in categories])
        customer = self._customer(rng, region, law)
        placer = self._authority(rng, region) if law == "44-FZ" and rng.random() < RA_SHARE else customer
        places = [self._place(rng, region)]
        if law == "44-FZ" and rng.random() < 0.2:  # a 223 lot has one delivery place
            other = region if rng.random() < 0.6 else _pick(rng, catalog.REGIONS, self._region_weights)
            places.append(self._place(rng, other))
        if published_at is None:
            published_at = self._publication(rng, region)
        if law == "223-FZ":
            published_at = published_at.replace(microsecond=0)  # 223 documents carry whole seconds
        smp_only = method.kind != "single_supplier" and rng.random() < SMP_SHARE
        preferences = []
        if law == "44-FZ" and smp_only:
            preferences.append(
                ("PVS33044", "Преимущество в соответствии с ч. 3 ст. 30 Закона № 44-ФЗ", Decimal("100.0"))
            )
        if law == "44-FZ" and rng.random() < 0.08:
            preferences.append(
                ("IN44", "Организациям инвалидов в соответствии со ст. 29 Закона № 44-ФЗ", Decimal("15.0"))
            )
        etp = _pick(rng, catalog.ETPS if law == "44-FZ" else catalog.ETPS_223)
        positions = self._positions(rng, category, self._nmck_target(rng))
        purchase = Purchase(
            reg_number=self._reg_number(law, placer, published_at.year),
            law=law,
            title=title_of(rng, category, customer, positions),
            method=method,
            category=category,
            customer=customer,
            placer=placer,
            plan_position=f"{rng.randrange(1, 900):04d}",
            places=places,
            etp=etp,
            smp_only=smp_only,
            guid=self._uuid(rng),
            preferences=preferences,
            purchase_id=10_000_000 + rng.randrange(9_000_000),
        )
        if law == "223-FZ":
            purchase.currency = _currency_of(purchase.guid)
        elif _small_purchase(purchase, positions):
            purchase.method = catalog.SMALL_PURCHASE_44
            purchase.title = title_from_positions([pos.good.name for pos in positions])
        deadline = self._deadline(rng, purchase, published_at)
        self._add_version(rng, purchase, published_at, deadline, positions, modification=None)
        return purchase

    def _publication(self, rng: random.Random, region: Region) -> datetime:
        tz = local_tz(region)
        moment = self.now - timedelta(seconds=rng.randrange(self.days * 24 * 3600))
        local = moment.astimezone(tz)
        local = local.replace(hour=rng.randrange(8, 18), microsecond=rng.randrange(1000) * 1000)
        if local > self.now:
            local -= timedelta(days=1)
        return local

    def _deadline(self, rng: random.Random, purchase: Purchase, published_at: datetime) -> datetime:
        tz = purchase.tz
        minimum = published_at + timedelta(days=7)
        if rng.random() < PAST_DEADLINE_SHARE and minimum < self.now:
            moment = minimum
        else:
            moment = max(minimum, self.now + timedelta(days=rng.uniform(1, 25)))
        return _working_hour(rng, moment.astimezone(tz))

    def _add_version(
        self,
        rng: random.Random,
        purchase: Purchase,
        published_at: datetime,
        deadline: datetime,
        positions: list[Position],
        modification: str | None,
        previous: NoticeVersion | None = None,
    ) -> NoticeVersion:
        nmck = sum((p.sum for p in positions), Decimal(0))
        bid, contract = self._securities(rng, purchase, nmck, previous)
        version = NoticeVersion(
            purchase=purchase,
            number=len(purchase.versions) + 1,
            published_at=published_at,
            deadline=deadline,
            doc_id=self._next_doc_id(),
            positions=positions,
            bid_security=bid,
            contract_security=contract,
            modification=modification,
        )
        purchase.versions.append(version)
        return version

    def revise(self, purchase: Purchase, rng: random.Random | None = None) -> NoticeVersion | None:
        """Re-publish a purchase as its next version some hours later (None if that is after ``now``)."""
        rng = rng or self.rng
        last = purchase.latest
        published_at = last.published_at + timedelta(hours=rng.randrange(6, 96), minutes=rng.randrange(60))
        if purchase.law == "223-FZ":
            published_at = published_at.replace(microsecond=0)
        if published_at >= self.now:
            return None
        change = "deadline" if rng.random() < 0.5 else "price"
        return self.amend(purchase, rng, published_at=published_at, change=change)

    def amend(
        self,
        purchase: Purchase,
        rng: random.Random,
        *,
        published_at: datetime,
        change: str,
        keep_securities: bool = False,
    ) -> NoticeVersion:
        """Add the next version published at ``published_at``: a later deadline or a new price.

        Either way the deadline ends at least seven days after the amendment, as 44-FZ requires
        when a notice changes. ``keep_securities`` carries the published security shares over.
        """
        last = purchase.latest
        published_at = published_at.astimezone(purchase.tz)
        if purchase.law == "223-FZ":
            published_at = published_at.replace(microsecond=0)
        if change == "deadline":
            later = max(last.deadline, published_at + timedelta(days=7))
            deadline = _working_hour(rng, later + timedelta(days=rng.randrange(3, 10)))
            positions = last.positions
            modification = "Продление срока подачи заявок"
        elif change == "price":
            deadline = max(last.deadline, _working_hour(rng, published_at + timedelta(days=7)))
            factor = Decimal(str(round(rng.uniform(0.85, 1.15), 3)))
            factor = factor if factor != 1 else Decimal("1.05")  # a price amendment changes the price
            positions = [_reprice(pos, factor) for pos in last.positions]
            modification = "Изменение начальной (максимальной) цены контракта"
        else:
            raise SnapshotError(f"change={change!r} is not one of {', '.join(CHANGES)}")
        previous = last if keep_securities else None
        return self._add_version(rng, purchase, published_at, deadline, positions, modification, previous)


def _working_hour(rng: random.Random, moment: datetime) -> datetime:
    """Deadlines fall on a round local hour, as customers set them."""
    return moment.replace(hour=_pick(rng, [9, 10, 10, 12, 15]), minute=0, second=0, microsecond=0)


def _share(nmck: Decimal, part: Decimal) -> Decimal:
    return (nmck * part / 100).quantize(CENT, ROUND_HALF_UP)


def _contract_security(purchase: Purchase, nmck: Decimal, part: Decimal) -> Security:
    """SMP-only purchases publish the share only: the amount follows the contract price (art. 96 ч. 6)."""
    return Security(part, None if purchase.smp_only else _share(nmck, part))


def _reprice(position: Position, factor: Decimal) -> Position:
    price = (position.price * factor).quantize(CENT, ROUND_HALF_UP)
    return Position(
        position.good, position.unit, position.quantity, price, (price * position.quantity).quantize(CENT)
    )


def status_of(version: NoticeVersion, now: datetime) -> str:
    purchase = version.purchase
    is44 = purchase.law == "44-FZ"
    if purchase.cancelled and version is purchase.latest:
        return catalog.STATUS_CANCELLED_44 if is44 else catalog.STATUS_CANCELLED_223
    if version.deadline > now:
        return catalog.STATUS_OPEN_44 if is44 else catalog.STATUS_OPEN_223
    if version.deadline > now - REVIEW_TIME:
        return catalog.STATUS_REVIEW_44 if is44 else catalog.STATUS_REVIEW_223
    return catalog.STATUS_DONE_44 if is44 else catalog.STATUS_DONE_223


def ground_truth(version: NoticeVersion, now: datetime) -> Notice:
    """The ``Notice`` a perfect parser produces from this version's full card."""
    p = version.purchase
    items = [
        NoticeItem(
            name=pos.good.name,
            okpd2=pos.good.okpd2,
            ktru=pos.good.ktru if p.law == "44-FZ" else None,  # 223 lot items carry OKPD2 only
            quantity=pos.quantity,
            unit=pos.unit.national,
            price=pos.price,
            sum=pos.sum,
        )
        for pos in version.positions
    ]
    regions = list(dict.fromkeys(place.region.code for place in p.places))
    bid, contract = version.bid_security, version.contract_security
    return Notice(
        reg_number=p.reg_number,
        law=p.law,
        version=version.number,
        method_code=p.method.code,
        method=p.method.name,
        kind=p.method.kind,
        title=p.title,
        status=status_of(version, now),
        customer_name=p.customer.name,
        customer_inn=p.customer.inn,
        customer_region=p.customer.region.code,
        delivery_places=[place.text for place in p.places],
        delivery_regions=regions,
        nmck=version.nmck,
        currency=p.currency.code,
        okpd2=list(dict.fromkeys(pos.good.okpd2 for pos in version.positions)),
        ktru=list(dict.fromkeys(item.ktru for item in items if item.ktru)),
        items=items,
        published_at=p.versions[0].published_at,
        updated_at=version.published_at,
        submission_deadline=version.deadline if version.has_deadline else None,
        auction_date=version.auction_date,
        bid_security=bid.amount if bid else None,
        bid_security_percent=bid.part if bid else None,
        contract_security=contract.amount if contract else None,
        contract_security_percent=contract.part if contract else None,
        smp_only=p.smp_only,
        preferences=[code for code, _, _ in p.preferences],
        etp_name=p.etp.name,
        etp_url=p.etp.url,
        ikz=p.ikz() if p.law == "44-FZ" else None,
        url=p.card_url,
        source="eis",
        completeness="card",
    )


def title_of(
    rng: random.Random, category: Category, customer: Organization, positions: list[Position]
) -> str:
    """The purchase object text, in natural Russian with inflected words, as customers write it."""
    template = _pick(rng, category.titles)
    mnn = positions[0].good.mnn or ""
    return template.format(cust=customer.short_name, mnn=mnn, mnn_upper=mnn.upper())


def _short_name(name: str) -> str:
    abbreviations = (
        ("ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ", "ГБУЗ"),
        ("ГОСУДАРСТВЕННОЕ АВТОНОМНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ", "ГАУЗ"),
        ("ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ", "ГКУ"),
        ("ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ КУЛЬТУРЫ", "ГБУК"),
        ("ГОСУДАРСТВЕННОЕ АВТОНОМНОЕ УЧРЕЖДЕНИЕ СОЦИАЛЬНОГО ОБСЛУЖИВАНИЯ", "ГАУСО"),
        ("МУНИЦИПАЛЬНОЕ БЮДЖЕТНОЕ ОБЩЕОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ", "МБОУ"),
        ("МУНИЦИПАЛЬНОЕ БЮДЖЕТНОЕ ДОШКОЛЬНОЕ ОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ", "МБДОУ"),
        ("ФЕДЕРАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ", "ФКУ"),
        ("ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ ОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ ВЫСШЕГО ОБРАЗОВАНИЯ", "ФГБОУ ВО"),
        ("МУНИЦИПАЛЬНОЕ УНИТАРНОЕ ПРЕДПРИЯТИЕ", "МУП"),
        ("ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "ПАО"),
        ("АКЦИОНЕРНОЕ ОБЩЕСТВО", "АО"),
        ("ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", "ООО"),
    )
    for long, short in abbreviations:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f h c ch sh sch - y - e yu ya".split(),
        strict=True,
    )
)


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalpha()).replace("-", "")


def moscow_now_floor(now: datetime | None) -> datetime:
    """The snapshot's "now": given, or today's midnight in Moscow so one day's builds are identical."""
    if now is not None:
        if now.tzinfo is None:
            raise ValueError(f"now must be timezone-aware, got {now!r}")
        return now
    msk = timezone(timedelta(hours=3))
    today = datetime.now(msk)
    return today.replace(hour=0, minute=0, second=0, microsecond=0)


def _currency_of(guid: str) -> Currency:
    """Drawn from the purchase's guid, not the generator's stream, so every other fact of a seed
    stays what it was before currencies were added."""
    draw = zlib.crc32(guid.encode()) % 100
    if draw >= FOREIGN_CURRENCY_PERCENT:
        return CURRENCIES["RUB"]
    return CURRENCIES[("EUR", "USD", "CNY")[draw % 3]]


def _small_purchase(purchase: Purchase, positions: list[Position]) -> bool:
    """Whether a new 44-FZ purchase becomes an EZT2020 small purchase. Only non-drug auctions
    within the limit are turned, and the draw comes from the guid: the generator's stream (and
    so every other fact of a seed) is the same as before small purchases existed."""
    if purchase.method.code != "EAP20" or purchase.category.drugs:
        return False
    if sum((pos.sum for pos in positions), Decimal(0)) > SMALL_PURCHASE_LIMIT:
        return False
    return zlib.crc32(purchase.guid.encode()) % 1000 // 10 < SMALL_PURCHASE_PERCENT
