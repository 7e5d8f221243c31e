"""The extended-search RSS feed: no guid, «<method> №<number>» titles, escaped descriptions with
unclosed highlight spans, RFC 822 dates."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crawler.parsers.common import DATE_ONLY_NOTE
from crawler.parsers.common import MOSCOW
from crawler.parsers.common import ParseError
from crawler.parsers.common import safe_xml_root
from crawler.parsers.rss import description_fields
from crawler.parsers.rss import parse_rss
from tests.conftest import sample_bytes

FEED = "rss_extendedsearch_real.xml"
EZT = "Закупка, осуществляемая в соответствии с частью 12 статьи 93 Закона № 44-ФЗ"
AUCTION = "Электронный аукцион"
ZDRAV = "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ"

ITEMS = [
    dict(
        reg="0355200005326000010",
        slug="ezt20",
        method=EZT,
        kind="single_supplier",
        title="",  # «Наименование объекта закупки: null»
        customer=f'{ZDRAV} "ОБЛАСТНАЯ ПСИХИАТРИЧЕСКАЯ БОЛЬНИЦА ИМ. К.Р. ЕВГРАФОВА"',
        nmck="506000.00",
        ikz="262583700797058370100100020100000244",
        inn="5837007970",
        region="58",
        stamp=datetime(2026, 7, 29, 6, 59, 36, tzinfo=UTC),
    ),
    dict(
        reg="0373200215526000664",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        title="Электронный аукцион на поставку аппарата фототерапии новорожденных со светоизлучающим "
        "одеялом для нужд Родильного дома ГБУЗ «ГКБ № 29 им. Н.Э. Баумана ДЗМ»",
        customer=f'{ZDRAV} ГОРОДА МОСКВЫ "ГОРОДСКАЯ КЛИНИЧЕСКАЯ БОЛЬНИЦА № 29 ИМ. Н.Э. БАУМАНА '
        'ДЕПАРТАМЕНТА ЗДРАВООХРАНЕНИЯ ГОРОДА МОСКВЫ"',
        nmck="441666.67",
        ikz="262772208653977220100106930010000244",
        inn="7722086539",
        region="77",
        stamp=datetime(2026, 7, 29, 6, 59, 12, tzinfo=UTC),
    ),
    dict(
        reg="0318300027226000099",
        slug="ezt20",
        method=EZT,
        kind="single_supplier",
        title="",
        customer=f'{ZDRAV} "ГОРОДСКАЯ ПОЛИКЛИНИКА № 4 ГОРОДА НОВОРОССИЙСКА" МИНИСТЕРСТВА '
        "ЗДРАВООХРАНЕНИЯ КРАСНОДАРСКОГО КРАЯ",
        nmck="533333.35",
        ikz="263231507632823150100100700030000244",
        inn="2315076328",
        region="23",
        stamp=datetime(2026, 7, 29, 6, 59, 1, tzinfo=UTC),
    ),
    dict(
        reg="0711200014926000177",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        title='Поставка реагентов диагностических к анализатору DIRUI H-100 для нужд "Зеленодольского '
        'ПНД" - филиала ГАУЗ "РКПБ им.акад.В.М.Бехтерева" в 2026 г.',
        customer='ГОСУДАРСТВЕННОЕ АВТОНОМНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ "РЕСПУБЛИКАНСКАЯ КЛИНИЧЕСКАЯ '
        'ПСИХИАТРИЧЕСКАЯ БОЛЬНИЦА ИМ.АКАД.В.М.БЕХТЕРЕВА МИНИСТЕРСТВА ЗДРАВООХРАНЕНИЯ РЕСПУБЛИКИ ТАТАРСТАН"',
        nmck="77178.00",
        ikz="262166001802016600100102081772120244",
        inn="1660018020",
        region="16",
        stamp=datetime(2026, 7, 29, 6, 58, 17, tzinfo=UTC),
    ),
    dict(
        reg="0341200003926000222",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        title="Поставка контейнеров для сбора колюще-режущих медицинских отходов для ОГБУЗ ККОД",
        customer='ОБЛАСТНОЕ ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ "КОСТРОМСКОЙ КЛИНИЧЕСКИЙ '
        'ОНКОЛОГИЧЕСКИЙ ДИСПАНСЕР"',
        nmck="109500.00",
        ikz="262444302644644430100100111160000244",
        inn="4443026446",
        region="44",
        stamp=datetime(2026, 7, 29, 6, 58, 16, tzinfo=UTC),
    ),
]


def _feed():
    data = sample_bytes(FEED)
    return parse_rss(safe_xml_root(data, FEED), FEED)


def test_feed_has_five_items_in_order():
    assert [n.reg_number for n in _feed()] == [item["reg"] for item in ITEMS]


@pytest.mark.parametrize("item", ITEMS, ids=[item["reg"] for item in ITEMS])
def test_rss_item(item):
    notice = next(n for n in _feed() if n.reg_number == item["reg"])
    assert notice.law == "44-FZ"
    assert notice.version is None
    assert notice.method == item["method"]
    assert notice.kind == item["kind"]
    assert notice.title == item["title"]
    assert notice.status == "Подача заявок"
    # author and «Наименование Заказчика» both carry highlight spans; no tag text survives.
    assert notice.customer_name == item["customer"]
    assert notice.customer_inn == item["inn"]
    assert notice.customer_region == item["region"]
    assert notice.nmck == Decimal(item["nmck"])
    assert notice.currency == "RUB"
    # «Размещено/Обновлено: 29.07.2026» and pubDate name the same Moscow day: the precise pubDate wins.
    assert notice.published_at == item["stamp"]
    assert notice.updated_at == item["stamp"]
    assert notice.submission_deadline is None
    assert notice.ikz == item["ikz"]
    assert notice.url == (
        f"https://zakupki.gov.ru/epz/order/notice/{item['slug']}/view/common-info.html?regNumber={item['reg']}"
    )
    assert notice.okpd2 == [] and notice.delivery_regions == []
    assert notice.source == "rss"
    assert notice.completeness == "listing"
    assert notice.notes == []


def test_unclosed_highlight_span_does_not_swallow_the_following_fields():
    description = (
        "<strong>Наименование Заказчика: </strong>ГБУ ЗДРАВО<span class='highlightColor'>ОХРАНЕНИЯ "
        '"Б"<br/><strong>Начальная цена контракта: </strong>100.50<strong> Валюта: </strong>Российский рубль'
        "<br/><strong>Этап размещения: </strong>Подача заявок<br/>"
    )
    assert description_fields(description) == {
        "Наименование Заказчика": 'ГБУ ЗДРАВООХРАНЕНИЯ "Б"',
        "Начальная цена контракта": "100.50",
        "Валюта": "Российский рубль",
        "Этап размещения": "Подача заявок",
    }


_ITEM = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>/x</link><description>d</description>
<item>
  <title>{title}</title>
  <link>{link}</link>
  <description>{description}</description>
  <pubDate>{pub}</pubDate>
</item></channel></rss>"""


