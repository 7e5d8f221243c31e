"""EIS HTML: the search results page (44-FZ and 223-FZ cards), the notice card, the documents tab,
and the pages that only pretend to be EIS data (maintenance, captcha, empty, truncated)."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crawler.parsers.common import DATE_ONLY_NOTE
from crawler.parsers.common import MOSCOW
from crawler.parsers.common import ParseError
from crawler.parsers.html import SearchPage
from crawler.parsers.html import looks_like_error_page
from crawler.parsers.html import parse_html
from crawler.parsers.html import read_search_page
from tests.conftest import sample_bytes

LIST_44 = "html_eis_list.html"
LIST_223 = "html_eis_list_223.html"
DETAIL = "html_eis_detail.html"
DOCUMENTS = "html_eis_documents.html"
EZT_URL = "https://zakupki.gov.ru/epz/order/notice/ezt20/view/common-info.html?regNumber=0338200002226000330"
AUCTION = "Электронный аукцион"


def _msk(day: str) -> datetime:
    d, m, y = (int(x) for x in day.split("."))
    return datetime(y, m, d, tzinfo=MOSCOW)


# One dict per card, in page order. INN and region come from the IKZ (the 44-FZ customer link carries
# only an organisation code).
LIST_44_CARDS = [
    dict(
        reg="0338200002226000330",
        slug="ezt20",
        method="Закупка, осуществляемая в соответствии с частью 12 статьи 93 Закона № 44-ФЗ",
        kind="single_supplier",
        status="Определение поставщика завершено",
        title="",
        customer=(
            'ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ "КАМЧАТСКИЙ '
            'КРАЕВОЙ ОНКОЛОГИЧЕСКИЙ ДИСПАНСЕР"'
        ),
        inn="4101040198",
        region="41",
        nmck="262512.00",
        published="05.08.2026",
        updated="05.08.2026",
        deadline=None,
        ikz="262410104019841010100100730480000000",
    ),
    dict(
        reg="0138100003126000026",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Определение поставщика завершено",
        title="Поставка хозяйственных товаров для нужд Арбитражного суда Камчатского края",
        customer="АРБИТРАЖНЫЙ СУД КАМЧАТСКОГО КРАЯ",
        inn="4101125807",
        region="41",
        nmck="60000.00",
        published="24.07.2026",
        updated="05.08.2026",
        deadline="03.08.2026",
        ikz="261410112580741010100100430010000244",
    ),
    dict(
        reg="0338300047926000273",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Определение поставщика завершено",
        title="Лекарственные препараты для стационарных отделений",
        customer=(
            "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ КАМЧАТСКОГО КРАЯ "
            '"ЕЛИЗОВСКАЯ РАЙОННАЯ БОЛЬНИЦА"'
        ),
        inn="4105040135",
        region="41",
        nmck="106236.00",
        published="27.07.2026",
        updated="05.08.2026",
        deadline="04.08.2026",
        ikz="262410504013541050100100700600000244",
    ),
    dict(
        reg="0338300006126000098",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Определение поставщика завершено",
        title="Поставка медицинских расходных материалов (кабели)",
        customer=(
            "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ КАМЧАТСКОГО КРАЯ "
            '"ПЕТРОПАВЛОВСК-КАМЧАТСКАЯ ГОРОДСКАЯ ПОЛИКЛИНИКА № 3"'
        ),
        inn="4101036096",
        region="41",
        nmck="211904.00",
        published="28.07.2026",
        updated="05.08.2026",
        deadline="05.08.2026",
        ikz="262410103609641010100101000012660244",
    ),
    dict(
        reg="0338300004726000162",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Работа комиссии",
        title=(
            "Поставка лекарственных препаратов в целях обеспечения отдельных "
            "категорий граждан (региональных льготников) лекарственными средствами "
            "и изделиями медицинского назначения"
        ),
        customer=(
            "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ КАМЧАТСКОГО КРАЯ "
            '"ПЕТРОПАВЛОВСК-КАМЧАТСКАЯ ГОРОДСКАЯ БОЛЬНИЦА № 2"'
        ),
        inn="4101068210",
        region="41",
        nmck="975398.60",
        published="28.07.2026",
        updated="05.08.2026",
        deadline="05.08.2026",
        ikz="262410106821041010100100040170000323",
    ),
    dict(
        reg="0361200015026003236",
        slug="ok20",
        method="Открытый конкурс в электронной форме",
        kind="competition",
        status="Определение поставщика завершено",
        title=(
            "Выполнение работ по восстановлению земляного полотна на участках с "
            "пучинистыми грунтами на автомобильной дороге Тымовское - "
            "Александровск-Сахалинский, 0+021 - км 54+489"
        ),
        customer=None,
        inn="6501155038",
        region="65",
        nmck="7242558.45",
        published="20.07.2026",
        updated="05.08.2026",
        deadline="05.08.2026",
        ikz="262650115503865010100101010014211244",
    ),
    dict(
        reg="0888600000126000050",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Работа комиссии",
        title=(
            "Поставка технических жидкостей в рамках создания запасов "
            "материально-технических средств в целях ГО и ЧС"
        ),
        customer=(
            'МУНИЦИПАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "АДМИНИСТРАТИВНО-ХОЗЯЙСТВЕННАЯ '
            "СЛУЖБА, ЕДИНАЯ ДЕЖУРНО-ДИСПЕТЧЕРСКАЯ СЛУЖБА, АРХИВ МУНИЦИПАЛЬНОГО "
            'ОКРУГА ЭГВЕКИНОТ"'
        ),
        inn="8704004905",
        region="87",
        nmck="99000.00",
        published="28.07.2026",
        updated="05.08.2026",
        deadline="05.08.2026",
        ikz="263870400490587040100100750710000244",
    ),
    dict(
        reg="0888600000126000049",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Работа комиссии",
        title=(
            "Приобретение и поставка товаров (топоры и пилы) в рамках создания "
            "запасов материально-технических средств в целях ГО и ЧС"
        ),
        customer=(
            'МУНИЦИПАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "АДМИНИСТРАТИВНО-ХОЗЯЙСТВЕННАЯ '
            "СЛУЖБА, ЕДИНАЯ ДЕЖУРНО-ДИСПЕТЧЕРСКАЯ СЛУЖБА, АРХИВ МУНИЦИПАЛЬНОГО "
            'ОКРУГА ЭГВЕКИНОТ"'
        ),
        inn="8704004905",
        region="87",
        nmck="16583.30",
        published="28.07.2026",
        updated="05.08.2026",
        deadline="05.08.2026",
        ikz="263870400490587040100100740700000244",
    ),
    dict(
        reg="0888600001026000069",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Определение поставщика завершено",
        title="Поставка сувенирной продукции (ручки шариковые)",
        customer=(
            'МУНИЦИПАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "УПРАВЛЕНИЕ ПО ОБЕСПЕЧЕНИЮ '
            "ДЕЯТЕЛЬНОСТИ ОРГАНОВ МЕСТНОГО САМОУПРАВЛЕНИЯ И АРХИВ МУНИЦИПАЛЬНОГО "
            'ОКРУГА ПЕВЕК"'
        ),
        inn="8706006785",
        region="87",
        nmck="85888.50",
        published="27.07.2026",
        updated="05.08.2026",
        deadline="04.08.2026",
        ikz="263870600678587060100100630013299244",
    ),
    dict(
        reg="0888600001026000068",
        slug="ea20",
        method=AUCTION,
        kind="auction",
        status="Определение поставщика завершено",
        title="Поставка сувенирной продукции (блокноты)",
        customer=(
            'МУНИЦИПАЛЬНОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "УПРАВЛЕНИЕ ПО ОБЕСПЕЧЕНИЮ '
            "ДЕЯТЕЛЬНОСТИ ОРГАНОВ МЕСТНОГО САМОУПРАВЛЕНИЯ И АРХИВ МУНИЦИПАЛЬНОГО "
            'ОКРУГА ПЕВЕК"'
        ),
        inn="8706006785",
        region="87",
        nmck="88116.50",
        published="27.07.2026",
        updated="05.08.2026",
        deadline="04.08.2026",
        ikz="263870600678587060100100650011723244",
    ),
]


def test_search_page_has_ten_cards_in_page_order():
    notices = parse_html(sample_bytes(LIST_44), LIST_44, None)
    assert [n.reg_number for n in notices] == [card["reg"] for card in LIST_44_CARDS]


@pytest.mark.parametrize("card", LIST_44_CARDS, ids=[card["reg"] for card in LIST_44_CARDS])
def test_search_card_44(card):
    notice = next(n for n in parse_html(sample_bytes(LIST_44), LIST_44, None) if n.reg_number == card["reg"])
    assert notice.law == "44-FZ"
    assert notice.version is None
    assert notice.method == card["method"]
    assert notice.kind == card["kind"]
    assert notice.status == card["status"]
    assert notice.title == card["title"]
    assert notice.customer_name == card["customer"]
    assert notice.customer_inn == card["inn"]
    assert notice.customer_region == card["region"]
    assert notice.nmck == Decimal(card["nmck"])
    assert notice.currency == "RUB"
    assert notice.published_at == _msk(card["published"])
    assert notice.updated_at == _msk(card["updated"])
    assert notice.submission_deadline == (_msk(card["deadline"]) if card["deadline"] else None)
    assert notice.ikz == card["ikz"]
    assert notice.url == (
        f"https://zakupki.gov.ru/epz/order/notice/{card['slug']}/view/common-info.html?regNumber={card['reg']}"
    )
    assert notice.source == "html_search"
    assert notice.completeness == "listing"
    assert notice.okpd2 == [] and notice.items == [] and notice.delivery_places == []
    assert notice.smp_only is False
    assert DATE_ONLY_NOTE in notice.notes


def test_ezt20_card_with_missing_blocks():
    """The first card has no «Объект закупки» and no deadline block: nothing shifts into their place."""
    first = parse_html(sample_bytes(LIST_44), LIST_44, None)[0]
    assert first.title == ""
    assert first.submission_deadline is None
    assert first.updated_at == _msk("05.08.2026")
    assert first.notes == [DATE_ONLY_NOTE]


def test_placer_only_card_keeps_customer_unknown_and_says_why():
    card = next(
        n for n in parse_html(sample_bytes(LIST_44), LIST_44, None) if n.reg_number == "0361200015026003236"
    )
    assert card.customer_name is None
    assert card.notes == [
        DATE_ONLY_NOTE,
        "the card names only the placing organisation «ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ "
        '"ЦЕНТР ГОСУДАРСТВЕННЫХ ЗАКУПОК САХАЛИНСКОЙ ОБЛАСТИ"», not the customer',
    ]


def test_search_card_223():
    [notice] = parse_html(sample_bytes(LIST_223), LIST_223, None)
    assert notice.reg_number == "32616184235"
    assert notice.law == "223-FZ"
    assert notice.method == "Иной способ"
    assert notice.kind == "other"
    assert notice.status == "Закупка завершена"
    assert notice.title == "Предоставление права на использование Аналитическая платформа Visiology"
    assert notice.customer_name == 'АКЦИОНЕРНОЕ ОБЩЕСТВО "РОССЕТИ ЯНТАРЬ"'
    assert notice.customer_inn == "3903007130"  # from the organisation link's inn= parameter
    assert notice.customer_region == "39"  # kpp=390601001
    assert notice.nmck == Decimal("675000.00")
    assert notice.currency == "RUB"
    assert notice.published_at == _msk("07.07.2026")
    assert notice.updated_at == _msk("03.08.2026")
    assert notice.submission_deadline == _msk("15.07.2026")
    assert notice.ikz is None
    assert (
        notice.url
        == "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber=32616184235"
    )
    assert notice.source == "html_search"
    assert notice.completeness == "listing"
    assert notice.notes == [DATE_ONLY_NOTE]


def test_card_fragment_takes_reg_number_from_url():
    [notice] = parse_html(sample_bytes(DETAIL), DETAIL, EZT_URL)
    assert notice.reg_number == "0338200002226000330"
    assert notice.law == "44-FZ"
    assert notice.nmck == Decimal("262512.00")
    assert notice.currency == "RUB"
    assert notice.ikz == "262410104019841010100100730480000000"
    assert notice.customer_inn == "4101040198"
    assert notice.customer_region == "41"  # «Регион: Камчатский край»
    assert notice.url == EZT_URL
    assert notice.source == "html_card"
    assert notice.completeness == "listing"
    assert notice.method is None and notice.kind == "other" and notice.title == ""
    assert notice.published_at is None and notice.submission_deadline is None
    assert notice.notes == []


def test_card_fragment_without_any_reg_number_is_an_error():
    with pytest.raises(ParseError) as err:
        parse_html(sample_bytes(DETAIL), DETAIL, None)
    assert err.value.source == DETAIL
    assert err.value.problem == (
        "notice card without a registry number: pass the card URL with regNumber=... "
        "or name the file after the registry number (e.g. 0338300004726000162.html)"
    )


@pytest.mark.parametrize(
    ("url", "reg_number", "law"),
    [
        ("/data/cards/0338300004726000162.html", "0338300004726000162", "44-FZ"),
        ("export.zip!cards/card_0338300004726000162_saved.html", "0338300004726000162", "44-FZ"),
        ("C:\\saved\\32109998392.htm", "32109998392", "223-FZ"),
    ],
)
def test_card_fragment_takes_its_reg_number_from_the_file_name(url, reg_number, law):
    [notice] = parse_html(sample_bytes(DETAIL), url, url)
    assert (notice.reg_number, notice.law) == (reg_number, law)


@pytest.mark.parametrize(
    "url",
    [
        "/data/0338300004726000162/card.html",  # a folder's digits are not the file's number
        "/data/card-12345678901234567890.html",  # 20 digits: no registry number
        "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?noticeId=0338300004726000162",
    ],
)
def test_file_name_fallback_ignores_folders_long_numbers_and_web_urls(url):
    with pytest.raises(ParseError, match="name the file after the registry number"):
        parse_html(sample_bytes(DETAIL), url, url)


def test_documents_tab_is_recognised_and_carries_no_notice():
    assert parse_html(sample_bytes(DOCUMENTS), DOCUMENTS, None) == []
    url = "https://zakupki.gov.ru/epz/order/notice/ea20/view/documents.html?regNumber=0338300004726000162"
    assert parse_html(sample_bytes(DOCUMENTS), DOCUMENTS, url) == []


_FULL_CARD = """<html><head><meta charset="utf-8"><title>Извещение</title></head><body>
<div class="cardMainInfo row">
  <div class="sectionMainInfo borderRight col-6">
    <div class="sectionMainInfo__header">
      <div class="cardMainInfo__title d-flex text-truncate">44-ФЗ
          Запрос котировок в электронной форме</div>
      <div class="cardMainInfo__status">
        <span class="cardMainInfo__purchaseLink distancedText"><a href="#">№ 0373200000000000001</a></span>
        <span class="cardMainInfo__state distancedText">Подача заявок</span>
      </div>
    </div>
    <div class="sectionMainInfo__body">
      <div class="cardMainInfo__section"><span class="cardMainInfo__title">Объект закупки</span>
        <span class="cardMainInfo__content">Поставка ноутбуков</span></div>
      <div class="cardMainInfo__section"><span class="cardMainInfo__title">Заказчик</span>
        <span class="cardMainInfo__content"><a href="/x">ГБУ «ТЕСТ»</a></span></div>
    </div>
  </div>
  <div class="sectionMainInfo col-3">
    <div class="price"><span class="cardMainInfo__title">Начальная цена</span>
      <span class="cardMainInfo__content cost">1&nbsp;234&nbsp;567,89 ₽</span></div>
    <div class="date">
      <div class="cardMainInfo__section"><span class="cardMainInfo__title">Размещено</span>
        <span class="cardMainInfo__content">01.08.2026</span></div>
      <div class="cardMainInfo__section"><span class="cardMainInfo__title">Обновлено</span>
        <span class="cardMainInfo__content">02.08.2026</span></div>
    </div>
  </div>
