from __future__ import annotations

import re

import pytest

from data.reference.regions import Region
from data.reference.regions import all_regions
from data.reference.regions import derive_regions
from data.reference.regions import region_by_code
from data.reference.regions import region_from_address
from data.reference.regions import region_from_inn
from data.reference.regions import region_from_kladr
from data.reference.regions import region_from_kpp
from data.reference.regions import region_from_okato
from data.reference.regions import region_name
from data.reference.regions import regions_from_text
from data.reference.regions import resolve_region
from tests.conftest import sample_bytes

# --------------------------------------------------------------------------- the table


def test_every_subject_is_listed_once_with_current_codes_only():
    codes = [r.code for r in all_regions()]
    expected = [f"{n:02d}" for n in range(1, 80)] + "83 86 87 89 90 91 92 93 94 95 99".split()
    assert codes == expected
    assert len(codes) == 90


def test_all_regions_returns_a_fresh_list():
    first = all_regions()
    first.clear()
    assert len(all_regions()) == 90


@pytest.mark.parametrize(
    ("code", "name", "okato"),
    [
        ("77", "Москва", "45"),
        ("50", "Московская область", "46"),
        ("78", "Санкт-Петербург", "40"),
        ("47", "Ленинградская область", "41"),
        ("72", "Тюменская область", "71"),
        ("86", "Ханты-Мансийский автономный округ — Югра", "71"),
        ("89", "Ямало-Ненецкий автономный округ", "71"),
        ("29", "Архангельская область", "11"),
        ("83", "Ненецкий автономный округ", "11"),
        ("16", "Республика Татарстан (Татарстан)", "92"),
        ("21", "Чувашская Республика — Чувашия", "97"),
        ("42", "Кемеровская область — Кузбасс", "32"),
        ("59", "Пермский край", "57"),
        ("91", "Республика Крым", "35"),
        ("92", "Севастополь", "67"),
        ("87", "Чукотский автономный округ", "77"),
        ("79", "Еврейская автономная область", "99"),
        ("93", "Донецкая Народная Республика", None),
        ("99", "Иные территории, включая город и космодром Байконур", "55"),
    ],
)
def test_region_by_code_names_and_okato(code, name, okato):
    region = region_by_code(code)
    assert region is not None
    assert (region.code, region.name, region.okato) == (code, name, okato)
    assert region_name(code) == name


def test_region_is_frozen():
    region = region_by_code("77")
    assert isinstance(region, Region)
    with pytest.raises(AttributeError):
        region.code = "50"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("legacy", "current"),
    [("81", "59"), ("84", "24"), ("88", "24"), ("85", "38"), ("80", "75"), ("82", "41")],
)
def test_legacy_codes_map_to_the_subject_that_absorbed_them(legacy, current):
    assert region_by_code(legacy).code == current
    assert region_name(legacy) == region_name(current)
    assert region_from_kladr(f"{legacy}00000100000") == current
    assert region_from_inn(f"{legacy}01234567") == current


@pytest.mark.parametrize("code", ["00", "98", "100", "", "7a", "  "])
def test_unknown_codes(code):
    assert region_by_code(code) is None
    assert region_name(code) is None


def test_single_digit_code_is_zero_padded():
    assert region_by_code("7").code == "07"
    assert region_by_code(" 2 ").code == "02"


# --------------------------------------------------------------------------- resolve (profile settings)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("77", "77"),
        ("7", "07"),
        ("Москва", "77"),
        ("г. Москва", "77"),
        ("г Москва", "77"),
        ("город Москва", "77"),
        ("город федерального значения Москва", "77"),
        ("МОСКВА", "77"),
        ("Moscow", "77"),
        ("Московская обл.", "50"),
        ("московская область", "50"),
        ("Моск. обл.", "50"),
        ("МО", "50"),
        ("Подмосковье", "50"),
        ("Санкт-Петербург", "78"),
        ("СПб", "78"),
        ("Ленинградская обл", "47"),
        ("Татарстан", "16"),
        ("Республика Татарстан (Татарстан)", "16"),
        ("Респ. Татарстан", "16"),
        ("респ татарстан", "16"),
        ("Чувашия", "21"),
        ("Чувашская Республика — Чувашия", "21"),
        ("Югра", "86"),
        ("ХМАО", "86"),
        ("Ханты-Мансийский автономный округ — Югра", "86"),
        ("ЯНАО", "89"),
        ("НАО", "83"),
        ("Кузбасс", "42"),
        ("Кемеровская область", "42"),
        ("Республика Алтай", "04"),
        ("Алтай", "04"),
        ("Алтайский край", "22"),
        ("Республика Саха (Якутия)", "14"),
        ("Якутия", "14"),
        ("Северная Осетия — Алания", "15"),
        ("Орёл", "57"),
        ("Новосибирск", "54"),
        ("Петропавловск-Камчатский", "41"),
        ("Байконур", "99"),
        ("81", "59"),
        ("77000000000", "77"),
    ],
)
def test_resolve_region(text, code):
    region = resolve_region(text)
    assert region is not None, text
    assert region.code == code


