"""223-FZ notice XML (2012 and TFF-5 layouts) and the 223 mobile-proxy JSON, against the real samples."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crawler.parsers.common import MOSCOW
from crawler.parsers.common import ParseError
from crawler.parsers.common import safe_xml_root
from crawler.parsers.eis223 import parse_xml223
from crawler.parsers.mobile223 import parse_json223
from data.notice import NoticeItem
from tests.conftest import sample_bytes

NOTICE_2016 = "223fz_purchaseNotice_31603913641.xml"
NOTICE_ZK_2012 = "223fz_purchaseNoticeZK_31200022868.xml"
MOBILE_JSON = "223fz_mobileapi_common-info_32109998392.json"
MOBILE_URL = (
    "https://zakupki.gov.ru/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
    "?regNumber=32109998392"
)
PLUS4 = timezone(timedelta(hours=4))


def _xml(name: str):
    data = sample_bytes(name)
    return parse_xml223(safe_xml_root(data, name), name)


def test_purchase_notice_tff5_every_field():
    [notice] = _xml(NOTICE_2016)
    assert notice.reg_number == "31603913641"
    assert notice.law == "223-FZ"
    assert notice.version == 2
    assert notice.method_code == "24576"
    assert notice.method == "Открытый запрос цен в электронной форме"
    assert notice.kind == "quotation"
    assert notice.title == 'Лот 93-16-КС (ТЗ) "Высоконапорный водовод тв.р.куст №65- куст №77"'
    assert notice.status == "Размещено"
    # The customer (Rosneft, Moscow), not the placer (РН-Юганскнефтегаз, ХМАО).
    assert notice.customer_name == 'ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "НЕФТЯНАЯ КОМПАНИЯ "РОСНЕФТЬ"'
    assert notice.customer_inn == "7706107510"
    assert notice.customer_region == "77"
    assert notice.delivery_places == ["Омбинское м/р"]
    assert notice.delivery_regions == []  # a field name says nothing about the subject
    assert notice.nmck == Decimal("3077055.86")
    assert notice.currency == "RUB"
    assert notice.okpd2 == ["41.20.20.310"]
    assert notice.ktru == []
    assert notice.items == [
        NoticeItem(
            name="Сооружения топливно-энергетических, металлургических, химических и "
            "нефтехимических производств",
            okpd2="41.20.20.310",
            quantity=Decimal("0.698"),
            unit="Километр; Тысяча метров",
        )
    ]
    assert notice.published_at == datetime(2016, 7, 22, 7, 35, 12, tzinfo=MOSCOW)
    assert notice.updated_at == datetime(2016, 7, 22, 7, 35, 12, tzinfo=MOSCOW)
    assert notice.submission_deadline == datetime(2016, 8, 5, 18, 0, tzinfo=MOSCOW)
    assert notice.auction_date is None
    assert notice.smp_only is True  # lotData/forSmallOrMiddle
    assert notice.etp_name == 'УЭТП ЗАО "ТЭК-Торг" Секция ОАО «НК «Роснефть»'
    assert notice.etp_url == "http://rn.tektorg.ru"
    # urlOOS points into the customer's private cabinet: the public card URL replaces it.
    assert notice.url == (
        "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=31603913641"
    )
    assert notice.source == "xml223"
    assert notice.completeness == "card"
    assert notice.notes == ["datetimes without a UTC offset were read as Moscow time (EIS server time)"]


def test_published_time_without_offset_is_moscow():
    [notice] = _xml(NOTICE_2016)
    assert notice.published_at.utcoffset() == timedelta(hours=3)
    assert notice.published_at.astimezone(UTC) == datetime(2016, 7, 22, 4, 35, 12, tzinfo=UTC)


def test_purchase_notice_zk_2012_layout():
    [notice] = _xml(NOTICE_ZK_2012)
    assert notice.reg_number == "31200022868"
    assert notice.law == "223-FZ"
    assert notice.version == 1
    assert notice.method_code == "4"
    assert notice.method == "Запрос котировок"
    assert notice.kind == "quotation"
    assert notice.title == (
        "Извещение о проведении запроса котировок № 2-ЗК на разработку и издание сборника "
        "нормативных правовых актов по развитию малого и среднего предпринимательства"
    )
    assert notice.status == "Размещено"
    assert (
        notice.customer_name == 'автономное учреждение Республики Адыгея "Республиканский бизнес-инкубатор"'
    )
    assert notice.customer_inn == "0105062780"
    assert notice.customer_region == "01"
    assert notice.delivery_places == ["385000, Республика Адыгея, г. Майкоп, ул. Подгорная, 403-е"]
    assert notice.delivery_regions == ["01"]
    assert notice.nmck == Decimal("280000")
    assert notice.currency == "RUB"  # digitalCode 810, the pre-1998 rouble code, still RUB
    assert notice.okpd2 == []  # 2012: OKDP only
    assert notice.items == [
        NoticeItem(name="ПОЛИГРАФИЧЕСКАЯ И ПЕЧАТНАЯ ПРОДУКЦИЯ", quantity=Decimal("4000"), unit="Штука")
    ]
    assert notice.published_at == datetime(2012, 11, 2, 16, 3, 53, 443000, tzinfo=PLUS4)
    assert notice.updated_at is None
    assert notice.submission_deadline == datetime(2012, 11, 14, 18, 0, tzinfo=PLUS4)
    assert notice.smp_only is False
    assert notice.etp_name is None
    assert notice.etp_url is None
    assert notice.url == (
        "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=31200022868"
    )
    assert notice.source == "xml223"
    assert notice.completeness == "card"
    # Offsets are given, so no Moscow note; the OKDP-only positions are flagged instead.
    assert notice.notes == ["positions carry only pre-2014 OKDP codes (2200000), no OKPD2"]


_AESMBO = """<?xml version="1.0" encoding="UTF-8"?>
<p:purchaseNoticeAESMBO xmlns="http://zakupki.gov.ru/223fz/types/1" xmlns:p="http://zakupki.gov.ru/223fz/purchase/1">
  <header><guid>g</guid></header>
  <p:body><p:item><p:purchaseNoticeAESMBOData>
    <p:urlEIS>https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=32300000001</p:urlEIS>
    <p:registrationNumber>32300000001</p:registrationNumber>
    <p:name>Поставка бумаги</p:name>
    <p:customer><mainInfo><fullName>ООО "Заказчик"</fullName><inn>5406000000</inn><kpp>540601001</kpp>
      <okato>50401000000</okato></mainInfo></p:customer>
    <p:purchaseMethodCode>9001</p:purchaseMethodCode>
    <p:purchaseCodeName>Способ закупки по положению</p:purchaseCodeName>
    <p:publicationDateTime>2023-03-01T10:00:00+07:00</p:publicationDateTime>
    <p:version>3</p:version>
    <p:submissionCloseDateTime>2023-03-10T09:00:00+07:00</p:submissionCloseDateTime>
    <p:auctionTime>2023-03-14T10:00:00+07:00</p:auctionTime>
    <p:lots>
      <lot><lotData><subject>Бумага А4</subject><currency><code>RUB</code></currency>
        <initialSum>1000.50</initialSum>
        <deliveryPlace><regionOkato>50000000000</regionOkato>
          <address>г. Новосибирск, ул. Ленина, 1</address></deliveryPlace>
        <lotItems><lotItem><okpd2><code>17.12.14.110</code><name>Бумага для печати</name></okpd2><qty>10</qty>
          <okei><name>Пачка</name></okei></lotItem></lotItems></lotData></lot>
      <lot><lotData><subject>Бумага А3</subject><currency><code>RUB</code></currency>
        <initialSum>2000</initialSum>
        <deliveryPlace><address>Томская обл, г. Томск</address></deliveryPlace>
        <lotItems><lotItem><okpd2><code>17.12.14.120</code></okpd2></lotItem></lotItems></lotData></lot>
      <lot><lotData><subject>Отменённый лот</subject><initialSum>999999</initialSum></lotData>
        <cancelled>true</cancelled></lot>
    </p:lots>
  </p:purchaseNoticeAESMBOData></p:item></p:body>
