"""44-FZ notice XML: every real sample, field by field, plus the format traps on derived documents.

Expected values were read off the sample XML by hand (``../shared/eis_samples``); the derived
documents are built in memory from those bytes (prefixes renamed, wrapper added or removed) or
written inline, never copied into the project.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal as D

import pytest

from crawler.parsers import NotANotice
from crawler.parsers import ParseError
from crawler.parsers import detect_format
from crawler.parsers import parse_document
from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import MOSCOW
from data.notice import Notice
from data.notice import NoticeItem
from tests.conftest import sample_bytes


def at(*parts: int, tz: int) -> datetime:
    return datetime(*parts, tzinfo=timezone(timedelta(hours=tz)))


MFU = "Многофункциональное устройство (МФУ)"
MFU_UNIT = dict(okpd2="26.20.18.120", unit="Штука")
PRINT_SERVICE = (
    "Организация и предоставление бесперебойной работы сервиса печати, копирования и сканирования на "
    "оборудовании Заказчика"
)
GUARD_SERVICE = (
    "Оказание услуг по охране с помощью охранной сигнализации с вводом сигнала на ПЦН в том числе: охрана "
    "имущества, защита от незаконного проникновения, неограниченное количество выездов экипажа службы "
    "реагирования, круглосуточная техническая поддержка и сервис по адресу: "
)
DESIGN = "проектной документации на капитальный ремонт административных зданий"
MILLILITRE = "Кубический сантиметр; миллилитр"
DRUG_UNIT = dict(unit=MILLILITRE)

EXPECTED: dict[str, dict] = {
    "44fz_epNotificationEF2020_0173200001425001720.xml": dict(
        reg_number="0173200001425001720",
        version=1,
        method_code="EAP20",
        method="Электронный аукцион",
        kind="auction",
        title=(
            "Оказание услуг по комплексному обеспечению создания бумажных копий электронных документов и "
            "электронных представлений бумажных документов в 2025-2027 годах"
        ),
        # Placed by an authorised body (responsibleRole RA, INN 7704515009): the customer's INN and
        # region come from IKZInfo/customerCode 2|7701356086|770301001.
        customer_name='ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ ГОРОДА МОСКВЫ "ИНФОРМАЦИОННЫЙ ГОРОД"',
        customer_inn="7701356086",
        customer_region="77",
        delivery_places=["г. Москва"],
        delivery_regions=["77"],
        nmck=D("388050008.2"),
        currency="RUB",
        okpd2=["26.20.18.120", "82.19.11.000"],
        ktru=["26.20.18.000-00000068", "26.20.18.000-00000069"],
        published_at=at(2025, 11, 7, 9, 49, 15, 961000, tz=3),
        updated_at=at(2025, 11, 7, 9, 49, 15, 961000, tz=3),
        submission_deadline=at(2025, 11, 24, 10, 0, tz=3),
        auction_date=date(2025, 11, 24),
        bid_security=D("1940250.04"),
        bid_security_percent=D("0.5"),
        contract_security=D("116415002.46"),
        contract_security_percent=D("30.0"),
        smp_only=False,
        preferences=[],
        etp_name="РОСЭЛТОРГ (АО«ЕЭТП»)",
        etp_url="http://roseltorg.ru",
        ikz="252770135608677030100101820010000244",
        url="https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0173200001425001720",
        notes=[],
        items=[
            NoticeItem(
                name=MFU,
                ktru="26.20.18.000-00000068",
                quantity=D(250),
                price=D("504042.3"),
                sum=D(126010575),
                **MFU_UNIT,
            ),
            NoticeItem(
                name=MFU,
                ktru="26.20.18.000-00000068",
                quantity=D(10),
                price=D("788650.74"),
                sum=D("7886507.4"),
                **MFU_UNIT,
            ),
            NoticeItem(
                name=MFU,
                ktru="26.20.18.000-00000069",
                quantity=D(550),
                price=D("91207.14"),
                sum=D(50163927),
                **MFU_UNIT,
            ),
            NoticeItem(
                name=MFU,
                ktru="26.20.18.000-00000068",
                quantity=D(40),
                price=D("654253.62"),
                sum=D("26170144.8"),
                **MFU_UNIT,
            ),
            NoticeItem(
                name=PRINT_SERVICE,
                okpd2="82.19.11.000",
                quantity=D(2),
                unit="Условная единица",
                price=D(87002492),
                sum=D(174004984),
            ),
            NoticeItem(
                name=MFU,
                ktru="26.20.18.000-00000068",
                quantity=D(50),
                price=D("76277.4"),
                sum=D(3813870),
                **MFU_UNIT,
            ),
        ],
    ),
    "44fz_epNotificationEF2020_0373100084625000417_drugs.xml": dict(
        reg_number="0373100084625000417",
        version=1,
        method_code="EAP20",
        method="Электронный аукцион",
        kind="auction",
        title="МНН - ОКТРЕОТИД",
        customer_name=(
            'ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ "НАЦИОНАЛЬНЫЙ МЕДИЦИНСКИЙ '
            'ИССЛЕДОВАТЕЛЬСКИЙ ЦЕНТР КОЛОПРОКТОЛОГИИ ИМЕНИ А.Н. РЫЖИХ" МИНИСТЕРСТВА ЗДРАВООХРАНЕНИЯ '
            "РОССИЙСКОЙ ФЕДЕРАЦИИ"
        ),
        customer_inn="7734087696",
        customer_region="77",
        delivery_places=["город Москва, улица Саляма Адиля, дом 2, строение 28, склад Заказчика"],
        delivery_regions=["77"],
        nmck=D("143599.5"),
        currency="RUB",
        okpd2=["21.20.10.181"],
        ktru=["21.20.10.181-00007"],
        published_at=at(2025, 10, 24, 9, 18, 8, 362000, tz=3),
        updated_at=at(2025, 10, 24, 9, 18, 8, 362000, tz=3),
        submission_deadline=at(2025, 11, 5, 8, 0, tz=3),
        auction_date=date(2025, 11, 5),  # <biddingDate>2025-11-05+03:00</biddingDate>
        bid_security=None,
        bid_security_percent=None,
        contract_security=D("14359.95"),
        contract_security_percent=D("10.0"),
        smp_only=False,
        preferences=[],
        etp_name="Электронная торговая площадка «Фабрикант»",
        etp_url="https://www.fabrikant.ru",
        ikz="251773408769677340100100083240000244",
        url="https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373100084625000417",
        notes=[],
        items=[
            NoticeItem(
                name=(
                    "ОКТРЕОТИД, РАСТВОР ДЛЯ ВНУТРИВЕННОГО И ПОДКОЖНОГО ВВЕДЕНИЯ 0.1 мг/мл, "
                    "единица измерения товара: Кубический сантиметр; миллилитр (СМ3; МЛ)"
                ),
                okpd2="21.20.10.181",
                ktru="21.20.10.181-00007",
                quantity=D(1500),
                unit="Кубический сантиметр; миллилитр (см[3*]; мл)",  # published as «сантиметр;^миллилитр»
                price=D("95.733"),
                sum=D("143599.50"),
            ),
        ],
    ),
    "44fz_epNotificationEOK2020_0373200138225001206.xml": dict(
        reg_number="0373200138225001206",
        version=2,
        method_code="OKP20",
        method="Открытый конкурс в электронной форме",
        kind="competition",
        title=(
            "Разработка проектной документации на капитальный ремонт ИТП и наружных сетей ГБУК г. Москвы "
            '"Мосразвитие" (структурное подразделение "КЦ "Москворечье" по адресу: г. Москва, Каширское ш., '
            "д. 52)"
        ),
        customer_name=(
            'ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ ГОРОДА МОСКВЫ "ТЕХНИЧЕСКИЙ ЦЕНТР ДЕПАРТАМЕНТА КУЛЬТУРЫ '
            'ГОРОДА МОСКВЫ"'
        ),
        customer_inn="7710661801",
        customer_region="77",
        delivery_places=["г Москва, вн.тер.г. муниципальный округ Москворечье-Сабурово, ш Каширское, д. 52"],
        delivery_regions=["77"],
        nmck=D("3749627.69"),
        currency="RUB",
        okpd2=["71.11.22.000"],
        ktru=[],
        published_at=at(2025, 10, 15, 15, 1, 45, 540000, tz=3),
        updated_at=at(2025, 10, 15, 15, 1, 45, 540000, tz=3),
        submission_deadline=at(2025, 10, 27, 7, 0, tz=3),
        auction_date=None,  # a competition has no biddingDate
        bid_security=D("37496.28"),
        bid_security_percent=D("1.0"),
        contract_security=None,  # contractGuarantee gives part 5.0 and no amount
        contract_security_percent=D("5.0"),
        smp_only=True,  # PVS33044: part 3 of art. 30
        preferences=["PVS33044"],
        etp_name="РОСЭЛТОРГ (АО«ЕЭТП»)",
        etp_url="http://roseltorg.ru",
        ikz="252771066180177340100101440010000243",
        url="https://zakupki.gov.ru/epz/order/notice/ok20/view/common-info.html?regNumber=0373200138225001206",
        notes=[],
        items=[
            NoticeItem(
                name=f"Разработка {DESIGN}",
                okpd2="71.11.22.000",
                quantity=D(1),
                unit="Условная единица",
                price=D("1392564.12"),
                sum=D("1392564.12"),
            ),
            NoticeItem(
                name=f"Проведение инженерных изысканий для подготовки {DESIGN}",
                okpd2="71.11.22.000",
                quantity=D(1),
                unit="Условная единица",
                price=D("697552.32"),
                sum=D("697552.32"),
            ),
            NoticeItem(
                name=f"Выполнение обследования технического состояния для подготовки {DESIGN}",
                okpd2="71.11.22.000",
                quantity=D(1),
                unit="Условная единица",
                price=D("145886.41"),
                sum=D("145886.41"),
            ),
            NoticeItem(
                name="Разработка рабочей документации на капитальный ремонт административных зданий",
                okpd2="71.11.22.000",
                quantity=D(1),
                unit="Условная единица",
                price=D("1513624.84"),
                sum=D("1513624.84"),
            ),
        ],
    ),
    "44fz_epNotificationEZK2020_0373200624325000142.xml": dict(
        reg_number="0373200624325000142",
        version=1,
        method_code="ZKP20",
        method="Запрос котировок в электронной форме",
        kind="quotation",
        title="Поставка лотков водоотводных пластиковых для нужд ГБУ «Жилищник ЗелАО» в 2025 году.",
        customer_name=(
            'ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ГОРОДА МОСКВЫ "ЖИЛИЩНИК ЗЕЛЕНОГРАДСКОГО '
            'АДМИНИСТРАТИВНОГО ОКРУГА"'
        ),
        customer_inn="7735598855",
        customer_region="77",
        delivery_places=["Город Москва, город Зеленоград, проезд 4921-й, дом 1, строение 1; 3 этаж"],
        delivery_regions=["77"],
        nmck=D(93552),
        currency="RUB",
        okpd2=["22.29.29.190"],
        ktru=["22.29.29.190-00000057"],
        published_at=at(2025, 10, 15, 8, 31, 10, 396000, tz=3),
        updated_at=at(2025, 10, 15, 8, 31, 10, 396000, tz=3),
        submission_deadline=at(2025, 10, 22, 10, 0, tz=3),
        auction_date=None,
        bid_security=None,
        bid_security_percent=None,
        contract_security=None,
        contract_security_percent=None,
        smp_only=False,
        preferences=["IN44"],
        etp_name="РОСЭЛТОРГ (АО«ЕЭТП»)",
        etp_url="http://roseltorg.ru",
        ikz="252773559885577350100102410010000244",
        url="https://zakupki.gov.ru/epz/order/notice/zk20/view/common-info.html?regNumber=0373200624325000142",
        notes=[],
        items=[
            NoticeItem(
                name="Лоток водоотводный пластиковый",
                okpd2="22.29.29.190",  # from KTRU/OKPD2: the position has no OKPD2 of its own
                ktru="22.29.29.190-00000057",
                quantity=D(60),
                unit="Метр",
                price=D("1559.2"),
                sum=D(93552),
            ),
        ],
    ),
    "44fz_ftp_fcsNotificationEF_0318200041218000635_v8.3.xml": dict(
        reg_number="0318200041218000635",
        version=None,
        method_code="EAP44",
        method="Электронный аукцион",
        kind="auction",
        title="Оказание услуг по технической охране объектов с помощью технических средств охраны",
        customer_name=(
            'ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ "НАРКОЛОГИЧЕСКИЙ ДИСПАНСЕР" МИНИСТЕРСТВА '
            "ЗДРАВООХРАНЕНИЯ КРАСНОДАРСКОГО КРАЯ"
        ),
        customer_inn="2312052583",
        customer_region="23",
        # one kladrPlace/deliveryPlace listing two addresses, one per line
        delivery_places=[
            "Краснодарский край, г. Сочи, ул. Пластунская, 157",
            "Краснодарский край, г. Сочи-А, ул. Голубые Дали, 37",
        ],
        delivery_regions=["23"],
        nmck=D(120000),
        currency="RUB",
        okpd2=["80.10.12.000"],
        ktru=[],
        published_at=at(2018, 11, 29, 22, 32, 57, 196000, tz=3),
        updated_at=at(2018, 11, 29, 22, 32, 57, 196000, tz=3),
        submission_deadline=at(2018, 12, 7, 16, 30, tz=3),
        auction_date=date(2018, 12, 13),  # procedureInfo/bidding/date
        bid_security=None,
        bid_security_percent=None,
        contract_security=D("6000.00"),
        contract_security_percent=None,
        smp_only=False,
        preferences=[],
        etp_name="ЗАО «Сбербанк-АСТ»",
        etp_url="http://www.sberbank-ast.ru",
        ikz="182231205258323120100101120158010000",
        url="http://zakupki.gov.ru/epz/order/notice/ea44/view/common-info.html?regNumber=0318200041218000635",
        notes=[],
        items=[
            NoticeItem(
                name=GUARD_SERVICE + "Краснодарский край, г. Сочи-А, ул. Голубые Дали, 37",
                okpd2="80.10.12.000",
                quantity=D(12),
                unit="Месяц",  # OKEI/fullName in the fcs layout
                price=D(5000),
                sum=D(60000),
            ),
            NoticeItem(
                name=GUARD_SERVICE + "Краснодарский край, г. Сочи, ул. Пластунская, 157",
                okpd2="80.10.12.000",
                quantity=D(12),
                unit="Месяц",
                price=D(5000),
                sum=D(60000),
            ),
        ],
    ),
    "44fz_ftp_fcsNotificationZK44_0176100002714001240_5091.xml": dict(
        reg_number="0176100002714001240",
        version=None,
        method_code="ZK44",
        method="Запрос котировок",
        kind="quotation",
        title="Приобретение бумаги для офисной технике Отдела МВД России по г. Майкопу",
        # 2014: the customer is given by regNum only and no INN/KPP/IKZ exists anywhere; the
        # customer placed the notice (role CU), so its name and address are the responsible org's.
        customer_name="Отдел Министерства внутренних дел Российской Федерации по городу Майкопу",
        customer_inn=None,
        customer_region="01",  # «Адыгея Респ» in the address
        delivery_places=["Республика Адыгея, г.Майкоп, ул. Краснооктябрьская, 23"],
        delivery_regions=["01"],
        nmck=D(269990),
        currency="RUB",
        okpd2=[],
        ktru=[],
        published_at=at(2014, 1, 14, 19, 30, 42, 936000, tz=4),
        updated_at=at(2014, 1, 14, 19, 30, 42, 936000, tz=4),
        submission_deadline=at(2014, 1, 22, 18, 0, tz=4),
        auction_date=None,
        bid_security=None,
        bid_security_percent=None,
        contract_security=None,
        contract_security_percent=None,
        smp_only=True,  # «Субъектам малого предпринимательства (в соответствии со Статьей 30 ...)»
        preferences=["8361034"],
        etp_name=None,
        etp_url=None,
        ikz=None,
        url="http://zakupki.gov.ru/epz/order/notice/zk44/view/common-info.html?noticeId=5091",
        notes=["positions are classified by the old OKPD (not OKPD2): 21.12.14.132"],
        items=[
            NoticeItem(
                name="Бумага для офисной техники",
                quantity=D("1862.0"),
                unit="УПАК",
                price=D(145),
                sum=D(269990),
            ),
        ],
    ),
    "44fz_printform_epNotificationEZK_0320100007621000014.xml": dict(
        reg_number="0320100007621000014",
        version=3,
        method_code="ZKP504",
        method="Запрос котировок в электронной форме",
        kind="quotation",
        title="закупка запаховых имитаторов",
        customer_name="ВЛАДИВОСТОКСКАЯ ТАМОЖНЯ",
        customer_inn="2540015767",
        customer_region="25",
        delivery_places=[
            "Российская Федерация, Приморский край, Владивосток г, ул. Нижне-Портовая, 3Б (здание АБК МПП, "
            "кинологический отдел)."
        ],
        delivery_regions=["25"],  # KLADR 25000001000
        nmck=D(121600),
        currency="RUB",
        okpd2=["20.13.52.110"],
        ktru=[],
        published_at=at(2021, 4, 13, 9, 49, 58, 162000, tz=10),  # Vladivostok offset kept
        updated_at=at(2021, 4, 13, 9, 49, 58, 162000, tz=10),
        submission_deadline=at(2021, 4, 22, 9, 0, tz=10),
        auction_date=None,
        bid_security=None,
        bid_security_percent=None,
        contract_security=None,
        contract_security_percent=None,
        smp_only=False,
        preferences=[],
        etp_name="АО «Сбербанк-АСТ»",
        etp_url="http://www.sberbank-ast.ru",
        ikz="211254001576725400100100410012013244",  # contractConditionsInfo/purchaseCode in 504
        url="https://zakupki.gov.ru/epz/order/notice/zk504/view/common-info.html?regNumber=0320100007621000014",
        notes=[],
        items=[
            NoticeItem(
                name="набор имитаторов запахов",
                okpd2="20.13.52.110",
                quantity=D(2),
                unit="Комплект",
                price=D(11300),
                sum=D(22600),
            ),
            NoticeItem(
                name="набор имитаторов запахов наркотических веществ",
                okpd2="20.13.52.110",
                quantity=D(3),
                unit="Комплект",
                price=D(33000),
                sum=D(99000),
            ),
        ],
    ),
    "44fz_printform_fcsNotificationEF_0301300140921000011.xml": dict(
        reg_number="0301300140921000011",
        version=None,
        method_code="EAP44",
        method="Электронный аукцион",
        kind="auction",
        title=(
            "Закупка материалов медицинского назначения и лекарственных препаратов в 2021 году "
            "(изготовление и поставка экстемпоральных лекарственных препаратов)"
        ),
        customer_name=(
            "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ РЕСПУБЛИКИ БАШКОРТОСТАН "
            "ПОЛИКЛИНИКА № 48 ГОРОДА УФА"
        ),
        customer_inn="0278060411",
        customer_region="02",
        delivery_places=["Республика Башкортостан, г. Уфа, ул. Минигали Губайдуллина 21/1, кабинет 2а"],
        delivery_regions=["02"],
        nmck=D("44648.67"),
        currency="RUB",
        okpd2=[],  # the drugs carry no OKPD2 in this document
        ktru=[],
        published_at=at(2021, 4, 8, 0, 22, 49, 760000, tz=5),
        updated_at=at(2021, 4, 8, 0, 22, 49, 760000, tz=5),
        submission_deadline=at(2021, 4, 16, 10, 0, tz=5),
        auction_date=date(2021, 4, 20),
        bid_security=None,
        bid_security_percent=None,
        contract_security=D("2232.43"),
        contract_security_percent=D("5.0"),
        smp_only=False,
        preferences=["RBK126"],
        etp_name="АО «Сбербанк-АСТ»",
        etp_url="http://www.sberbank-ast.ru",
        ikz="213027806041102780100100020030000244",
        url="https://zakupki.gov.ru/epz/order/notice/ea44/view/common-info.html?regNumber=0301300140921000011",
        notes=[],
        items=[
            # no <name>: «МНН, лекарственная форма дозировка» (dosage «~» means none)
            NoticeItem(
                name="ФОРМАЛЬДЕГИД, РАСТВОР ДЛЯ НАРУЖНОГО ПРИМЕНЕНИЯ",
                quantity=D(600),
                price=D("9.941"),
                sum=D("5964.60"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="ВОДОРОДА ПЕРОКСИД, РАСТВОР ДЛЯ НАРУЖНОГО ПРИМЕНЕНИЯ 30 мг/мл",
                quantity=D(4500),
                price=D("0.94768"),
                sum=D("4264.56"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="ВОДОРОДА ПЕРОКСИД, РАСТВОР ДЛЯ НАРУЖНОГО ПРИМЕНЕНИЯ 30 мг/мл",
                quantity=D(10800),
                price=D("0.34025"),
                sum=D("3674.70"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="ВОДА ДЛЯ ИНЪЕКЦИЙ, РАСТВОРИТЕЛЬ ДЛЯ ПРИГОТОВЛЕНИЯ ЛЕКАРСТВЕННЫХ ФОРМ ДЛЯ ИНЪЕКЦИЙ",
                quantity=D(8400),
                price=D("0.68807143"),
                sum=D("5779.80"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="СЕРЕБРА ПРОТЕИНАТ, РАСТВОР ДЛЯ МЕСТНОГО ПРИМЕНЕНИЯ 20 мг/мл",
                quantity=D(1350),
                price=D("6.29433333"),
                sum=D("8497.35"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="БОРНАЯ КИСЛОТА, РАСТВОР ДЛЯ МЕСТНОГО ПРИМЕНЕНИЯ 10 мг/мл",
                quantity=D(1350),
                price=D("6.034"),
                sum=D("8145.90"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="ЙОД+КАЛИЯ ЙОДИД+ГЛИЦЕРОЛ, РАСТВОР ДЛЯ МЕСТНОГО ПРИМЕНЕНИЯ 10 мг/мл",
                quantity=D(600),
                price=D("4.5954"),
                sum=D("2757.24"),
                **DRUG_UNIT,
            ),
            NoticeItem(
                name="НИТРОФУРАЛ, РАСТВОР ДЛЯ МЕСТНОГО И НАРУЖНОГО ПРИМЕНЕНИЯ 0.2 мг/мл",
                quantity=D(7560),
                price=D("0.73604762"),
                sum=D("5564.52"),
                **DRUG_UNIT,
            ),
        ],
    ),
}


def parse_sample(name: str) -> Notice:
    notices = parse_document(sample_bytes(name), url=f"file:///samples/{name}")
    assert len(notices) == 1
    return notices[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_fields(name: str) -> None:
    notice = parse_sample(name)
    expected = dict(EXPECTED[name], law="44-FZ", source="xml44", completeness="card", status=None)
    expected["updated_day_only"] = False  # a card states its update time
    items = expected.pop("items")
    assert notice.model_dump(exclude={"items"}) == expected  # every Notice field, exactly
    assert notice.items == items


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detected_as_xml44(name: str) -> None:
    assert detect_format(sample_bytes(name)) == "xml44"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_datetimes_are_aware_and_money_is_decimal(name: str) -> None:
    notice = parse_sample(name)
    for moment in (notice.published_at, notice.updated_at, notice.submission_deadline):
        assert moment.utcoffset() is not None
    for amount in (notice.nmck, *(item.sum for item in notice.items), *(item.price for item in notice.items)):
        assert type(amount) is D


# --- traps, on documents derived in memory from the samples ----------------------------------------


def test_purchase_number_is_anchored_to_common_info() -> None:
    data = sample_bytes("44fz_epNotificationEF2020_0173200001425001720.xml")
    assert b"<ns5:purchaseNumber>0182</ns5:purchaseNumber>" in data  # IKZInfo/purchaseNumber
    assert parse_document(data)[0].reg_number == "0173200001425001720"


def test_authorised_body_inn_is_not_the_customer_inn() -> None:
    data = sample_bytes("44fz_epNotificationEF2020_0173200001425001720.xml")
    assert b"<ns5:responsibleRole>RA</ns5:responsibleRole>" in data and b"<ns5:INN>7704515009" in data
    notice = parse_document(data)[0]
    assert (notice.customer_inn, notice.customer_region) == ("7701356086", "77")
    without_code = re.sub(rb"<ns5:customerCode>\d+</ns5:customerCode>", b"", data)
    assert parse_document(without_code)[0].customer_inn == "7701356086"  # from the IKZ digits


def rename_prefixes(data: bytes) -> bytes:
    """Every ``nsN`` prefix becomes ``pN``: what a new schema version does to the documents."""
    return re.sub(rb"\b(xmlns:)?ns(\d+)([:=])", rb"\1p\2\3", data)


def strip_namespaces(data: bytes) -> bytes:
    data = re.sub(rb'\sxmlns(:\w+)?="[^"]*"', b"", data)
    return re.sub(rb"<(/?)\w+:", rb"<\1", data)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("transform", [rename_prefixes, strip_namespaces])
def test_namespace_prefixes_do_not_matter(name: str, transform) -> None:
    data = sample_bytes(name)
    changed = transform(data)
    assert changed != data
    assert parse_document(changed) == parse_document(data)


def test_printform_root_and_export_wrapper_parse_alike() -> None:
    data = sample_bytes("44fz_printform_epNotificationEZK_0320100007621000014.xml")
    body = data.split(b"?>", 1)[1]
    wrapped = b'<ns0:export xmlns:ns0="http://zakupki.gov.ru/oos/export/1">' + body + b"</ns0:export>"
    assert parse_document(wrapped) == parse_document(data)


# --- small documents written inline -----------------------------------------------------------------

EP = "http://zakupki.gov.ru/oos/EPtypes/1"


def ep_notice(*, number: str = "0123456789012345678", common: str = "", notification: str = "") -> bytes:
    """A minimal 2020-layout notice; callers add what a test needs."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://zakupki.gov.ru/oos/export/1" xmlns:e="{EP}"><e:epNotificationEF2020>
  <e:versionNumber>4</e:versionNumber>
  <e:commonInfo><e:purchaseNumber>{number}</e:purchaseNumber>{common}</e:commonInfo>
  <e:purchaseResponsibleInfo>
    <e:responsibleOrgInfo><e:INN>7704515009</e:INN><e:KPP>770101001</e:KPP></e:responsibleOrgInfo>
    <e:responsibleRole>RA</e:responsibleRole>
  </e:purchaseResponsibleInfo>
  <e:notificationInfo>{notification}</e:notificationInfo>