@pytest.mark.parametrize(
    "text", ["", "  ", "ул Ленина", "область", "Россия", "Киров", "Благовещенск", "999", "Москва Тверь"]
)
def test_resolve_region_refuses_what_does_not_name_one_subject(text):
    assert resolve_region(text) is None


def test_every_name_alias_and_city_resolves_to_its_own_subject():
    wrong = [
        (r.code, text)
        for r in all_regions()
        for text in (r.name, *r.aliases, *r.cities)
        if getattr(resolve_region(text), "code", None) != r.code
    ]
    assert wrong == []


# --------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("25000001000", "25"),
        ("77000000000", "77"),
        ("5000000000000", "50"),
        ("8600000100000", "86"),
        ("9900000000000", "99"),
        ("00000000000", None),
        ("", None),
        (None, None),
        ("7", None),
        ("77-000", None),
    ],
)
def test_region_from_kladr(code, expected):
    assert region_from_kladr(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("45286596000", "77"),  # OKATO of a Moscow district (223-FZ sample)
        ("45380000", "77"),  # OKTMO of a Moscow okrug (44-FZ sample)
        ("46000000000", "50"),
        ("40000000000", "78"),
        ("41000000000", "47"),
        ("71401000000", "72"),  # Тюмень itself
        ("71100000000", "86"),  # OKATO of ХМАО
        ("71140000000", "89"),  # OKATO of ЯНАО
        ("71876000", "86"),  # OKTMO Сургут
        ("71951000", "89"),  # OKTMO Салехард
        ("71136000000", None),  # OKATO settlement inside one of the two okrugs: undecidable
        ("11401000000", "29"),  # Архангельск
        ("11100000000", "83"),  # OKATO of НАО
        ("11851000", "83"),  # OKTMO Нарьян-Мар
        ("35000000000", "91"),
        ("67000000000", "92"),
        ("77000000000", "87"),  # OKATO 77 is Чукотка, not Moscow
        ("55000000000", "99"),
        ("00000000000", None),
        ("21000000000", None),  # no subject uses OKATO 21 in the table
        ("", None),
        (None, None),
    ],
)
def test_region_from_okato(code, expected):
    assert region_from_okato(code) == expected


@pytest.mark.parametrize(
    ("kpp", "expected"),
    [
        ("770601001", "77"),
        ("773401001", "77"),
        ("501001001", "50"),
        ("781001001", "78"),
        ("470301001", "47"),
        ("860401001", "86"),
        ("254001001", "25"),
        ("7701AB001", "77"),  # letters are allowed in positions 5-6 since 2013
        ("997150001", None),  # inter-regional inspectorate for the largest taxpayers
        ("997350001", None),
        ("298301001", "83"),  # tax office 2983 serves the Ненецкий АО
        ("290101001", "29"),
        ("810101001", "59"),
        ("000101001", None),
        ("77060100", None),
        ("77060100A", None),
        ("", None),
        (None, None),
    ],
)
def test_region_from_kpp(kpp, expected):
    assert region_from_kpp(kpp) == expected


