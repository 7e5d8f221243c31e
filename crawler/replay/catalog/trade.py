"""Who buys and where: electronic platforms, placing methods, customer names, attachments, stages and
the security thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Etp:
    code: str
    name: str
    url: str


ETPS: tuple[Etp, ...] = (
    Etp("ETP_SBAST", "АО «Сбербанк-АСТ»", "http://www.sberbank-ast.ru"),
    Etp("ETP_EETP", "РОСЭЛТОРГ (АО«ЕЭТП»)", "http://roseltorg.ru"),
    Etp("ETP_RTS", "ООО «РТС-тендер»", "http://www.rts-tender.ru"),
    Etp("ETP_MMVB", "Электронная торговая площадка «Фабрикант»", "https://www.fabrikant.ru"),
    Etp("ETP_ZAKAZRF", "АО «Агентство по государственному заказу Республики Татарстан»", "http://zakazrf.ru"),
    Etp("ETP_RAD", "АО «Российский аукционный дом»", "http://lot-online.ru"),
)

ETPS_223: tuple[Etp, ...] = (
    Etp("1076", "ЭТП ТЭК-Торг", "https://www.tektorg.ru"),
    Etp("2033", "Электронная площадка РТС-тендер", "https://223.rts-tender.ru"),
    Etp("1001", "АО «Сбербанк-АСТ» (ТП «Закупки по 223-ФЗ»)", "https://utp.sberbank-ast.ru"),
    Etp("1088", "Электронная площадка «Росэлторг»", "https://com.roseltorg.ru"),
)


@dataclass(frozen=True)
class Method:
    law: str
    code: str  # placingWay code (44) or purchaseMethodCode (223)
    name: str  # as published
    kind: str  # Notice.kind
    slug: str  # 44: card URL slug; 223: notice type suffix (AE, ZK, OK, EP, IS, "" for generic)
    weight: int


METHODS_44: tuple[Method, ...] = (
    Method("44-FZ", "EAP20", "Электронный аукцион", "auction", "ea20", 6),
    Method("44-FZ", "ZKP20", "Запрос котировок в электронной форме", "quotation", "zk20", 3),
    Method("44-FZ", "OKP20", "Открытый конкурс в электронной форме", "competition", "ok20", 2),
)

SMALL_PURCHASE_44 = Method(
    "44-FZ",
    "EZT20",
    "Закупка, осуществляемая в соответствии с частью 12 статьи 93 Закона № 44-ФЗ",
    "single_supplier",
    "ezt20",
    0,
)
"""The electronic small purchase (``epNotificationEZT2020``, card slug ``ezt20``): not drawn by
weight but made from some small auctions (see ``generate``). The slug and root are seen in public
scrapers; the code ``EZT20`` and the name's tail after «статьи 93» are inferred (docs/eis-site.md)."""

METHODS_223: tuple[Method, ...] = (
    Method("223-FZ", "4001", "Аукцион в электронной форме", "auction", "AE", 4),
    Method("223-FZ", "4002", "Запрос котировок в электронной форме", "quotation", "ZK", 3),
    Method("223-FZ", "4003", "Конкурс в электронной форме", "competition", "OK", 2),
    Method("223-FZ", "24576", "Открытый запрос цен в электронной форме", "quotation", "", 2),
    Method(
        "223-FZ",
        "4005",
        "Закупка у единственного поставщика (исполнителя, подрядчика)",
        "single_supplier",
        "EP",
        2,
    ),
    Method("223-FZ", "4006", "Иной способ", "other", "IS", 1),
)

NOTICE_ROOT_44 = {
    "EAP20": "epNotificationEF2020",
    "ZKP20": "epNotificationEZK2020",
    "OKP20": "epNotificationEOK2020",
    "EZT20": "epNotificationEZT2020",
}