</p:purchaseNoticeAESMBO>
""".encode()


def test_smp_notice_type_with_several_lots_and_shifted_prefix():
    """An *SMBO root is SMP-only whatever the lots say; lots sum up; the cancelled lot is left out."""
    [notice] = parse_xml223(safe_xml_root(_AESMBO, "aesmbo.xml"), "aesmbo.xml")
    assert notice.reg_number == "32300000001"
    assert notice.version == 3
    assert notice.kind == "auction"  # unknown method name: the AE notice type decides
    assert notice.smp_only is True
    assert notice.nmck == Decimal("3000.50")
    assert notice.currency == "RUB"
    assert notice.okpd2 == ["17.12.14.110", "17.12.14.120"]
    assert notice.items == [
        NoticeItem(name="Бумага для печати", okpd2="17.12.14.110", quantity=Decimal("10"), unit="Пачка"),
        NoticeItem(name="Бумага А3", okpd2="17.12.14.120"),
    ]
    assert notice.delivery_places == ["г. Новосибирск, ул. Ленина, 1", "Томская обл, г. Томск"]
    assert notice.delivery_regions == ["54"]  # the OKATO code outranks the address text
    assert notice.customer_region == "54"
    assert notice.submission_deadline == datetime(2023, 3, 10, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    assert notice.auction_date == date(2023, 3, 14)
    assert (
        notice.url
        == "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=32300000001"
    )
    assert notice.notes == ["2 lots: NMCK is the sum of the lots' initial sums"]


def test_unknown_status_code_is_left_empty_and_noted():
    data = sample_bytes(NOTICE_2016).replace(b"<ns2:status>P</ns2:status>", b"<ns2:status>Z</ns2:status>", 1)
    [notice] = parse_xml223(safe_xml_root(data, NOTICE_2016), NOTICE_2016)
    assert notice.status is None
    assert "unknown 223-FZ status code 'Z': status left empty" in notice.notes


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (b"<fcsNotificationEF/>", "not a 223-FZ purchase notice: root element <fcsNotificationEF>"),
        (b"<purchaseNoticeAE><body/></purchaseNoticeAE>", "has no body/item/purchaseNoticeAEData"),
        (
            b"<purchaseNotice><body><item><purchaseNoticeData><registrationNumber>12</registrationNumber>"
            b"</purchaseNoticeData></item></body></purchaseNotice>",
            "without a valid registrationNumber (got '12')",
        ),
    ],
)
def test_xml223_rejects_what_is_not_a_notice(xml, problem):
    with pytest.raises(ParseError) as err:
        parse_xml223(safe_xml_root(xml, "bad.xml"), "bad.xml")
    assert err.value.source == "bad.xml"
    assert problem in err.value.problem


def test_truncated_223_xml_is_a_parse_error():
    data = sample_bytes(NOTICE_2016)
    with pytest.raises(ParseError, match="malformed XML"):
        safe_xml_root(data[: len(data) // 2], NOTICE_2016)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_223_xml_raises_only_parse_error(data):
    original = sample_bytes(NOTICE_ZK_2012)
    start = data.draw(st.integers(0, len(original) - 1))
    length = data.draw(st.integers(1, 200))
    junk = data.draw(st.binary(max_size=40))
    mutated = original[:start] + junk + original[start + length :]
    try:
        parse_xml223(safe_xml_root(mutated, "mutated.xml"), "mutated.xml")
    except ParseError:
        pass


# --- mobile JSON ---------------------------------------------------------------------------------


def test_mobile_json_every_field():
    [notice] = parse_json223(sample_bytes(MOBILE_JSON), MOBILE_URL)
    assert notice.reg_number == "32109998392"
    assert notice.law == "223-FZ"
    assert notice.version is None
    assert notice.method == "Аукцион в электронной форме"
    assert notice.kind == "auction"
    assert notice.title == "Поставка дизельного топлива"
    assert notice.customer_name == 'АКЦИОНЕРНОЕ ОБЩЕСТВО "КЕМЕРОВСКАЯ ТРАНСПОРТНАЯ КОМПАНИЯ"'
    assert notice.customer_inn == "4205355989"
    assert notice.customer_region == "42"
    assert notice.delivery_places == ["Область Кемеровская, город Кемерово, улица Волгоградская, дом 51"]
    assert notice.delivery_regions == ["42"]
    assert notice.nmck == Decimal("21200000")
    assert notice.currency == "RUB"
    assert notice.okpd2 == ["19.20.21.300"]
    assert notice.items == [
        NoticeItem(name="Топливо дизельное", okpd2="19.20.21.300", quantity=Decimal("420"), unit="т")
    ]
    # 1619427600000 ms = 2021-04-26 09:00 UTC = 12:00 Moscow.
    assert notice.submission_deadline == datetime(2021, 4, 26, 9, 0, tzinfo=UTC)
    assert notice.published_at == datetime(2021, 4, 9, 0, 0, tzinfo=MOSCOW)
    assert notice.auction_date is None
    assert notice.smp_only is False
    assert notice.etp_name == "Электронная площадка РТС-тендер"
    assert notice.etp_url == "https://223.rts-tender.ru/supplier/auction/Trade/View.aspx?Id=2033154"
    assert notice.url == (
        "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=32109998392"
    )
    assert notice.source == "json223"
    assert notice.completeness == "card"
    assert notice.notes == [
        "published_at is the start of application submission (the JSON has no publication time)"
    ]


def test_mobile_json_reg_number_from_file_name():
    [notice] = parse_json223(sample_bytes(MOBILE_JSON), MOBILE_JSON)
    assert notice.reg_number == "32109998392"


@pytest.mark.parametrize(
    ("data", "source", "problem"),
    [
        (b'{"noticeInfo": {"lots": [', "cut.json", "malformed JSON"),
        (b"\xff\xfe\x00garbage", "bin.json", "malformed JSON"),
        (b"[1, 2, 3]", "list.json", "no noticeInfo object"),
        (b'{"purchase": {}}', "other.json", "no noticeInfo object"),
        (b'{"noticeInfo": "x"}', "shape.json", "field 'noticeInfo' should be an object, got str"),
        (
            b'{"noticeInfo": {"lots": {}}}',
            "x?regNumber=32109998392",
            "field 'lots' should be a list, got dict",
        ),
        (b'{"noticeInfo": {}}', "no-number.json", "carries no registry number"),
        (b"   ", "blank.json", "empty document"),
    ],
)
def test_mobile_json_bad_input_names_source_and_problem(data, source, problem):
    with pytest.raises(ParseError) as err:
        parse_json223(data, source)
    assert err.value.source == source
    assert problem in err.value.problem


def test_mobile_json_money_never_goes_through_float():
    doc = {"noticeInfo": {"lots": [{"startingContractPrice": 0.1}, {"startingContractPrice": 0.2}]}}
    [notice] = parse_json223(json.dumps(doc).encode(), "x?regNumber=32109998392")
    assert notice.nmck == Decimal("0.3")


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_into_json_parser_raise_only_parse_error(data):
    try:
        parse_json223(data, "fuzz?regNumber=32109998392")
    except ParseError:
        pass


_JSON_KEYS = st.sampled_from(
    ["noticeInfo", "lots", "purchaseMethod", "currency", "okpd2", "okei", "deliveryPlace", "name", "code"]
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_JSON_KEYS, children, max_size=4),
    max_leaves=15,
)


@settings(max_examples=60, deadline=None)
@given(_JSON_VALUES)
def test_wrongly_shaped_json_raises_only_parse_error(value):
    try:
        parse_json223(json.dumps({"noticeInfo": value}).encode(), "fuzz?regNumber=32109998392")
    except ParseError:
        pass


@pytest.mark.parametrize(
    ("name", "url", "reg_number", "source"),
    [
        (NOTICE_2016, None, "31603913641", "xml223"),
        (NOTICE_ZK_2012, None, "31200022868", "xml223"),
        (MOBILE_JSON, MOBILE_URL, "32109998392", "json223"),
    ],
)
def test_through_parse_document(name, url, reg_number, source):
    from crawler.parsers import parse_document

    [notice] = parse_document(sample_bytes(name), url=url)
    assert (notice.reg_number, notice.law, notice.source) == (reg_number, "223-FZ", source)
