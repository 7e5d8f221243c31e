"""Shared by every parser: the error type, safe XML loading, money, dates and whitespace.

All of it is pure (bytes/str in, values out) so the hot path stays fast and testable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from decimal import InvalidOperation
from functools import lru_cache
from typing import ClassVar
from zoneinfo import ZoneInfo

from lxml import etree

from data.notice import MOSCOW
from data.notice import Law

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""Larger than any real notice (2020-format cards reach ~1.1 MB with signatures)."""


class ParseError(ValueError):
    """A document could not be turned into notices. The message names the input and the problem."""

    kind: ClassVar[str] = "parse"
    """How a crawl counts this failure in its ``errors_by_kind``."""

    def __init__(self, source: str | None, problem: str) -> None:
        self.source = source or "<bytes>"
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class NotANotice(ParseError):
    """A well-formed EIS document Tenderwatch does not read (a cancellation, a first-parts review
    protocol...), or, for a caller that wants notices only (``parse_notices``), a result document.

    Real bulk exports mix these with notices; an import skips them instead of reporting errors.
    """


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,  # no entity expansion: billion laughs stays a few bytes
        no_network=True,  # never fetch a DTD or an external entity
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # keep libxml2's depth and size limits
        remove_comments=True,
        remove_pis=True,
        # Indentation between elements is never data; dropping it makes the parse ~15% faster
        # (measured on the 44-FZ cards, benchmarks/bench_parse.py) and the trees smaller.
        remove_blank_text=True,
    )


def check_size(data: bytes, source: str | None) -> None:
    if not data or data.isspace():  # not data.strip(): that would copy the whole body
        raise ParseError(source, "empty document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ParseError(source, f"document of {len(data)} bytes exceeds the {MAX_DOCUMENT_BYTES}-byte cap")


def safe_xml_root(data: bytes, source: str | None) -> etree._Element:
    """Parse untrusted XML: no entities, no network, no DTD; any DTD entity declaration is refused."""
    check_size(data, source)
    parser = _xml_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(source, f"malformed XML: {exc}") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration, odd encodings
        raise ParseError(source, f"unreadable XML: {exc}") from None
    if root is None:
        raise ParseError(source, "no XML root element")
    docinfo = root.getroottree().docinfo
    external = docinfo.system_url or docinfo.public_id  # type: ignore[union-attr]  # lxml-stubs lack system_url
    if external:
        raise ParseError(source, f"XML with an external DTD ({external}) is refused")
    dtd = docinfo.internalDTD
    entities = dtd.iterentities() if dtd is not None else ()  # type: ignore[union-attr]  # lxml-stubs lack it
    if next(iter(entities), None) is not None:
        raise ParseError(source, "XML with DTD entity declarations is refused (entity expansion attack?)")
    return root


def local(tag: object) -> str:
    """Local name of an lxml tag, whatever its namespace prefix (prefixes shift between versions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def clean(text: str | None) -> str | None:
    """Collapse whitespace (incl. nbsp) for display; None and blank become None."""
    if text is None:
        return None
    # str.split() splits on exactly what the Unicode ``\s`` matches (nbsp included), without a regex.
    return " ".join(text.split()) or None


_MONEY_WORDS = re.compile(r"[^\W\d_]+\.?")
"""Currency words and abbreviations around an amount («руб.», «EUR», «USD»)."""
_MONEY_JUNK = re.compile(r"[^\d,.\-]")
"""What is left to drop: spaces of every width and currency signs (₽ € $ ¥ …)."""


def parse_money(text: str | None) -> Decimal | None:
    """``143599.5`` (XML), ``60 000,00 ₽``, ``1 234,56 €`` (HTML, nbsp thousands) -> Decimal;
    blank -> None. The currency is read apart (``currency_code``): an amount is an amount in any."""
    if text is None:
        return None
    raw = _MONEY_JUNK.sub("", _MONEY_WORDS.sub("", text))
    if not raw:
        return None
    if "," in raw and "." in raw:
        raw = raw.replace(",", "")
    raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


_DATE_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
_RU_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_datetime(text: str | None, *, naive_tz: ZoneInfo = MOSCOW) -> tuple[datetime | None, bool]:
    """Parse an ISO or Russian datetime; returns (aware datetime, assumed_tz).

    ``assumed_tz`` is True when the source gave no offset and ``naive_tz`` (Moscow by default, the
    EIS server time) was assumed: the caller records that in ``Notice.notes``.
    """
    if not text:
        return None, False
    text = text.strip()
    m = _RU_DATE.match(text)
    try:
        if m:
            d, mo, y, hh, mm, ss = m.groups()
            value = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    if value.tzinfo is None:
        return value.replace(tzinfo=naive_tz), True
    return value, False


def parse_date(text: str | None) -> date | None:
    """``2025-11-05+03:00`` (xs:date with offset), ``2025-11-05``, ``05.11.2025``, or a datetime."""
    if not text:
        return None
    text = text.strip()
    m = _DATE_WITH_OFFSET.match(text)
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    value, _ = parse_datetime(text)
    return value.date() if value else None


def date_start(day: date, tz: ZoneInfo = MOSCOW) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


# --- helpers shared by the 223-FZ, JSON, HTML and RSS parsers --------------------------------------

ASSUMED_MOSCOW_NOTE = "datetimes without a UTC offset were read as Moscow time (EIS server time)"
DATE_ONLY_NOTE = "the source gives dates only: published/updated/deadline are read as 00:00 Moscow time"

_REG_NUMBER_IN_URL = re.compile(r"(?:regNumber|purchaseNoticeNumber|reestrNumber)=(\d{11,19})\b")


def reg_number_from_url(url: str | None) -> str | None:
    """The registry number an EIS link carries (``regNumber=``, ``purchaseNoticeNumber=``...)."""
    if not url:
        return None
    m = _REG_NUMBER_IN_URL.search(url)
    return m.group(1) if m else None


def law_from_reg_number(reg_number: str) -> Law | None:
    """44-FZ registry numbers have 19 digits, 223-FZ ones 11: a safe fallback when nothing else says."""
    if len(reg_number) == 19:
        return "44-FZ"
    if len(reg_number) == 11:
        return "223-FZ"
    return None


_LAW_LABEL = re.compile(r"\b(44|223)\s*-\s*ФЗ", re.IGNORECASE)


def law_from_label(text: str | None) -> Law | None:
    """«44-ФЗ» / «223-ФЗ» in a page header or an RSS field -> "44-FZ" / "223-FZ"."""
    if not text:
        return None
    m = _LAW_LABEL.search(text)
    if not m:
        return None
    return "44-FZ" if m.group(1) == "44" else "223-FZ"


_IKZ = re.compile(r"^\d{36}$")


def inn_kpp_from_ikz(ikz: str | None) -> tuple[str | None, str | None]:
    """Customer INN and KPP from an IKZ (purchase identification code).

    The IKZ is year(2) + customer code(20: one digit, INN(10), KPP(9)) + plan/position digits; the
    customer code belongs to the customer even when an authorised body places the notice.
    """
    if not ikz or not _IKZ.match(ikz):
        return None, None
    inn, kpp = ikz[3:13], ikz[13:22]
    return (inn if inn.strip("0") else None), (kpp if kpp.strip("0") else None)


_CURRENCIES = {
    "российский рубль": "RUB",
    "рубль": "RUB",
    "₽": "RUB",
    "643": "RUB",
    "810": "RUB",
    "евро": "EUR",
    "€": "EUR",
    "978": "EUR",
    "доллар сша": "USD",
    "$": "USD",
    "840": "USD",
    "китайский юань": "CNY",
    "юань": "CNY",
    "¥": "CNY",
    "156": "CNY",
}
_ISO_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def currency_code(text: str | None) -> str | None:
    """ISO code for a currency as the EIS writes it (name, digital code, sign); unknown names pass through."""
    value = clean(text)
    if value is None:
        return None
    if _ISO_CURRENCY.match(value):
        return value.upper()
    return _CURRENCIES.get(value.lower(), value)


def datetime_from_epoch_ms(value: object) -> datetime | None:
    """Epoch milliseconds (the EIS mobile JSON) -> aware datetime in Moscow time; junk -> None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=MOSCOW)
    except (OverflowError, OSError, ValueError):
        return None


