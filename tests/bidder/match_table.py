"""The acceptance table of the matcher: real EIS titles and realistic ones, with the expected verdict.

Titles marked (EIS) are copied by hand from ../shared/eis_samples (purchaseObjectInfo of the XML
cards, the search-results pages and the RSS feed); the rest are written the way customers write.
Each case names the exact set of profiles that must match, so a case fails on a miss and on a
false alarm alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from typing import Any

from data.notice import Notice
from data.notice import NoticeItem

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # 12:00 Moscow, Monday
VLADIVOSTOK = timezone(timedelta(hours=10))

PROFILES: list[dict[str, Any]] = [
    {
        "name": "it",
        "description": "Computers and office equipment, Moscow and the oblast",
        "regions": ["Москва", "Московская область"],
        "okpd2": ["26.20"],
        "keywords": ["ноутбук", "компьютер*", "поставка компьютерной техники", "мфу"],
        "exclude": ["ремонт", "заправка картриджей"],
        "price_min": 100_000,
        "price_max": "5000000",
        "laws": ["44-ФЗ"],
        "chats": [-100100],
    },
    {
        "name": "print",
        "description": "Copy and print services, delivered in Moscow only",
        "delivery_regions": ["77"],
        "okpd2": ["82.19"],
        "keywords": ["копирование документов", "бумажных копий"],
    },
    {
        "name": "drainage",
        "description": "Drainage trays for Moscow customers, quotations with time to prepare",
        "customer_regions": "Москва",
        "delivery_regions": "any",
        "keywords": ["лоток водоотводный", "лотков водоотводных"],
        "kinds": ["quotation"],
        "min_days_left": 3,
    },
    {
        "name": "guards",
        "description": "Security services anywhere, only SMP purchases, small bid security",
        "okpd2": ["80.10"],
        "keywords": ["охрана"],
        "exclude": ["пожарная охрана"],
        "smp": "only",
        "max_bid_security": 50_000,
    },
    {
        "name": "pharma",
        "description": "Drugs, except narcotics, never for one blacklisted customer",
        "okpd2": ["21.20"],
        "ktru": ["21.20.10.181-00000001"],
        "keywords": ["лекарственный препарат"],
        "exclude": ["наркотических"],
        "customers_exclude": ["7701234567"],
        "laws": ["44-FZ", "223-FZ"],
    },
    {
        "name": "stationery",
        "description": "Paper and pens for two known customers, non-SMP purchases",
        "keywords": ["бумага", "блокнот", "ручки шариковые", "канцеляр*"],
        "customers_include": ["7702070139", "0105012345"],
        "smp": "exclude",
        "price_max": 300_000,
    },
    {
        "name": "electronics-2",
        "description": "The whole 26.2 subclass (computers and peripherals), Far East",
        "regions": ["25", "Хабаровский край"],
        "okpd2": ["26.2"],
        "kinds": ["auction", "quotation"],
    },
]


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    expected: frozenset[str]
    fields: dict[str, Any] = field(default_factory=dict)


def notice(title: str, **fields: Any) -> Notice:
    """A 44-FZ auction from a Moscow customer with two weeks to go, unless ``fields`` says otherwise."""
    data: dict[str, Any] = {
        "reg_number": "0373200000125000001",
        "law": "44-FZ",
        "kind": "auction",
        "title": title,
        "customer_inn": "7700000000",
        "customer_region": "77",
        "nmck": Decimal("1000000.00"),
        "submission_deadline": NOW + timedelta(days=14),
        "smp_only": True,
    }
    items = fields.pop("items", None)
    if items is not None:
        data["items"] = [NoticeItem(name=i) if isinstance(i, str) else i for i in items]
    data.update(fields)
    return Notice(**data)


def case(id: str, title: str, expected: set[str] | frozenset[str], **fields: Any) -> Case:
    return Case(id, title, frozenset(expected), fields)


CASES: list[Case] = [
    # --- morphology and phrases
    case("plural genitive", "Поставка ноутбуков для нужд школы", {"it"}),
    case("phrase in accusative", "На поставку компьютерной техники", {"it"}),
    case("phrase lemmas in other cases", "Услуги по копированию документов", {"print"}),
    case("phrase split by a word does not match", "Копирование архивных документов", set()),
    case("phrase words out of order do not match", "Документов копирование", set()),
    case("a broken phrase still hits by the word family", "Поставка компьютерной и оргтехники", {"it"}),
    case("family prefix", "Закупка компьютеров и комплектующих", {"it"}),
    case("ё spelled е and Ё", "ПОСТАВКА НОУТБУКОВ", {"it"}),
    case("abbreviation", "Поставка МФУ для нужд ГБУ", {"it"}),
    case(
        "EIS: MFP service + OKPD2 from the card",
        "Оказание услуг по комплексному обеспечению создания бумажных копий электронных документов "
        "и электронных представлений бумажных документов в 2025-2027 годах",
        {"it", "print"},
        okpd2=["26.20.18.120", "82.19.11.000"],
        items=["Многофункциональное устройство (МФУ)"],
        nmck=Decimal("4500000.00"),
    ),
    case("minus-word in another case", "Ремонт ноутбуков и компьютеров", set()),
    case("minus-phrase", "Заправка картриджей и поставка компьютеров", set()),
    case("minus-phrase words apart do not veto", "Поставка картриджей, заправка принтеров, ноутбук", {"it"}),
    case("not a keyword: компьютерщик is not ноутбук", "Услуги системного администратора", set()),
    # --- codes
    case("OKPD2 within 26.20 by code only", "Поставка оборудования", {"it"}, okpd2=["26.20.15.000"]),
    # 26.2 is not within the profile's 26.20, but its name («Компьютеры и периферийное оборудование»)
    # carries the keyword «компьютер*»: a vague title with a telling code is still ours
    case("OKPD2 26.2 is no 26.20, its name says computers", "Поставка оборудования", {"it"}, okpd2=["26.2"]),
    case("KTRU carries its OKPD2", "Поставка оборудования", {"it"}, ktru=["26.20.15.000-00000012"]),
    case(
        "EIS: drugs by KTRU and OKPD2",
        "МНН - ОКТРЕОТИД",
        {"pharma"},
        okpd2=["21.20.10.181"],
        ktru=["21.20.10.181-00000001"],
        items=["ОКТРЕОТИД, РАСТВОР ДЛЯ ВНУТРИВЕННОГО И ПОДКОЖНОГО ВВЕДЕНИЯ 0.1 мг/мл"],
    ),
    case(
        "EIS: drugs, minus-word in the title",
        "Поставка лекарственных препаратов, содержащих наркотических средств",
        set(),
    ),
    case(
        "EIS: drugs for a blacklisted customer",
        "Поставка лекарственных препаратов в целях обеспечения отдельных категорий граждан",
        set(),
        customer_inn="7701234567",
    ),
    case(
        "EIS 223-FZ drugs",
        "Лекарственные препараты для стационарных отделений",
        {"pharma"},
        law="223-FZ",
        kind="other",
    ),
    # --- regions
    case("region by customer (regions)", "Поставка ноутбуков", {"it"}, customer_region="50"),
    case(
        "region by delivery (regions) with a customer elsewhere",
        "Поставка ноутбуков",
        {"it"},
        customer_region="78",
        delivery_regions=["50"],
    ),
    case("no region of the profile", "Поставка ноутбуков", set(), customer_region="78"),
    case(
        "delivery region required, customer in Moscow, delivery elsewhere",
        "Услуги по копированию документов",
        set(),
        okpd2=["82.19.11.000"],
        delivery_regions=["50"],
    ),
    case(
        "delivery region falls back to the customer's",
        "Копирование документов",
        {"print"},
        okpd2=["82.19.11.000"],
    ),
    case(
        "customer region only, delivery anywhere",
        "Поставка лотков водоотводных пластиковых для нужд ГБУ «Жилищник ЗелАО» в 2025 году.",
        {"drainage"},
        kind="quotation",
        delivery_regions=["50"],
    ),
    case(
        "customer region outside",
        "Поставка лотков водоотводных пластиковых",
        set(),
        kind="quotation",
        customer_region="50",
        delivery_regions=["77"],
    ),
    case(
        "Far East: region named in the profile, code 26.2 covers 26.20",
        "Поставка хозяйственных товаров",
        {"electronics-2"},
        customer_region="27",
        okpd2=["26.20.40.110"],
        nmck=None,
    ),
    case("no region at all in the notice", "Поставка ноутбуков", set(), customer_region=None),
    # --- price
    case("price at the lower bound", "Поставка ноутбуков", {"it"}, nmck=Decimal("100000.00")),
    case("price a kopeck below", "Поставка ноутбуков", set(), nmck=Decimal("99999.99")),
    case("price at the upper bound", "Поставка ноутбуков", {"it"}, nmck=Decimal("5000000")),
    case("price a kopeck above", "Поставка ноутбуков", set(), nmck=Decimal("5000000.01")),
    case("no NMCK with a price band", "Поставка ноутбуков", set(), nmck=None),
    # --- deadlines (drainage needs 3 calendar days, Moscow time)
    case(
        "deadline in exactly 3 Moscow days",
        "Поставка лотков водоотводных",
        {"drainage"},
        kind="quotation",
        submission_deadline=datetime(2025, 3, 6, 9, 0, tzinfo=UTC),
    ),
    case(
        "deadline 2 Moscow days away",
        "Поставка лотков водоотводных",
        set(),
        kind="quotation",
        submission_deadline=datetime(2025, 3, 5, 20, 59, tzinfo=UTC),  # 23:59 Moscow on the 5th
    ),
    case(
        "deadline in Vladivostok time, the 6th there but the 5th in Moscow",
        "Поставка лотков водоотводных",
        set(),
        kind="quotation",
        submission_deadline=datetime(2025, 3, 6, 2, 0, tzinfo=VLADIVOSTOK),  # 19:00 Moscow on the 5th
    ),
    case(
        "deadline passed",
        "Поставка лотков водоотводных",
        set(),
        kind="quotation",
        submission_deadline=NOW - timedelta(minutes=1),
    ),
    case("no deadline", "Поставка лотков водоотводных", set(), kind="quotation", submission_deadline=None),
    # --- laws, kinds
    case("law outside the profile", "Поставка ноутбуков", set(), law="223-FZ"),
    case("kind outside the profile", "Поставка лотков водоотводных", set(), kind="auction"),
    # --- SMP and bid security
    case(
        "EIS: guards, SMP only",
        "Оказание услуг по технической охране объектов с помощью технических средств охраны",
        {"guards"},
        okpd2=["80.20.10.000"],
        bid_security=Decimal("50000.00"),
    ),
    case("guards, not an SMP purchase", "Услуги охраны", set(), smp_only=False),
    case("guards, bid security above the cap", "Услуги охраны", set(), bid_security=Decimal("50000.01")),
    case("guards, minus-phrase", "Услуги пожарной охраны", set()),
    # --- customers
    case(
        "stationery for an included customer, non-SMP",
        "Поставка сувенирной продукции (блокноты)",
        {"stationery"},
        customer_inn="7702070139",
        smp_only=False,
        nmck=Decimal("300000"),
    ),
    case(
        "EIS: stationery, family prefix, paper in another case",
        "Приобретение бумаги для офисной технике Отдела МВД России по г. Майкопу",
        {"stationery"},
        customer_inn="0105012345",
        customer_region="01",
        smp_only=False,
        nmck=Decimal("150000"),
        items=["Канцелярские товары"],
    ),
    case(
        "stationery for a customer not included",
        "Поставка сувенирной продукции (ручки шариковые)",
        set(),
        smp_only=False,
        nmck=Decimal("300000"),
    ),
    case(
        "stationery, SMP purchase excluded",
        "Поставка сувенирной продукции (ручки шариковые)",
        set(),
        customer_inn="7702070139",
        nmck=Decimal("300000"),
    ),
    # --- unrelated real titles
    case(
        "EIS: design documentation",
        "Разработка проектной документации на капитальный ремонт ИТП и наружных сетей",
        set(),
        okpd2=["71.11.22.000"],
    ),
    case("EIS: smell simulators", "закупка запаховых имитаторов", set()),
    case(
        "EIS: road works (Sakhalin)",
        "Выполнение работ по восстановлению земляного полотна на участках с пучинистыми грунтами",
        set(),
        customer_region="65",
    ),
]