@pytest.mark.parametrize(
    ("inn", "expected"),
    [
        ("7706107510", "77"),
        ("0105062780", "01"),
        ("8604035473", "86"),
        ("500100732259", "50"),  # twelve digits: a person
        ("2983001234", "83"),
        ("9901000012", None),
        ("8801234567", "24"),
        ("770610751", None),
        ("77061075100", None),
        ("77061O7510", None),
        ("", None),
        (None, None),
    ],
)
def test_region_from_inn(inn, expected):
    assert region_from_inn(inn) == expected


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("г Москва, вн.тер.г. муниципальный округ Хорошево-Мневники, ул Саляма Адиля, д. 2 стр. 28", "77"),
        ("Российская Федерация, 630099, Новосибирская обл, г Новосибирск, ул Советская, д. 35", "54"),
        ("Краснодарский край, г. Сочи, ул. Пластунская, 157", "23"),
        ("г. Петропавловск-Камчатский", "41"),
        ("Омбинское м/р", None),
        ("101000, МОСКВА, УЛ МАКАРЕНКО, Дом (Корпус/строение) Д. 4, СТР. 1", "77"),
        ("проспект Мира, Москва", "77"),
        ("г.Москва", "77"),
        ("Ленинградское ш, г Москва", "77"),
        ("НАО, г Москва, пос. Сосенское", "77"),  # НАО here is Новомосковский округ of Moscow
        ("Московский пр-т, г Санкт-Петербург", "78"),
        ("САНКТ-ПЕТЕРБУРГ Г, МОСКОВСКИЙ ПР-КТ, 1", "78"),
        ("ул Московская, д 5, Ленинградская обл, г Гатчина", "47"),
        ("Москворецкая ул., г. Тверь", "69"),
        ("ул Московская, д 5", None),
        ("пр-т Москва, д 1", None),
        ("ул. Татарстан, г. Уфа", "02"),
        ("МО, г. Красногорск", "50"),
        ("Московская область, г. Химки", "50"),
        ("Область Кемеровская, город Кемерово, улица Волгоградская, дом 51", "42"),
        ("628309, АО ХАНТЫ-МАНСИЙСКИЙ АВТОНОМНЫЙ ОКРУГ - ЮГРА, г НЕФТЕЮГАНСК, ул ЛЕНИНА, дом 26", "86"),
        ("Тюменская обл, Ханты-Мансийский АО, г Сургут", "86"),
        ("Тюменская область, ЯНАО, г. Ноябрьск", "89"),
        ("Тюменская обл, г Тюмень", "72"),
        ("Архангельская обл, Ненецкий АО, г Нарьян-Мар", "83"),
        ("Архангельская обл, г Архангельск", "29"),
        ("Калужская обл, г Киров", "40"),
        ("Ростовская обл, г Донецк", "61"),
        ("г. Ростов, Ярославская обл.", "76"),
        ("г. Киров", None),  # shares its name with a town in Калужская обл.
        ("г Благовещенск", None),  # Амурская обл. and Башкортостан
        ("г. Ростов", None),  # not Ростов-на-Дону
        ("Петропавловск", None),  # Kazakhstan; Kamchatka's is Петропавловск-Камчатский
        ("г. Ростов-на-Дону, ул. Большая Садовая", "61"),
        ("Республика Крым, г Симферополь", "91"),
        ("г. Севастополь", "92"),
        ("ДНР, г. Мариуполь", "93"),
        ("Запорожская обл., г. Мелитополь", "90"),
        ("Пермский край, г. Кудымкар", "59"),
        ("Республика Коми, г. Сыктывкар", "11"),
        ("г. Казань, ул. Баумана", "16"),
        ("Казань", "16"),
        ("г Владимир, ул Ленина", "33"),
        ("ул. Владимир Высоцкого", None),
        ("Российская Федерация", None),
        ("по месту нахождения заказчика", None),
        ("", None),
        (None, None),
    ],
)
def test_region_from_address(address, expected):
    assert region_from_address(address) == expected


def test_every_subject_name_is_found_in_an_address():
    wrong = [r.code for r in all_regions() if region_from_address(f"{r.name}, ул. Ленина, д. 1") != r.code]
    assert wrong == []


def test_regions_from_text_reads_every_place_of_a_list():
    text = "г. Москва, ул. Тверская, 1; Московская область, г. Химки\nКраснодарский край, г. Сочи; 3 этаж"
    assert regions_from_text(text) == ["77", "50", "23"]
    assert regions_from_text("Омбинское м/р; склад заказчика") == []
    assert regions_from_text(None) == []