def unique(values: Iterable[str | None]) -> list[str]:
    """Drop blanks and repeats, keep first-seen order (codes, places, regions)."""
    return list(dict.fromkeys(v for v in values if v))


# --- namespace-agnostic XML access (EIS prefixes shift between schema versions and channels) ------


@lru_cache(maxsize=1024)
def any_ns(path: str) -> str:
    """``a/b`` -> ``{*}a/{*}b``: lxml's namespace wildcard, built once per distinct path."""
    return "/".join(f"{{*}}{step}" for step in path.split("/"))


def find_text(el: etree._Element | None, path: str) -> str | None:
    """Cleaned text at a path anchored at ``el`` (never ``//``: EIS reuses local names)."""
    if el is None:
        return None
    return clean(el.findtext(any_ns(path)))


def parse_count(text: str | None) -> int | None:
    """A plain non-negative XML integer (version, rating); blank or junk -> None."""
    return int(text) if text and text.isdigit() else None


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain XML decimal (xs:decimal: money, quantity, percentage) -> Decimal; blank or junk -> None.

    Magnitudes beyond 10^30 are junk too: no price is that large, and such exponents would make
    later Decimal arithmetic raise instead of add.
    """
    if not text:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and -30 <= value.adjusted() <= 30 else None


class Clock:
    """Reads a notice's datetimes and remembers whether any lacked an offset (one note per notice)."""

    def __init__(self) -> None:
        self.assumed_moscow = False

    def at(self, el: etree._Element | None, *paths: str) -> datetime | None:
        for path in paths:
            value = self.read(find_text(el, path))
            if value is not None:
                return value
        return None

    def read(self, text: str | None) -> datetime | None:
        value, assumed = parse_datetime(text)
        if value is not None:
            self.assumed_moscow |= assumed
        return value