CUSTOMER_TEMPLATES_44: tuple[tuple[str, str], ...] = (
    # (level digit of customerCode and IKZ, name template)
    (
        "2",
        'ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ {gen} "ГОРОДСКАЯ КЛИНИЧЕСКАЯ БОЛЬНИЦА № {n}"',
    ),
    ("2", 'ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ {gen} "УПРАВЛЕНИЕ АВТОМОБИЛЬНЫХ ДОРОГ"'),
    ("2", "МИНИСТЕРСТВО ЗДРАВООХРАНЕНИЯ {gen}"),
    ("2", 'ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ КУЛЬТУРЫ {gen} "ЦЕНТРАЛЬНАЯ БИБЛИОТЕКА"'),
    ("2", 'ГОСУДАРСТВЕННОЕ АВТОНОМНОЕ УЧРЕЖДЕНИЕ СОЦИАЛЬНОГО ОБСЛУЖИВАНИЯ {gen} "ДОМ-ИНТЕРНАТ № {n}"'),
    ("3", 'МУНИЦИПАЛЬНОЕ БЮДЖЕТНОЕ ОБЩЕОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ "СРЕДНЯЯ ОБЩЕОБРАЗОВАТЕЛЬНАЯ ШКОЛА № {n}"'),
    ("3", 'МУНИЦИПАЛЬНОЕ БЮДЖЕТНОЕ ДОШКОЛЬНОЕ ОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ "ДЕТСКИЙ САД № {n}"'),
    ("3", 'АДМИНИСТРАЦИЯ ГОРОДСКОГО ОКРУГА "{city_upper}"'),
    ("1", 'ФЕДЕРАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "ЦЕНТР ХОЗЯЙСТВЕННОГО И СЕРВИСНОГО ОБЕСПЕЧЕНИЯ {gen}"'),
    (
        "1",
        "ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ ОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ ВЫСШЕГО ОБРАЗОВАНИЯ "
        '"{city_upper}СКИЙ ГОСУДАРСТВЕННЫЙ ТЕХНИЧЕСКИЙ УНИВЕРСИТЕТ"',
    ),
)

CUSTOMER_TEMPLATES_223: tuple[str, ...] = (
    'АКЦИОНЕРНОЕ ОБЩЕСТВО "ГОРОДСКИЕ ЭЛЕКТРИЧЕСКИЕ СЕТИ {city_upper}"',
    'МУНИЦИПАЛЬНОЕ УНИТАРНОЕ ПРЕДПРИЯТИЕ "ВОДОКАНАЛ {city_upper}"',
    'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "ТЕПЛОВАЯ КОМПАНИЯ {city_upper}"',
    'ГОСУДАРСТВЕННОЕ АВТОНОМНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ {gen} "ОБЛАСТНАЯ БОЛЬНИЦА № {n}"',
    'АКЦИОНЕРНОЕ ОБЩЕСТВО "ПАССАЖИРСКОЕ АВТОТРАНСПОРТНОЕ ПРЕДПРИЯТИЕ № {n}"',
    'ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "РЕГИОНАЛЬНАЯ ЭНЕРГОСБЫТОВАЯ КОМПАНИЯ {gen}"',
)

ATTACHMENT_KINDS: tuple[tuple[str, str, str, str], ...] = (
    # (file name, description, docKind code, docKind name)
    (
        "Обоснование НМЦК.xlsx",
        "Обоснование начальной (максимальной) цены контракта",
        "MRJ",
        "Обоснование начальной (максимальной) цены контракта",
    ),
    ("Проект контракта.docx", "Проект контракта", "CP", "Проект контракта"),
    ("Описание объекта закупки.docx", "Описание объекта закупки", "POD", "Описание объекта закупки"),
    (
        "Требования к заявке.docx",
        "Требования к содержанию, составу заявки",
        "CAR",
        "Требование к содержанию, составу заявки на участие в закупке",
    ),
)

STATUS_OPEN_44 = "Подача заявок"
STATUS_REVIEW_44 = "Работа комиссии"
STATUS_CANCELLED_44 = "Определение поставщика отменено"
STATUS_OPEN_223 = "Подача заявок"
STATUS_REVIEW_223 = "Работа комиссии"
STATUS_CANCELLED_223 = "Закупка отменена"
STATUS_DONE_44 = "Определение поставщика завершено"  # as on the real search page (html_eis_list.html)
STATUS_DONE_223 = "Закупка завершена"  # as on the real 223 search page (html_eis_list_223.html)

BID_SECURITY_FREE_LIMIT = Decimal("1000000")
"""44-FZ art. 44: no bid security up to 1 mln RUB NMCK."""
BID_SECURITY_BAND_LIMIT = Decimal("20000000")
"""Up to 20 mln the bid security is 0.5–1 % of NMCK; above it 0.5–5 % (≤ 2 % for SMP-only purchases)."""