def _one(title: str, link: str, description: str, pub: str = "Mon, 03 Aug 2026 10:00:00 GMT"):
    xml = _ITEM.format(title=title, link=link, description=description, pub=pub).encode()
    return parse_rss(safe_xml_root(xml, "feed.xml"), "feed.xml")


def test_relative_link_and_day_only_dates():
    """The 2019 feed used relative links; a pubDate on another day than «Размещено» keeps day precision."""
    description = (
        "&lt;strong&gt;Размещение выполняется по: &lt;/strong&gt;44-ФЗ&lt;br/&gt;"
        "&lt;strong&gt;Размещено: &lt;/strong&gt;01.08.2026&lt;br/&gt;"
        "&lt;strong&gt;Обновлено: &lt;/strong&gt;03.08.2026&lt;br/&gt;"
    )
    [notice] = _one(
        "Запрос котировок в электронной форме №0320100007626000001",
        "/epz/order/notice/zk20/view/common-info.html?regNumber=0320100007626000001",
        description,
    )
    assert (
        notice.url
        == "https://zakupki.gov.ru/epz/order/notice/zk20/view/common-info.html?regNumber=0320100007626000001"
    )
    assert notice.kind == "quotation"
    assert notice.published_at == datetime(2026, 8, 1, tzinfo=MOSCOW)
    assert notice.updated_at == datetime(2026, 8, 3, 10, 0, tzinfo=UTC)
    assert notice.notes == [DATE_ONLY_NOTE]
    assert notice.nmck is None and notice.customer_name is None and notice.ikz is None


def test_pp615_item_is_skipped():
    description = "&lt;strong&gt;Размещение выполняется по: &lt;/strong&gt;ПП РФ 615&lt;br/&gt;"
    assert _one("Электронный аукцион №206520000011900119", "/epz/order/notice/ea615/view/common-info.html"
                "?regNumber=206520000011900119", description) == []  # fmt: skip


def test_item_without_number_is_an_error():
    with pytest.raises(ParseError) as err:
        _one("Электронный аукцион", "https://zakupki.gov.ru/epz/order/extendedsearch/results.html", "")
    assert err.value.source == "feed.xml"
    assert (
        err.value.problem == "RSS item 1 has no registry number in <link> or <title> ('Электронный аукцион')"
    )


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (b"<feed/>", "not an RSS feed: root element <feed>"),
        (b"<rss version='2.0'/>", "RSS feed without a <channel>"),
    ],
)
def test_not_a_feed(xml, problem):
    with pytest.raises(ParseError) as err:
        parse_rss(safe_xml_root(xml, "feed.xml"), "feed.xml")
    assert err.value.problem == problem


def test_empty_channel_is_no_notices():
    xml = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    assert parse_rss(safe_xml_root(xml, "feed.xml"), "feed.xml") == []


def test_truncated_feed_is_a_parse_error():
    data = sample_bytes(FEED)
    with pytest.raises(ParseError, match="malformed XML"):
        parse_rss(safe_xml_root(data[: len(data) * 2 // 3], FEED), FEED)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_feed_raises_only_parse_error(data):
    original = sample_bytes(FEED)
    start = data.draw(st.integers(0, len(original) - 1))
    length = data.draw(st.integers(1, 300))
    junk = data.draw(st.binary(max_size=40))
    try:
        mutated = original[:start] + junk + original[start + length :]
        parse_rss(safe_xml_root(mutated, FEED), FEED)
    except ParseError:
        pass


def test_through_parse_document():
    from crawler.parsers import parse_document

    notices = parse_document(
        sample_bytes(FEED), url="https://zakupki.gov.ru/epz/order/extendedsearch/rss.html"
    )
    assert [(n.reg_number, n.source) for n in notices] == [(item["reg"], "rss") for item in ITEMS]
