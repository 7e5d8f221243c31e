"""EIS HTML pages -> ``Notice``: the extended-search results page and the 44-FZ notice card.

Recognised pages:

* search results (``/epz/order/extendedsearch/results.html``): one listing notice per
  ``search-registry-entry-block`` card, 44-FZ and 223-FZ alike;
* the notice card ``common-info.html``: the ``blockInfo`` sections become a title -> value map
  (plus the ``cardMainInfo`` header when the page has it);
* the documents tab ``documents.html``: a valid page without notice data -> ``[]``.

Anything else (a maintenance or captcha page served with HTTP 200, an empty or cut-off body) is a
``ParseError``. Values are paired with their titles, never picked by position, because blocks
are missing on some cards (the ezt20 card has neither "Объект закупки" nor a deadline).

The HTML shows dates without a time and without a zone: they are read as 00:00 Moscow time and
the notice says so in ``notes``. lxml.html is used rather than BeautifulSoup: the pages are
server-rendered and well-formed enough, and lxml is several times faster on a 110 KB results page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from typing import ClassVar
from typing import cast
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import DATE_ONLY_NOTE
from crawler.parsers.common import ParseError
from crawler.parsers.common import check_size
from crawler.parsers.common import clean
from crawler.parsers.common import currency_code
from crawler.parsers.common import date_start
from crawler.parsers.common import inn_kpp_from_ikz
from crawler.parsers.common import law_from_label
from crawler.parsers.common import law_from_reg_number
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_datetime
from crawler.parsers.common import parse_money
from crawler.parsers.common import reg_number_from_url
from crawler.parsers.eis223 import CARD_URL as CARD_URL_223
from crawler.parsers.methods import kind_for
from data.notice import Law
from data.notice import Notice
from data.reference.regions import derive_regions
from data.reference.regions import resolve_region

SEARCH_SOURCE = "html_search"
CARD_SOURCE = "html_card"
EIS_BASE = "https://zakupki.gov.ru/"

_HTML_PARSER = lxml.html.HTMLParser(  # type: ignore[call-arg]  # lxml-stubs lack default_doctype (lxml has it)
    no_network=True, remove_comments=True, remove_pis=True, huge_tree=False, default_doctype=False
)

log = logging.getLogger(__name__)


class Elements:
    """A compiled XPath that selects elements. lxml types any XPath result as any XPath value
    (booleans, numbers, strings, nodes); these expressions only ever select HTML elements."""

    def __init__(self, path: str) -> None:
        self._xpath = etree.XPath(path)

    def __call__(self, node: etree._Element) -> list[lxml.html.HtmlElement]:
        return cast(list[lxml.html.HtmlElement], self._xpath(node))


class _Strings:
    """A compiled XPath that selects attribute values (``//@onclick``): strings."""

    def __init__(self, path: str) -> None:
        self._xpath = etree.XPath(path)

    def __call__(self, node: etree._Element) -> list[str]:
        return [str(value) for value in cast(list[str], self._xpath(node))]


def has_class(name: str) -> str:
    """XPath predicate for one CSS class token (``contains(@class)`` alone would match prefixes)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_X_CARDS = Elements(f"//div[{has_class('search-registry-entry-block')}]")
_X_HEADER_TITLE = Elements(f".//div[{has_class('registry-entry__header-top__title')}]")
_X_NUMBER_LINK = Elements(f".//div[{has_class('registry-entry__header-mid__number')}]//a")
_X_STATUS = Elements(f".//div[{has_class('registry-entry__header-mid__title')}]")
_X_BODY_BLOCKS = Elements(f".//div[{has_class('registry-entry__body-block')}]")
_X_BODY_TITLE = Elements(f".//div[{has_class('registry-entry__body-title')}]")
_X_BODY_VALUE = Elements(f".//div[{has_class('registry-entry__body-value')}]")
_X_BODY_LINK = Elements(f".//div[{has_class('registry-entry__body-href')}]//a")
_X_RIGHT_BLOCK = Elements(f".//div[{has_class('registry-entry__right-block')}]")
_X_PRICE = Elements(f".//div[{has_class('price-block__value')}]")
_X_DATA_TITLES = Elements(f".//div[{has_class('data-block__title')}]")
_X_NEXT_DATA_VALUE = Elements(f"following-sibling::div[1][{has_class('data-block__value')}]")
_X_ONCLICK = _Strings(".//@onclick")
_X_TOTAL = Elements(f"//div[{has_class('search-results__total')}]")

_X_SECTIONS = Elements(f"//section[{has_class('blockInfo__section')}]")
_X_SECTION_TITLE = Elements(f"./span[{has_class('section__title')}]")
_X_SECTION_INFO = Elements(f"./span[{has_class('section__info')}]")
_X_MAIN_INFO = Elements(f"//div[{has_class('cardMainInfo')}]")
_X_MAIN_TITLE = Elements(f"//div[{has_class('cardMainInfo__title')}]")
_X_MAIN_NUMBER = Elements(f"//span[{has_class('cardMainInfo__purchaseLink')}]//a")
_X_MAIN_STATE = Elements(f"//span[{has_class('cardMainInfo__state')}]")
_X_MAIN_SECTIONS = Elements(f"//*[{has_class('cardMainInfo__section')} or {has_class('price')}]")
_X_MAIN_SECTION_TITLE = Elements(f"./span[{has_class('cardMainInfo__title')}]")
_X_MAIN_SECTION_CONTENT = Elements(f"./span[{has_class('cardMainInfo__content')}]")

_X_ATTACHMENTS = Elements(
    f"//div[{has_class('attachment')}]"
    " | //a[contains(@href, '/filestore/public/') and contains(@href, 'download')]"
)

_REG_NUMBER_TEXT = re.compile(r"№\s*(\d{11,19})\b")
_REG_NUMBER_IN_NAME = re.compile(r"(?<!\d)(\d{19}|3\d{10})(?!\d)")
"""A 44-FZ (19 digits) or 223-FZ (11 digits from 3) registry number standing alone in a file name."""
_PLAN_IKZ = re.compile(r"openPlanGraphSearchUrl\(\s*'(\d{36})'\s*\)")
_TOTAL_COUNT = re.compile(r"\d[\d\s]*")


# --- error pages -------------------------------------------------------------------------------

_EIS_MARKERS = (
    b"search-registry-entry-block",
    b"blockInfo__section",
    b"cardMainInfo",
    b"search-results__total",
    b"/filestore/public/",
)
_MAINTENANCE = re.compile(
    r"технические\s+работы|технических\s+работ|сайт\s+временно\s+недоступен|ведутся\s+работы"
    r"|service\s+(?:temporarily\s+)?unavailable|under\s+maintenance",
    re.IGNORECASE,
)
_BLOCKED = re.compile(
    r"captcha|капч|не\s+робот|подтвердите,\s+что\s+вы\s+человек|ddos-guard|servicepipe|qrator|incapsula"
    r"|cf-chl|checking\s+your\s+browser|the\s+requested\s+url\s+was\s+rejected|request\s+rejected"
    r"|access\s+denied|доступ\s+(?:к\s+\S+\s+)?(?:запрещ|огранич)",
    re.IGNORECASE,
)
_ERROR_SCAN_BYTES = 64 * 1024


def looks_like_error_page(data: bytes) -> str | None:
    """Why a 200 response is really an error page (maintenance, captcha/WAF), or None.

    Only pages without any EIS content marker are suspected, so a notice titled «Технические
    работы по обслуживанию ...» on a real results page is never mistaken for a maintenance page.
    """
    if not data or not data.strip():
        return "empty body"
    if any(marker in data for marker in _EIS_MARKERS):
        return None
    text = _decode(data[:_ERROR_SCAN_BYTES])
    if _MAINTENANCE.search(text):
        return "maintenance page («Технические работы»), not EIS data"
    if _BLOCKED.search(text):
        return "captcha or WAF block page, not EIS data"
    return None


# --- entry point -------------------------------------------------------------------------------


def parse_html(data: bytes, source: str, url: str | None) -> list[Notice]:
    """Notices on an EIS HTML page; ``url`` supplies the card's registry number when the page lacks it."""
    root = checked_root(data, source)
    try:
        cards = _X_CARDS(root)
        if cards:
            return _search_cards(cards, source)[0]
        if _X_TOTAL(root):
            return _empty_results(root, source)
        if (url and "/documents.html" in url) or _X_ATTACHMENTS(root):
            return []
        if _X_SECTIONS(root) or _X_MAIN_INFO(root):
            return [_notice_card(root, source, url)]
    except ValidationError as exc:
        raise ParseError(source, f"page data does not fit the Notice model: {exc}") from None
    raise ParseError(source, "not a recognised EIS page (no search cards, notice card or documents tab)")


def checked_root(data: bytes, source: str) -> lxml.html.HtmlElement:
    check_size(data, source)
    problem = looks_like_error_page(data)
    if problem:
        raise ParseError(source, problem)
    return _html_root(data, source)


def _search_cards(cards: list[etree._Element], source: str) -> tuple[list[Notice], int]:
    """The page's notices and how many entries were skipped as neither 44-FZ nor 223-FZ.

    One such entry (a «ПП РФ 615» capital-repair auction, which a search without law flags lists
    beside the others) must not cost the page: it is skipped with a warning and counted.
    """
    try:
        read = [_search_card(card, index, len(cards), source) for index, card in enumerate(cards, 1)]
    except ValidationError as exc:
        raise ParseError(source, f"page data does not fit the Notice model: {exc}") from None
    entries = [notice for notice in read if notice is not None]
    return entries, len(read) - len(entries)


# --- a search page as the crawler must read it: whole, or not at all -----------------------------


class IncompletePage(ParseError):
    """A results page that parses but cannot prove it is whole (cut off, short, no paginator)."""

    kind: ClassVar[str] = "incomplete_page"


@dataclass(frozen=True)
class SearchPage:
    """One results page with what it says about itself, so a crawler can check it is whole.

    ``total`` is the number of records the page states: the exact figure of the CSV-export link
    (``downloadCsv('?…', '27511591')``) when there is one, else the counter («более 27 000 000
    записей», then ``total_is_minimum``). ``closed``: the document reaches ``</html>``.
    """

    entries: list[Notice]
    total: int | None
    total_is_minimum: bool
    has_next: bool
    closed: bool
    skipped: int = 0
    """Entries read but left out: neither 44-FZ nor 223-FZ (they count towards the page's size)."""

    def gap(self, *, page: int, page_size: int, cap: int | None = None) -> str | None:
        """Why this page (number ``page`` of ``page_size`` entries) is not whole, or None.

        A page cut between two entries parses as a shorter, valid page without a paginator: only
        these cross-checks tell it from the real last page, so a crawl never takes it as the end.
        ``cap``: the most records the site lists of any query (``crawler.eis_site.RESULT_CAP``);
        the page that reaches it is the last one, whatever the search states.
        """
        read = len(self.entries) + self.skipped
        if not self.closed:
            return f"page {page} ends before </html> after {read} entries (truncated)"
        if self.total is None:
            return f"page {page} states no record count (truncated or changed markup)"
        listed = min(self.total, cap) if cap else self.total
        before = (page - 1) * page_size
        expected = max(0, min(page_size, listed - before))
        stated = f"{'more than ' if self.total_is_minimum else ''}{self.total} records"
        if read < expected:
            return f"page {page} holds {read} entries where {stated} at {page_size} a page mean {expected}"
        if listed > before + page_size and not self.has_next:
            return f"page {page} has no next-page link although the search states {stated}"
        if self.has_next and read < page_size:
            return f"page {page} holds {read} of {page_size} entries yet links a next page"
        return None

    def cut_after(self, *, page: int, page_size: int) -> bool:
        """Whether the search states more records than the pages up to this last one list: the
        site's result cap stopped the listing here, not the search's end («более N» counts too)."""
        if self.has_next or self.total is None:
            return False
        listed = page * page_size
        return self.total > listed or (self.total_is_minimum and self.total >= listed)


_CSV_TOTAL = re.compile(r"downloadCsv\(\s*'[^']*'\s*,\s*'(\d+)'\s*\)")
_CLOSED = re.compile(rb"</html>\s*$", re.IGNORECASE)
_X_NEXT_PAGE = Elements(f"//a[{has_class('paginator-button-next')}]")
_X_CSV_LINK = _Strings(f"//a[{has_class('downLoad-search')}]/@onclick")


def read_search_page(data: bytes, source: str) -> SearchPage:
    """A search results page with its self-description; ``ParseError`` if it is no results page."""
    root = checked_root(data, source)
    cards = _X_CARDS(root)
    if not cards and not _X_TOTAL(root):
        raise ParseError(source, "not an EIS search results page (no search cards, no record counter)")
    entries, skipped = _search_cards(cards, source) if cards else (_empty_results(root, source), 0)
    total, minimum = _stated_total(root)
    return SearchPage(
        entries=entries,
        skipped=skipped,
        total=total,
        total_is_minimum=minimum,
        has_next=bool(_X_NEXT_PAGE(root)),
        closed=reaches_html_end(data),
    )


def reaches_html_end(data: bytes) -> bool:
    """Whether a page's body ends with ``</html>``: a page the connection cut short does not."""
    return bool(_CLOSED.search(data[-4096:]))


def _stated_total(root: etree._Element) -> tuple[int | None, bool]:
    for onclick in _X_CSV_LINK(root):
        m = _CSV_TOTAL.search(onclick)
        if m:
            return int(m.group(1)), False
    counter = first_text(_X_TOTAL(root)) or ""
    m = _TOTAL_COUNT.search(counter)
    if m is None:
        return None, False
    return int(re.sub(r"\D", "", m.group())), "более" in counter.lower()


def _decode(data: bytes) -> str:
    """UTF-8 (what the EIS serves), windows-1251 when the page says so; a cut multibyte tail is dropped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", errors="replace")
        if re.search(rb"charset\s*=\s*[\"']?(?:windows-1251|cp1251)", data[:4096], re.IGNORECASE):
            return data.decode("cp1251", errors="replace")
        return data.decode("utf-8", errors="replace")


def _html_root(data: bytes, source: str) -> lxml.html.HtmlElement:
    text = _decode(data)
    if not text.strip():
        raise ParseError(source, "empty document")
    try:
        # Decoded text, not bytes: the saved fragments have no <meta charset> and lxml would guess latin-1.
        root = lxml.html.fromstring(text, parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(source, f"unreadable HTML: {exc}") from None
    if root is None:
        raise ParseError(source, "no HTML content")
    return root


def node_text(el: lxml.html.HtmlElement | None) -> str | None:
    return clean(el.text_content()) if el is not None else None


def first_text(nodes: list[lxml.html.HtmlElement]) -> str | None:
    return node_text(nodes[0]) if nodes else None


# --- search results ----------------------------------------------------------------------------


def _search_card(card: etree._Element, index: int, total: int, source: str) -> Notice | None:
    where = f"search card {index} of {total}"
    links = _X_NUMBER_LINK(card)
    href = _absolute(links[0].get("href")) if links else None
    number_text = node_text(links[0]) if links else None
    m = _REG_NUMBER_TEXT.search(number_text or "")
    reg_number = m.group(1) if m else reg_number_from_url(href)
    if reg_number is None:
        raise ParseError(source, f"{where} has no registry number (truncated page?)")
    if not _X_RIGHT_BLOCK(card):
        raise ParseError(
            source, f"{where} (№ {reg_number}) is cut short: no price/date block (truncated page?)"
        )
    header = first_text(_X_HEADER_TITLE(card))
    law, method = _law_and_method(header)
    law = law or law_from_reg_number(reg_number)
    if law is None:
        log.warning(
            "%s: %s (№ %s) skipped: placed under %r, not 44-FZ or 223-FZ", source, where, reg_number, header
        )
        return None
    blocks = _body_blocks(card)
    ikz = _plan_ikz(card)
    customer = blocks.get("Заказчик")
    inn, kpp = _customer_codes(customer, ikz)
    price_text = first_text(_X_PRICE(card))
    dates = _data_blocks(card)
    notes = [DATE_ONLY_NOTE]  # the search page shows days: updated_day_only below
    if customer is None and "Организация, осуществляющая размещение" in blocks:
        placer = blocks["Организация, осуществляющая размещение"][0]
        notes.append(f"the card names only the placing organisation «{placer}», not the customer")
    return Notice(
        reg_number=reg_number,
        law=law,
        method=method,
        kind=kind_for(method),
        title=blocks.get("Объект закупки", ("", None))[0] or "",
        status=first_text(_X_STATUS(card)),
        customer_name=customer[0] if customer else None,
        customer_inn=inn,
        customer_region=_region(inn=inn, kpp=kpp),
        nmck=parse_money(price_text),
        currency=_currency_from_price(price_text),
        published_at=_day(dates.get("Размещено")),
        updated_at=_day(dates.get("Обновлено")),
        submission_deadline=_day(dates.get("Окончание подачи заявок")),
        ikz=ikz,
        url=href,
        source=SEARCH_SOURCE,
        completeness="listing",
        updated_day_only=True,
        notes=notes,
    )


def _law_and_method(header: str | None) -> tuple[Law | None, str | None]:
    """«44-ФЗ Электронный аукцион» -> ("44-FZ", "Электронный аукцион")."""
    if not header:
        return None, None
    law = law_from_label(header)
    method = re.sub(r"^\s*(?:44|223)\s*-\s*ФЗ\s*", "", header, flags=re.IGNORECASE)
    return law, clean(method)


def _body_blocks(card: etree._Element) -> dict[str, tuple[str, str | None]]:
    """Body title -> (value text, link href) for «Объект закупки», «Заказчик», ..."""
    blocks: dict[str, tuple[str, str | None]] = {}
    for block in _X_BODY_BLOCKS(card):
        title = first_text(_X_BODY_TITLE(block))
        if not title:
            continue
        links = _X_BODY_LINK(block)
        value = node_text(links[0]) if links else first_text(_X_BODY_VALUE(block))
        if value:
            blocks[title] = (value, links[0].get("href") if links else None)
    return blocks


def _data_blocks(card: etree._Element) -> dict[str, str]:
    """Pair each ``data-block__title`` with the value right after it (blocks vary per card type)."""
    pairs = {}
    for title_el in _X_DATA_TITLES(card):
        values = _X_NEXT_DATA_VALUE(title_el)
        title, value = node_text(title_el), first_text(values)
        if title and value:
            pairs[title] = value
    return pairs


def _plan_ikz(card: etree._Element) -> str | None:
    for onclick in _X_ONCLICK(card):
        m = _PLAN_IKZ.search(onclick)
        if m:
            return m.group(1)
    return None


def _customer_codes(
    customer: tuple[str, str | None] | None, ikz: str | None
) -> tuple[str | None, str | None]:
    """INN/KPP from the 223 organisation link (``inn=&kpp=``), else from the IKZ's customer code."""
    if customer and customer[1]:
        query = parse_qs(urlsplit(customer[1]).query)
        inn, kpp = query.get("inn", [None])[0], query.get("kpp", [None])[0]
        if inn and inn.isdecimal():
            return inn, kpp if kpp and kpp.isdecimal() else None
    return inn_kpp_from_ikz(ikz)


_PRICE_CURRENCY = re.compile(r"[₽€$¥]|\b[A-Z]{3}\b")


def _currency_from_price(text: str | None) -> str | None:
    """The currency of a listed price: its sign (``1 234,56 €``) or ISO code (``… USD``)."""
    m = _PRICE_CURRENCY.search(text or "")
    return currency_code(m.group()) if m else None


def _empty_results(root: etree._Element, source: str) -> list[Notice]:
    """A results page without cards is fine when the counter says 0; otherwise it was cut off."""
    total = first_text(_X_TOTAL(root)) or ""
    m = _TOTAL_COUNT.search(total)
    if m and int(re.sub(r"\D", "", m.group())) > 0:
        raise ParseError(source, f"results page says «{total}» but holds no search cards (truncated page?)")
    return []


# --- notice card (common-info.html) ------------------------------------------------------------


def _notice_card(root: etree._Element, source: str, url: str | None) -> Notice:
    fields = section_fields(root)
    header = _main_info(root)
    number_text = first_text(_X_MAIN_NUMBER(root))
    m = _REG_NUMBER_TEXT.search(number_text or "")
    reg_number = m.group(1) if m else reg_number_from_url(url) or _reg_number_from_file_name(url, source)
    if reg_number is None:
        raise ParseError(
            source,
            "notice card without a registry number: pass the card URL with regNumber=... "
            "or name the file after the registry number (e.g. 0338300004726000162.html)",
        )
    law, method = _law_and_method(first_text(_X_MAIN_TITLE(root)))
    law = law or _law_from_url(url) or law_from_reg_number(reg_number)
    if law is None:
        raise ParseError(source, f"notice card № {reg_number}: cannot tell 44-FZ from 223-FZ")
    method = fields.get("Способ определения поставщика (подрядчика, исполнителя)") or method
    ikz = fields.get("Идентификационный код закупки (ИКЗ)") or None
    inn, kpp = inn_kpp_from_ikz(ikz)
    region_name = fields.get("Регион")
    named_region = resolve_region(region_name) if region_name else None
    customer_region = named_region.code if named_region else _region(inn=inn, kpp=kpp)
    places = [p for p in (fields.get("Место поставки товара, выполнения работы или оказания услуги"),) if p]
    deadline, assumed = card_datetime(fields.get("Дата и время окончания срока подачи заявок"))
    bid_security, bid_security_percent = _security(fields.get("Размер обеспечения заявки"))
    contract_security, contract_security_percent = _security(
        fields.get("Размер обеспечения исполнения контракта")
    )
    notes = [DATE_ONLY_NOTE] if header else []
    if assumed:
        notes.append(ASSUMED_MOSCOW_NOTE)
    return Notice(
        reg_number=reg_number,
        law=law,
        method=method,
        kind=kind_for(method),
        title=fields.get("Наименование объекта закупки") or header.get("Объект закупки") or "",
        status=first_text(_X_MAIN_STATE(root)) or fields.get("Этап закупки"),
        customer_name=header.get("Заказчик") or fields.get("Наименование организации"),
        customer_inn=inn,
        customer_region=customer_region,
        delivery_places=places,
        delivery_regions=derive_regions(addresses=places) if places else [],
        nmck=parse_money(
            fields.get("Начальная (максимальная) цена контракта") or header.get("Начальная цена")
        ),
        currency=currency_code(fields.get("Валюта")) or _currency_from_price(header.get("Начальная цена")),
        published_at=_day(header.get("Размещено")),
        updated_at=_day(header.get("Обновлено")),
        updated_day_only="Обновлено" in header,
        submission_deadline=deadline or _day(header.get("Окончание подачи заявок")),
        auction_date=parse_date(fields.get("Дата проведения аукциона в электронной форме")),
        bid_security=bid_security,
        bid_security_percent=bid_security_percent,
        contract_security=contract_security,
        contract_security_percent=contract_security_percent,
        etp_name=fields.get(
            "Наименование электронной площадки в информационно-телекоммуникационной сети «Интернет»"
        ),
        etp_url=fields.get("Адрес электронной площадки в информационно-телекоммуникационной сети «Интернет»"),
        ikz=ikz,
        url=url or _card_url(law, reg_number),
        source=CARD_SOURCE,
        completeness="listing",
        notes=notes,
    )


def section_fields(root: etree._Element) -> dict[str, str]:
    """``blockInfo__section`` title -> info text; the first occurrence of a title wins."""
    fields: dict[str, str] = {}
    for section in _X_SECTIONS(root):
        title, info = first_text(_X_SECTION_TITLE(section)), first_text(_X_SECTION_INFO(section))
        if title and info and title not in fields:
            fields[title] = info
    return fields


def _main_info(root: etree._Element) -> dict[str, str]:
    """The card header's ``cardMainInfo__title`` -> ``cardMainInfo__content`` pairs."""
    pairs: dict[str, str] = {}
    for section in _X_MAIN_SECTIONS(root):
        title = first_text(_X_MAIN_SECTION_TITLE(section))
        content = first_text(_X_MAIN_SECTION_CONTENT(section))
        if title and content and title not in pairs:
            pairs[title] = content
    return pairs


_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_AMOUNT = re.compile(r"\d[\d\s\u00a0]*(?:[.,]\d+)?")
_MSK_OFFSET = re.compile(r"МСК\s*([+-]\s*\d{1,2})?", re.IGNORECASE)


def _security(text: str | None) -> tuple[Decimal | None, Decimal | None]:
    """«13 125,60 Российский рубль» -> (amount, None); «5 %» or «5.00 %» -> (None, share)."""
    if not text:
        return None, None
    m = _PERCENT.search(text)
    if m:
        return None, Decimal(m.group(1).replace(",", "."))
    m = _AMOUNT.search(text)
    return (parse_money(m.group()) if m else None), None


def card_datetime(text: str | None) -> tuple[datetime | None, bool]:
    """«03.08.2026 09:00 (МСК+7)»: the card writes local time relative to Moscow (UTC+3)."""
    value, assumed = parse_datetime(text)
    if value is None or not text:
        return value, assumed
    m = _MSK_OFFSET.search(text)
    if m is None:
        return value, assumed
    hours = 3 + int(re.sub(r"\s", "", m.group(1) or "0"))
    return value.replace(tzinfo=timezone(timedelta(hours=hours))), False


def _reg_number_from_file_name(*locations: str | None) -> str | None:
    """The last resort for a saved card fragment: a file (or archive member) named after its number.

    Only the name counts, not the folders above it, and never a web URL (its digits are ids).
    """
    for location in locations:
        if not location or "://" in location:
            continue
        name = re.split(r"[/\\!]", location)[-1]
        m = _REG_NUMBER_IN_NAME.search(name)
        if m:
            return m.group(1)
    return None


def _law_from_url(url: str | None) -> Law | None:
    if not url:
        return None
    path = urlsplit(url).path
    if path.startswith("/223/") or "/notice223/" in path:
        return "223-FZ"
    if path.startswith("/epz/order/notice/"):
        return "44-FZ"
    return None


def _card_url(law: Law, reg_number: str) -> str | None:
    """The 223-FZ card URL is generic; a 44-FZ one depends on the procedure slug (ea20, zk20...),
    which a card without its URL does not reveal, so none is invented."""
    if law == "223-FZ":
        return CARD_URL_223.format(reg_number)
    return None


# --- small shared bits -------------------------------------------------------------------------


def _absolute(href: str | None) -> str | None:
    return urljoin(EIS_BASE, href.strip()) if href and href.strip() else None


def _day(text: str | None) -> datetime | None:
    day = parse_date(text)
    return date_start(day) if day else None


def _region(*, inn: str | None, kpp: str | None) -> str | None:
    if not inn and not kpp:
        return None
    regions = derive_regions(inn=inn, kpp=kpp)
    return regions[0] if regions else None