</div>
<div class="row blockInfo"><div class="col">
  <section class="blockInfo__section section"><span class="section__title">Дата и время окончания срока подачи
    заявок</span><span class="section__info">11.08.2026 09:00 (МСК+7)</span></section>
  <section class="blockInfo__section section"><span class="section__title">Размер обеспечения исполнения
    контракта</span><span class="section__info">5,00 %</span></section>
  <section class="blockInfo__section section"><span class="section__title">Размер обеспечения заявки</span>
    <span class="section__info">12&nbsp;345,68 Российский рубль</span></section>
  <section class="blockInfo__section section"><span class="section__title">Место поставки товара, выполнения
    работы или оказания услуги</span>
    <span class="section__info">г. Владивосток, ул. Светланская, 1</span></section>
</div></div>
</body></html>"""


def test_full_card_header_and_sections():
    """The complete card layout (header + sections), as the EIS renders it; written for this test."""
    [notice] = parse_html(_FULL_CARD.encode(), "card.html", None)
    assert notice.reg_number == "0373200000000000001"
    assert notice.law == "44-FZ"
    assert notice.method == "Запрос котировок в электронной форме"
    assert notice.kind == "quotation"
    assert notice.status == "Подача заявок"
    assert notice.title == "Поставка ноутбуков"
    assert notice.customer_name == "ГБУ «ТЕСТ»"
    assert notice.nmck == Decimal("1234567.89")
    assert notice.currency == "RUB"
    assert notice.published_at == _msk("01.08.2026")
    assert notice.updated_at == _msk("02.08.2026")
    # «(МСК+7)»: Vladivostok local time, UTC+10.
    assert notice.submission_deadline == datetime(2026, 8, 11, 9, 0, tzinfo=timezone(timedelta(hours=10)))
    assert notice.contract_security is None
    assert notice.contract_security_percent == Decimal("5.00")
    assert notice.bid_security == Decimal("12345.68")
    assert notice.delivery_places == ["г. Владивосток, ул. Светланская, 1"]
    assert notice.delivery_regions == ["25"]
    assert notice.url is None  # a 44-FZ card URL depends on the procedure slug: not invented
    assert notice.notes == [DATE_ONLY_NOTE]


MAINTENANCE = """<!DOCTYPE html><html><head><title>ЕИС</title></head>
<body><h1>Технические работы</h1>
<p>Уважаемые пользователи! На сайте проводятся технические работы.</p></body></html>"""
CAPTCHA = """<html><head><title>Проверка</title></head><body>
<form action="/captcha"><p>Подтвердите, что вы не робот</p><img src="/captcha.png"></form></body></html>"""
WAF = """<html><head><title>Request Rejected</title></head><body>The requested URL was rejected.
Please consult with your administrator.<br><br>Your support ID is: 1234567890</body></html>"""


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        (MAINTENANCE, "maintenance page («Технические работы»), not EIS data"),
        (CAPTCHA, "captcha or WAF block page, not EIS data"),
        (WAF, "captcha or WAF block page, not EIS data"),
    ],
)
def test_error_pages_are_parse_errors(page, problem):
    data = page.encode()
    assert looks_like_error_page(data) == problem
    with pytest.raises(ParseError) as err:
        parse_html(data, "https://zakupki.gov.ru/epz/order/extendedsearch/rss.html", None)
    assert err.value.source == "https://zakupki.gov.ru/epz/order/extendedsearch/rss.html"
    assert err.value.problem == problem


@pytest.mark.parametrize("name", [LIST_44, LIST_223, DETAIL, DOCUMENTS])
def test_real_pages_are_not_error_pages(name):
    assert looks_like_error_page(sample_bytes(name)) is None


def test_maintenance_words_inside_a_real_results_page_are_not_an_error():
    data = sample_bytes(LIST_44).replace(
        "Поставка сувенирной продукции (блокноты)".encode(), "Технические работы по ремонту".encode()
    )
    assert looks_like_error_page(data) is None
    assert parse_html(data, LIST_44, None)[-1].title == "Технические работы по ремонту"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty document"),
        (b" \n\t ", "empty document"),
        (b"<html><body><p>Hello</p></body></html>", "not a recognised EIS page"),
    ],
)
def test_empty_and_foreign_pages(data, problem):
    with pytest.raises(ParseError) as err:
        parse_html(data, "page.html", None)
    assert problem in err.value.problem


def _cut_at(data: bytes, marker: bytes, occurrence: int, offset: int) -> bytes:
    return data[: [m.start() for m in re.finditer(re.escape(marker), data)][occurrence] + offset]


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        (lambda d: d[:3000], "results page says «более 27 000 000 записей» but holds no search cards"),
        (
            lambda d: _cut_at(d, b"registry-entry__header-mid__number", 0, -100),
            "search card 1 of 1 has no registry number (truncated page?)",
        ),
        (
            lambda d: _cut_at(d, b"registry-entry__right-block", 4, -50),
            "search card 5 of 5 (№ 0338300004726000162) is cut short: no price/date block (truncated page?)",
        ),
    ],
)
def test_truncated_search_page_is_a_parse_error(cut, problem):
    with pytest.raises(ParseError) as err:
        parse_html(cut(sample_bytes(LIST_44)), LIST_44, None)
    assert err.value.source == LIST_44
    assert problem in err.value.problem


def test_results_page_with_zero_hits_is_empty():
    page = (
        '<div class="search-results__total">0 записей</div><div class="search-registry-entrys-block"></div>'
    )
    assert parse_html(page.encode(), "empty-results.html", None) == []


def test_windows_1251_page_is_decoded():
    page = MAINTENANCE.replace("<head>", '<head><meta charset="windows-1251">')
    with pytest.raises(ParseError, match="Технические работы"):
        parse_html(page.encode("cp1251"), "cp1251.html", None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_parse_error(data):
    try:
        parse_html(data, "fuzz.html", None)
    except ParseError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_search_page_raises_only_parse_error(data):
    original = sample_bytes(LIST_223)
    start = data.draw(st.integers(0, len(original) - 1))
    length = data.draw(st.integers(1, 400))
    junk = data.draw(st.binary(max_size=40))
    try:
        parse_html(original[:start] + junk + original[start + length :], LIST_223, None)
    except ParseError:
        pass


def test_through_parse_document():
    from crawler.parsers import parse_document

    assert len(parse_document(sample_bytes(LIST_44), url=LIST_44)) == 10
    assert [n.reg_number for n in parse_document(sample_bytes(LIST_223))] == ["32616184235"]
    assert [n.reg_number for n in parse_document(sample_bytes(DETAIL), url=EZT_URL)] == [
        "0338200002226000330"
    ]
    assert parse_document(sample_bytes(DOCUMENTS)) == []
    with pytest.raises(ParseError, match="Технические работы"):
        parse_document(MAINTENANCE.encode(), url="https://zakupki.gov.ru/epz/order/extendedsearch/rss.html")


def test_a_saved_results_fragment_says_what_it_states_and_cannot_prove_it_is_whole():
    """The real page's counter says «более 27 000 000 записей»; its CSV link carries the exact total."""
    page = read_search_page(sample_bytes(LIST_44), LIST_44)
    assert (len(page.entries), page.total, page.total_is_minimum, page.has_next) == (
        10,
        27511591,
        False,
        False,
    )
    assert not page.closed  # a saved fragment, not the whole page the crawler receives
    assert page.gap(page=1, page_size=10) == "page 1 ends before </html> after 10 entries (truncated)"


@pytest.mark.parametrize(
    ("entries", "total", "has_next", "gap"),
    [
        (10, 25, True, None),
        (5, 25, False, None),  # page 3 of 10 a page: the last five
        (7, 25, False, None),  # more than the total implies: entries published while paging
        (4, 25, False, "page 3 holds 4 entries where 25 records at 10 a page mean 5"),
        (10, 40, False, "page 3 has no next-page link although the search states 40 records"),
        (8, 40, True, "page 3 holds 8 entries where 40 records at 10 a page mean 10"),
    ],
)
def test_a_page_is_whole_only_if_its_entries_total_and_paginator_agree(entries, total, has_next, gap):
    listing = SearchPage(
        entries=[object()] * entries, total=total, total_is_minimum=False, has_next=has_next, closed=True
    )
    assert listing.gap(page=3, page_size=10) == gap