SAMPLE_ADDRESSES = {
    "223fz_purchaseNoticeZK_31200022868.xml": {
        "385000, Адыгея, Майкоп, Подгорная, дом 403-е": "01",
        "385000, Республика Адыгея, г. Майкоп, ул. Подгорная, 403-е": "01",
    },
    "223fz_purchaseNotice_31603913641.xml": {
        "Омбинское м/р": None,
        "115035, Г МОСКВА, НАБ СОФИЙСКАЯ, дом 26/1": "77",
        "628309, АО ХАНТЫ-МАНСИЙСКИЙ АВТОНОМНЫЙ ОКРУГ - ЮГРА, г НЕФТЕЮГАНСК, ул ЛЕНИНА, дом 26": "86",
    },
    "44fz_epNotificationEF2020_0373100084625000417_drugs.xml": {
        "123423, г. Москва, р-н Хорошево-Мневники, ул. Саляма Адиля, дом 2, строение 28": "77",
        "Российская Федерация, 123154, Москва, Саляма Адиля, Д.2": "77",
        "г Москва, вн.тер.г. муниципальный округ Хорошево-Мневники, ул Саляма Адиля, д. 2 стр. 28": "77",
        "город Москва, улица Саляма Адиля, дом 2, строение 28, склад Заказчика": "77",
    },
    "44fz_epNotificationEZK2020_0373200624325000142.xml": {
        "124683, МОСКВА, Г. ЗЕЛЕНОГРАД, К. 1553": "77",
        "124683, г. Москва, Зеленоград, корп. 1553.": "77",
        "Город Москва, город Зеленоград, проезд 4921-й, дом 1, строение 1; 3 этаж": "77",
        "г Москва": "77",
    },
    "44fz_ftp_fcsNotificationEF_0318200041218000635_v8.3.xml": {
        (
            "Краснодарский край, г. Сочи, ул. Пластунская, 157;\n"
            "Краснодарский край, г. Сочи-А, ул. Голубые Дали, 37"
        ): "23",
        "Российская Федерация, 350080, Краснодарский край, Краснодар г, УЛ ИМ ТЮЛЯЕВА, 16": "23",
        "Российская Федерация, 350080, Краснодарский край, Краснодар г, ул ИМ ТЮЛЯЕВА, 16": "23",
    },
    "44fz_printform_epNotificationEZK_0320100007621000014.xml": {
        "Российская Федерация, 690003, Приморский край, Владивосток г, УЛ ПОСЬЕТСКАЯ, 21/А": "25",
        "ул. Нижне-Портовая, 3Б (здание АБК МПП, кинологический отдел).": None,
    },
    "44fz_printform_fcsNotificationEF_0301300140921000011.xml": {
        "Республика Башкортостан, г. Уфа, ул. Минигали Губайдуллина 21/1, кабинет 2а": "02",
        "Российская Федерация, 450022, Башкортостан Респ, Уфа г, УЛИЦА МИНИГАЛИ ГУБАЙДУЛЛИНА, 21/1": "02",
    },
}
_ADDRESS_ELEMENT = re.compile(
    r"<(?:\w+:)?(?:deliveryPlace|GARAddress|factAddress|postAddress|legalAddress|address)>([^<]+)(?=<)"
)


@pytest.mark.parametrize("name", sorted(SAMPLE_ADDRESSES))
def test_addresses_of_the_real_samples(name):
    text = sample_bytes(name).decode("utf-8")
    addresses = {a.strip() for a in _ADDRESS_ELEMENT.findall(text) if a.strip()}
    assert {a: region_from_address(a) for a in addresses} == SAMPLE_ADDRESSES[name]


# --------------------------------------------------------------------------- precedence


def test_codes_win_over_address_and_tax_numbers():
    assert derive_regions(
        kladr_codes=["25000001000"],
        addresses=["г. Москва"],
        inn="7706107510",
        kpp="770601001",
    ) == ["25"]


def test_codes_are_unique_and_keep_their_order_kladr_before_okato():
    assert derive_regions(
        kladr_codes=["77000000000", "50000000000", "7700000000000"],
        okato_codes=["45286596000", "71876000"],
    ) == ["77", "50", "86"]


def test_address_is_used_when_no_code_says_anything():
    assert derive_regions(
        kladr_codes=["00000000000", ""],
        okato_codes=["00000000000"],
        addresses=["Омбинское м/р", "Краснодарский край, г. Сочи; Ростовская обл, г Шахты", "г. Сочи"],
        kpp="770601001",
    ) == ["23", "61"]


def test_kpp_is_preferred_to_inn_when_addresses_say_nothing():
    # an organisation registered in Московская обл. (INN 50…) now reporting in Moscow (KPP 77…)
    assert derive_regions(addresses=["по месту нахождения заказчика"], inn="5001007322", kpp="770101001") == [
        "77"
    ]


def test_inn_is_the_last_resort():
    assert derive_regions(inn="8604035473", kpp="997150001") == ["86"]
    assert derive_regions(inn="9901000012", kpp="997150001") == []
    assert derive_regions() == []


def test_sample_card_precedence():
    """44-FZ print form: KLADR 25…, a delivery place without region, customer in Vladivostok."""
    assert derive_regions(
        kladr_codes=["25000001000"],
        addresses=["ул. Нижне-Портовая, 3Б (здание АБК МПП, кинологический отдел)."],
        inn="2540015767",
        kpp="254001001",
    ) == ["25"]