</e:epNotificationEF2020></export>""".encode()


def customer(price: str, code: str, guarantee: str) -> str:
    return f"""<e:customerRequirementInfo>
      <e:customer><e:fullName>Заказчик {code[1:11]}</e:fullName></e:customer>
      <e:applicationGuarantee><e:amount>{guarantee}</e:amount><e:part>1.0</e:part></e:applicationGuarantee>
      <e:contractConditionsInfo>
        <e:maxPriceInfo><e:maxPrice>{price}</e:maxPrice></e:maxPriceInfo>
        <e:IKZInfo><e:customerCode>{code}</e:customerCode></e:IKZInfo>
      </e:contractConditionsInfo>
    </e:customerRequirementInfo>"""


def test_joint_purchase_sums_per_customer_prices_when_no_global_price() -> None:
    data = ep_notice(
        notification="<e:customerRequirementsInfo>"
        + customer("1000.50", "15001000001500101001", "10.00")
        + customer("2000.25", "27702000002770201001", "20.00")
        + "</e:customerRequirementsInfo>"
    )
    notice = parse_document(data, url="joint.xml")[0]
    assert notice.nmck == D("3000.75")
    assert notice.bid_security == D("30.00")  # each customer asks its own guarantee
    assert notice.bid_security_percent == D("1.0")
    assert (notice.customer_name, notice.customer_inn, notice.customer_region) == (
        "Заказчик 5001000001",
        "5001000001",
        "50",
    )
    assert notice.notes == [
        "joint purchase by 2 customers: customer fields are the first one's",
        "NMCK is the sum of 2 per-customer max prices",
    ]
    assert notice.version == 4
    assert notice.kind == "auction"  # no placingWay: the document type EF2020 says auction


def test_missing_href_builds_the_card_url_from_the_placing_way() -> None:
    notice = parse_document(ep_notice(common="<e:placingWay><e:code>ZKP20</e:code></e:placingWay>"))[0]
    assert (
        notice.url
        == "https://zakupki.gov.ru/epz/order/notice/zk20/view/common-info.html?regNumber=0123456789012345678"
    )
    assert notice.kind == "quotation"
    unknown = parse_document(ep_notice(common="<e:placingWay><e:code>XYZ99</e:code></e:placingWay>"))[0]
    assert (
        unknown.url
        == "https://zakupki.gov.ru/epz/order/notice/printForm/view.html?regNumber=0123456789012345678"
    )


def test_datetime_without_offset_is_read_as_moscow_time_with_a_note() -> None:
    notice = parse_document(ep_notice(common="<e:publishDTInEIS>2025-03-01T10:15:00</e:publishDTInEIS>"))[0]
    assert notice.published_at == datetime(2025, 3, 1, 10, 15, tzinfo=MOSCOW)
    assert notice.notes == [ASSUMED_MOSCOW_NOTE]


def test_smp_only_from_the_old_mp44_code() -> None:
    data = b"""<fcsNotificationEF xmlns="http://zakupki.gov.ru/oos/types/1">
      <purchaseNumber>0123456789012345678</purchaseNumber>
      <lot><preferenses><preferense><shortName>MP44</shortName><name>x</name></preferense></preferenses></lot>
    </fcsNotificationEF>"""
    notice = parse_document(data)[0]
    assert (notice.smp_only, notice.preferences) == (True, ["MP44"])


def test_subcontracting_preference_is_not_smp_only() -> None:
    data = """<fcsNotificationEF xmlns="http://zakupki.gov.ru/oos/types/1">
      <purchaseNumber>0123456789012345678</purchaseNumber>
      <lot><preferenses><preferense><code>1</code>
        <name>Требование о привлечении субъектов малого предпринимательства</name>
      </preferense></preferenses></lot>
    </fcsNotificationEF>""".encode()
    assert parse_document(data)[0].smp_only is False


def test_registry_number_falls_back_to_the_url() -> None:
    data = ep_notice(number="")
    url = "https://zakupki.gov.ru/epz/order/notice/printForm/viewXml.html?regNumber=0999888777666555444"
    assert parse_document(data, url=url)[0].reg_number == "0999888777666555444"
    assert parse_document(data, url="/dump/epNotificationEF2020_0999888777666555444_1.xml")[0].reg_number == (
        "0999888777666555444"
    )


def test_no_registry_number_anywhere_is_a_parse_error_naming_the_input() -> None:
    with pytest.raises(
        ParseError, match=r"^upload\.xml: 44-FZ notice without a valid 19-digit purchaseNumber"
    ):
        parse_document(ep_notice(number="12"), url="upload.xml")


@pytest.mark.parametrize("document", ["fcsNotificationCancel", "epNotificationCancelFailure"])
def test_documents_that_are_not_notices_are_refused(document: str) -> None:
    data = f'<export xmlns="http://zakupki.gov.ru/oos/export/1"><{document}/></export>'.encode()
    with pytest.raises(NotANotice, match=rf"^cancel\.xml: <{document}> is not a 44-FZ notice"):
        parse_document(data, url="cancel.xml")
    bare = f'<{document} xmlns="http://zakupki.gov.ru/oos/export/1"/>'.encode()
    with pytest.raises(NotANotice, match=rf"^bare\.xml: <{document}> is not a 44-FZ notice"):
        parse_document(bare, url="bare.xml")


def test_empty_export_is_refused() -> None:
    with pytest.raises(ParseError, match=r"^x\.xml: 44-FZ <export> holds no document"):
        parse_document(b'<export xmlns="http://zakupki.gov.ru/oos/export/1"></export>', url="x.xml")