class XmlView:
    """Memoized, namespace-agnostic access to an lxml tree by local names, for hot parsers.

    lxml's ``{*}`` paths cost a few microseconds per call, which adds up to more than the parse
    itself over the ~150 lookups of a 44-FZ card. Indexing each visited element's children once by
    local name makes a lookup a dict hit. Paths are anchored (``a/b/c`` below the given element,
    never ``//``) because the EIS reuses local names in several places of one document.
    One view per document: it keeps the indexed elements alive, so their identity is stable.
    """

    __slots__ = ("_index",)

    def __init__(self) -> None:
        self._index: dict[etree._Element, dict[str, etree._Element]] = {}

    def _children(self, el: etree._Element) -> dict[str, etree._Element]:
        children: dict[str, etree._Element] = {}
        for child in el:
            tag = child.tag
            if type(tag) is str:  # comments and PIs carry a function as their tag
                name = tag[tag.rfind("}") + 1 :]
                if name not in children:
                    children[name] = child
        self._index[el] = children
        return children

    def children(self, el: etree._Element | None) -> dict[str, etree._Element]:
        """``el``'s children by local name (the first of each name): for reading many fields of one
        element with plain dict lookups. Empty for ``None``."""
        if el is None:
            return {}
        children = self._index.get(el)
        return self._children(el) if children is None else children

    def find(self, el: etree._Element | None, path: str) -> etree._Element | None:
        """The first element at ``path`` below ``el``."""
        # The hot loop of every 44-FZ card: kept inline (no helper call per step) on purpose.
        index = self._index
        for step in _STEPS.get(path) or _steps(path):
            if el is None:
                return None
            children = index.get(el)
            if children is None:
                children = self._children(el)
            el = children.get(step)
        return el

    def findall(self, el: etree._Element | None, path: str) -> list[etree._Element]:
        """Every element at ``path`` below ``el`` (the last step may repeat; ``*`` takes them all)."""
        parent, _, last = path.rpartition("/")
        if parent:
            el = self.find(el, parent)
        if el is None:
            return []
        if last == "*":
            return [child for child in el if type(child.tag) is str]
        suffix = "}" + last  # a namespaced tag ends with it; an unqualified one equals ``last``
        return [c for c in el if (tag := c.tag) == last or (type(tag) is str and tag.endswith(suffix))]

    def text(self, el: etree._Element | None, path: str) -> str | None:
        """Cleaned text at ``path`` below ``el``; missing or blank -> None."""
        found = self.find(el, path)
        text = found.text if found is not None else None
        return (" ".join(text.split()) or None) if text else None

    def raw_text(self, el: etree._Element | None, path: str) -> str | None:
        """Text at ``path`` as published (line breaks kept), for fields that list one value per line."""
        found = self.find(el, path)
        return found.text if found is not None else None


def text_of(el: etree._Element | None) -> str | None:
    """Cleaned text of an element that may be missing (a ``XmlView.children`` lookup)."""
    if el is None:
        return None
    text = el.text
    return (" ".join(text.split()) or None) if text else None


_STEPS: dict[str, tuple[str, ...]] = {}


def _steps(path: str) -> tuple[str, ...]:
    steps = _STEPS[path] = tuple(path.split("/"))
    return steps


# --- parties: participants of a protocol, suppliers of a contract ---------------------------------

_PARTY_NAME_TAGS = ("fullName", "organizationName", "name")
_PERSON_NAME_TAGS = ("lastName", "firstName", "middleName")
_NOT_THE_PARTY = frozenset(
    ("contactInfo", "contactPersonInfo", "legalForm", "country", "supplierAccountsDetails", "otherInfo")
)
"""Subtrees that name someone else (a contact person) or something else (a legal form's name)."""


def party_of(el: etree._Element | None) -> tuple[str | None, str | None]:
    """(INN, name) of a participant or supplier element, whatever the family's wrapping.

    Protocols wrap it in ``legalEntityRFInfo`` / ``individualPersonRFInfo``, 2020 contracts in
    ``legalEntityRF/EGRULInfo`` / ``individualPersonRFIndEntr/EGRIPInfo``, 2014 contracts and
    223-FZ records list ``inn`` and ``organizationName`` / ``name`` flat. An organisation's full
    name wins; a person is named by surname, name and patronymic (a «-» placeholder dropped).
    """
    found: dict[str, str] = {}
    _collect_party(el, found)
    name = next((found[tag] for tag in _PARTY_NAME_TAGS if tag in found), None)
    if name is None:
        parts = [found[tag] for tag in _PERSON_NAME_TAGS if found.get(tag, "-") != "-"]
        name = " ".join(parts) or None
    return found.get("inn"), name


def _collect_party(el: etree._Element | None, found: dict[str, str]) -> None:
    if el is None:
        return
    for child in el:
        name = local(child.tag)
        if not name or name in _NOT_THE_PARTY:
            continue
        if len(child):
            _collect_party(child, found)
            continue
        key = "inn" if name in ("INN", "inn") else name
        value = clean(child.text)
        if value and key not in found:
            found[key] = value
