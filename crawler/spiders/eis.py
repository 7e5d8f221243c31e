"""``eis``: the EIS extended search (44-FZ and 223-FZ), newest update first, then the cards.

Domain: https://zakupki.gov.ru (``TENDERWATCH_BASE_URL``; the bundled replay serves the same paths).

Caveats:
  * the search page shows update *dates* only, so a notice re-published on the day its stored
    version was published is caught by ``eis_rss`` (exact times), not by this spider;
  * the 223-FZ card is the mobile-API JSON: it carries no version number and no update time, so
    the listing's update date stands in for the latter;
  * search filters use the EIS form's parameter names (``../shared`` procurement notes §4.3); the
    server ignores what it does not know, so an unknown filter key is refused here instead;
  * the site lists at most ``RESULT_CAP`` records of a query while stating them all: a query cut
    there is split (``SearchPart``) by update day, then a day by price band, until every part
    fits; the parts are listed in the same crawl (docs/eis-site.md, "The result cap").

Spider arguments: ``from_date``, ``until_date`` (update date window, dd.mm.yyyy or yyyy-mm-dd),
``max_pages``, ``sample`` (at most N cards).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from itertools import pairwise
from typing import Any
from typing import ClassVar

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.eis_site import subject_ids
from crawler.errors import CrawlSettingsError
from crawler.errors import SpiderArgumentError
from crawler.parsers.html import IncompletePage
from crawler.parsers.html import SearchPage
from crawler.parsers.html import read_search_page
from crawler.spiders.base import ListingSpider
from crawler.spiders.base import parse_date_argument
from data.notice import MOSCOW
from data.notice import Notice

SEARCH_SETTING = "TENDERWATCH_SEARCH"
PAGE223_PATH = "/223/purchase/public/purchase/info/common-info.html"
SEARCH_PATH = "/epz/order/extendedsearch/results.html"
RSS_PATH = "/epz/order/extendedsearch/rss.html"
CARD_PATHS = {
    "44-FZ": "/epz/order/notice/printForm/viewXml.html",
    "223-FZ": "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html",
}
CARD223_SETTING = "TENDERWATCH_CARD223_PATH"
"""``crawler.card223_path``: the 223-FZ card endpoint (newer clients call ``/api/mobile/proxy/917/…``)."""
LAW_FLAGS = {"44-FZ": "fz44", "223-FZ": "fz223"}
STAGES = ("af", "ca", "pc", "pa")
MAX_SEARCH_KEY = 255
PRICE_EDGES = tuple(Decimal(edge) for edge in (0, 100_000, 500_000, 1_000_000, 5_000_000, 20_000_000))
"""Where a day over the cap is first cut by price (roubles; the last band is open above). Most
notices are small, so the low bands are narrow; a band still over the cap is halved."""


def _codes(name: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str | int) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str | int) for v in items):
        raise CrawlSettingsError(f"crawler.search.{name}: expected a list of codes, got {value!r}")
    return [str(v).strip() for v in items if str(v).strip()]


def _laws(value: Any) -> list[tuple[str, str]]:
    laws = _codes("laws", value)
    unknown = [law for law in laws if law not in LAW_FLAGS]
    if unknown:
        raise CrawlSettingsError(f"crawler.search.laws: {unknown[0]!r} is not one of 44-FZ, 223-FZ")
    return [(LAW_FLAGS[law], "on") for law in sorted(set(laws))]


def _stages(value: Any) -> list[tuple[str, str]]:
    stages = _codes("stages", value)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise CrawlSettingsError(f"crawler.search.stages: {unknown[0]!r} is not one of {', '.join(STAGES)}")
    return [(stage, "on") for stage in sorted(set(stages))]


def _price(param: str) -> Callable[[Any], list[tuple[str, str]]]:
    def read(value: Any) -> list[tuple[str, str]]:
        try:
            amount = Decimal(str(value).replace(" ", "").replace(",", "."))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            raise CrawlSettingsError(f"crawler.search: {value!r} is not an amount in roubles")
        return [(param, format(amount.normalize(), "f"))]

    return read


def _joined(name: str, param: str, nested: str | None = None) -> Callable[[Any], list[tuple[str, str]]]:
    def read(value: Any) -> list[tuple[str, str]]:
        codes = _codes(name, value)
        if not codes:
            return []
        params = [(param, ",".join(codes))]
        return params + ([(nested, "on")] if nested else [])

    return read


def subject_codes(name: str, value: Any) -> list[str]:
    """Federal subjects as the EIS region filters take them: 11-digit KLADR-style codes.

    A two-digit subject code («77» Moscow, «50» Moscow Oblast: the KLADR/FNS numbering, *not*
    OKATO/OKTMO, where Moscow is 45) is padded to ``77000000000``; an 11-digit code is kept.
    """
    codes = []
    for code in _codes(name, value):
        if not code.isdigit() or len(code) not in (2, 11):
            raise CrawlSettingsError(
                f"crawler.search.{name}: {code!r} is not a subject code (two digits, e.g. 77, "
                "or an 11-digit KLADR code, e.g. 77000000000)"
            )
        codes.append(code.ljust(11, "0"))
    return codes


def _subjects(name: str, id_param: str) -> Callable[[Any], list[tuple[str, str]]]:
    """The site's region filter, sent only when every subject's internal id is known (the site
    ignores codes without ids, docs/eis-site.md); otherwise the crawl filters locally
    (``LocalFilter``) and sends nothing for it."""

    def read(value: Any) -> list[tuple[str, str]]:
        codes = subject_codes(name, value)
        ids = subject_ids(codes)
        if not codes or ids is None:
            return []
        return [
            (id_param, ",".join(ids)),
            (f"{id_param}Codes", ",".join(codes)),
            (f"{id_param}WithNested", "on"),
        ]

    return read


def _okpd2_codes(value: Any) -> list[tuple[str, str]]:
    """Checked here, filtered locally: the site needs ``okpd2Ids`` that no public source gives."""
    _codes("okpd2", value)
    return []


def _day(name: str, param: str) -> Callable[[Any], list[tuple[str, str]]]:
    def read(value: Any) -> list[tuple[str, str]]:
        try:
            day = parse_date_argument(name, value if isinstance(value, str | date) else str(value))
        except SpiderArgumentError:
            raise CrawlSettingsError(
                f"crawler.search.{name}: {value!r} is not a date (dd.mm.yyyy or yyyy-mm-dd)"
            ) from None
        return [(param, day.strftime("%d.%m.%Y"))] if day else []

    return read


def _text(param: str, extra: tuple[tuple[str, str], ...] = ()) -> Callable[[Any], list[tuple[str, str]]]:
    def read(value: Any) -> list[tuple[str, str]]:
        text = str(value).strip()
        return [(param, text), *extra] if text else []

    return read


FILTERS: Mapping[str, Callable[[Any], list[tuple[str, str]]]] = {
    "laws": _laws,
    "stages": _stages,
    "price_from": _price("priceFromGeneral"),
    "price_to": _price("priceToGeneral"),
    "publish_from": _day("publish_from", "publishDateFrom"),
    "publish_to": _day("publish_to", "publishDateTo"),
    "regions": _subjects("regions", "delKladrIds"),
    "customer_regions": _subjects("customer_regions", "customerPlace"),
    "okpd2": _okpd2_codes,
    "methods": _joined("methods", "placingWayList"),
    "customer_inn": _text("customerInn"),
    "search_string": _text("searchString", (("morphology", "on"),)),
}
"""``[crawler.search]`` keys -> EIS extended-search parameters.

``publish_from``/``publish_to``: publication day window (a date, dd.mm.yyyy or yyyy-mm-dd) ->
``publishDateFrom``/``publishDateTo`` in dd.mm.yyyy. ``regions`` is the *delivery* place
(``delKladrIds``), ``customer_regions`` the customer's location (``customerPlace``); both take
subject codes and go to the site only with their internal ids (``crawler.eis_site``); ``okpd2`` and
regions without a known id are filtered by the crawl itself (``local_filter``). A notice matches
only if it passes every filter: leave ``regions`` out when profiles also want purchases by
customers elsewhere that deliver here, and vice versa.
"""


def search_filters(search: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The EIS query parameters for the configured filters (both laws unless narrowed), in a stable order."""
    unknown = sorted(set(search) - set(FILTERS))
    if unknown:
        raise CrawlSettingsError(
            f"crawler.search.{unknown[0]}: unknown search filter (known: {', '.join(FILTERS)})"
        )
    params: list[tuple[str, str]] = []
    for key in FILTERS:
        if key in search and search[key] not in (None, "", []):
            params += FILTERS[key](search[key])
    window = dict(params)
    if "publishDateFrom" in window and "publishDateTo" in window:
        start, end = (datetime.strptime(window[k], "%d.%m.%Y") for k in ("publishDateFrom", "publishDateTo"))
        if start > end:
            raise CrawlSettingsError(
                f"crawler.search: publish_from={window['publishDateFrom']} is after "
                f"publish_to={window['publishDateTo']}"
            )
    if not any(name in LAW_FLAGS.values() for name, _ in params):
        params = [("fz44", "on"), ("fz223", "on"), *params]
    return params


@dataclass(frozen=True)
class LocalFilter:
    """The search filters the site cannot apply, applied to each card before it is stored.

    A notice whose card does not say (no region, no OKPD2 code) is kept: losing a tender we
    could win costs more than storing one we cannot.
    """

    delivery_regions: frozenset[str] = frozenset()
    customer_regions: frozenset[str] = frozenset()
    okpd2: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.delivery_regions or self.customer_regions or self.okpd2)

    def admits(self, notice: Notice) -> bool:
        if self.customer_regions and notice.customer_region:
            if notice.customer_region not in self.customer_regions:
                return False
        if self.delivery_regions and notice.delivery_regions:
            if not self.delivery_regions.intersection(notice.delivery_regions):
                return False
        if self.okpd2 and notice.okpd2:
            if not any(code.startswith(prefix) for code in notice.okpd2 for prefix in self.okpd2):
                return False
        return True


def local_filter(search: Mapping[str, Any]) -> LocalFilter:
    """What of ``[crawler.search]`` the crawl must filter itself (see ``FILTERS``)."""

    def unsent(name: str) -> frozenset[str]:
        codes = subject_codes(name, search[name]) if search.get(name) not in (None, "", []) else []
        return frozenset(code[:2] for code in codes) if subject_ids(codes) is None else frozenset()

    okpd2 = _codes("okpd2", search["okpd2"]) if search.get("okpd2") not in (None, "", []) else []
    return LocalFilter(
        delivery_regions=unsent("regions"),
        customer_regions=unsent("customer_regions"),
        okpd2=tuple(code.rstrip(".") for code in okpd2),
    )


def read_search_setting(crawler: Crawler) -> dict[str, Any]:
    raw = crawler.settings.get(SEARCH_SETTING) or {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CrawlSettingsError(f"{SEARCH_SETTING}: not valid JSON ({exc})") from None
    if not isinstance(raw, Mapping):
        raise CrawlSettingsError(f"{SEARCH_SETTING}: expected a table of filters, got {raw!r}")
    return dict(raw)


PRICE_PARAMS = ("priceFromGeneral", "priceToGeneral")


def _day_param(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _money_param(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


@dataclass(frozen=True)
class SearchPart:
    """One query of a search split to fit under the site's cap: an update-day window (Moscow days,
    as the form means them) and a price band, both ends included; None leaves an end open.

    The EIS is not known to treat either end of a band as exclusive or inclusive, so adjacent
    bands share their edge: an entry on it is listed twice (the crawl skips the repeat), never lost.
    """

    first_day: date | None = None
    last_day: date | None = None
    price_from: Decimal | None = None
    price_to: Decimal | None = None
    priced: bool = False

    def params(self) -> list[tuple[str, str]]:
        params = []
        if self.first_day:
            params.append(("updateDateFrom", _day_param(self.first_day)))
        if self.last_day:
            params.append(("updateDateTo", _day_param(self.last_day)))
        if self.priced and self.price_from is not None:
            params.append(("priceFromGeneral", _money_param(self.price_from)))
        if self.priced and self.price_to is not None:
            params.append(("priceToGeneral", _money_param(self.price_to)))
        return params

    def __str__(self) -> str:
        days = f"updated {_day_param(self.first_day) if self.first_day else '…'}–" + (
            _day_param(self.last_day) if self.last_day else "…"
        )
        if not self.priced:
            return days
        low = _money_param(self.price_from) if self.price_from is not None else "0"
        high = _money_param(self.price_to) if self.price_to is not None else "…"
        return f"{days}, price {low}–{high} ₽"


def price_bands(low: Decimal | None, high: Decimal | None) -> list[tuple[Decimal, Decimal | None]]:
    """The first cut of a day by price (``PRICE_EDGES``), within the configured ``low``–``high``."""
    floor = low or Decimal(0)
    edges = [floor, *(e for e in PRICE_EDGES if floor < e and (high is None or e < high)), high]
    return [(a, b) for a, b in pairwise(edges) if a is not None]


def halves(low: Decimal, high: Decimal | None) -> list[tuple[Decimal, Decimal | None]]:
    """A band over the cap in two (an open band: a decade above its floor, then the rest); []
    when it is a kopeck wide: the site then lists more than its cap of records at one price."""
    if high is None:
        middle = max(low * 10, PRICE_EDGES[-1] if low < PRICE_EDGES[-1] else low + 1)
    else:
        middle = ((low + high) / 2).quantize(Decimal("0.01"))
        if not low < middle < high:
            return []
    return [(low, middle), (middle, high)]


def _update_days(entries: list[Notice]) -> list[date]:
    """The Moscow days of the entries' update dates (as the search's day windows count them)."""
    return [e.updated_at.astimezone(MOSCOW).date() for e in entries if e.updated_at]


def rest_of_cut_part(
    part: SearchPart,
    *,
    newest: date,
    oldest: date,
    floor: date | None,
    bounds: tuple[Decimal | None, Decimal | None],
) -> list[SearchPart]:
    """The parts that list what the cap left out of ``part``, newest-first listing of which
    reached from day ``newest`` down to day ``oldest`` (partly listed).

    While the listing spans days, the rest is the older days up to ``oldest`` (listed again from
    its start; the crawl skips what it saw): the window shrinks every time. A single day over the
    cap is cut by price, and the days before it are a part of their own. ``floor``: the first day
    the crawl must reach (``from_date`` or the mark's day); None on a first crawl with no window,
    which goes back as far as the search reaches or ``max_pages`` lets it. [] when nothing
    narrower exists.
    """
    first = part.first_day or floor
    if newest > oldest:
        return [SearchPart(first, oldest, part.price_from, part.price_to, part.priced)]
    if part.priced:
        assert part.price_from is not None  # a priced part always has its floor
        bands = halves(part.price_from, part.price_to)
    else:
        bands = price_bands(*bounds)
    rest = [SearchPart(oldest, oldest, low, high, priced=True) for low, high in bands]
    if not part.priced and (first is None or first < oldest):
        rest.append(SearchPart(first, oldest - timedelta(days=1)))
    return rest


class EisSearchSpider(ListingSpider):
    """What the search page and its RSS feed share: the filters, the update-date window, the card URLs."""

    # ListingSpider
    default_page_size: ClassVar[int] = 500  # the largest «recordsPerPage» the EIS form offers

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters: list[tuple[str, str]] = []
        self.price_bounds: tuple[Decimal | None, Decimal | None] = (None, None)
        self.local = LocalFilter()
        self.card_paths = dict(CARD_PATHS)

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.card_paths["223-FZ"] = crawler.settings.get(CARD223_SETTING) or CARD_PATHS["223-FZ"]

    def make_search_key(self, crawler: Crawler) -> str:
        search = read_search_setting(crawler)
        self.filters = search_filters(search)
        sent = dict(self.filters)
        low, high = (Decimal(sent[name]) if name in sent else None for name in PRICE_PARAMS)
        self.price_bounds = (low, high)
        self.local = local_filter(search)
        key = "&".join(f"{name}={value}" for name, value in self.filters)
        if self.local:  # a local filter is part of what the search means, so of its mark
            local = self.local
            key += (
                f"|local:{sorted(local.delivery_regions)}{sorted(local.customer_regions)}{list(local.okpd2)}"
            )
        return key[:MAX_SEARCH_KEY]

    def keeps(self, notice: Notice) -> bool:
        return self.local.admits(notice)

    def list_params(self, page: int, part: Any = None) -> list[tuple[str, str]]:
        part = part or self.whole_search()
        filters = self.filters
        if part.priced:  # the part's band lies within the configured one and replaces it
            filters = [(name, value) for name, value in filters if name not in PRICE_PARAMS]
        return [*filters, *self.paging_params(page), *part.params()]

    def paging_params(self, page: int) -> list[tuple[str, str]]:
        """Newest update first, ``page_size`` entries a page."""
        return [
            ("sortBy", "UPDATE_DATE"),
            ("sortDirection", "false"),
            ("recordsPerPage", f"_{self.page_size}"),
            ("pageNumber", str(page)),
        ]

    def whole_search(self) -> SearchPart:
        """The search before any split: the update-day window of the spider arguments."""
        return SearchPart(self.from_date, self.until_date)

    def card_url(self, listing: Notice) -> str:
        return self.url(self.card_paths[listing.law], [("regNumber", listing.reg_number)])

    def fallback_url(self, listing: Notice) -> str | None:
        """A 223-FZ card that failed is read from its card page (the one the entry links), which
        states the customer, price and dates: stored as a listing, it is retried as a card by the
        next crawl. The 223 print form has no public sample to parse, so the card page is used."""
        if listing.law != "223-FZ":
            return None
        return self.url(PAGE223_PATH, [("regNumber", listing.reg_number)])


class EisSpider(EisSearchSpider):
    name = "eis"
    # ListingSpider
    list_path = SEARCH_PATH
    paged = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.newest_day: dict[SearchPart, date] = {}
        """The newest update day each part listed (its first page's)."""
        self.day_totals: dict[date, int] = {}
        """Days cut by price: the records the day's own query stated."""
        self.band_totals: dict[date, int] = {}
        """Days cut by price: the records their bands that fit under the cap stated, summed."""

    def whole_page(self, response: Response) -> SearchPage:
        """A results page, only if it proves it is whole (see ``SearchPage.gap``)."""
        page = read_search_page(response.body, response.url)
        problem = page.gap(page=response.meta["page"], page_size=self.page_size, cap=self.result_cap)
        if problem:
            raise IncompletePage(response.url, problem)
        response.meta["has_next"] = page.has_next
        if page.skipped:
            # Neither 44-FZ nor 223-FZ («ПП РФ 615»): the parser logged each; the run counts them.
            self.count("listings/skipped", page.skipped)
        return page

    def has_next_page(self, response: Response, entries: list[Notice]) -> bool:
        return bool(response.meta.get("has_next"))

    def read_listing(self, response: Response) -> list[Notice]:
        page = self.whole_page(response)
        number = response.meta["page"]
        if page.cut_after(page=number, page_size=self.page_size):
            # The last page the site lets us see, not the last of the search: its cap cut it.
            response.meta["cut"] = f"{'more than ' if page.total_is_minimum else ''}{page.total}"
        if number == 1:
            self._first_page_of(self.part_of(response), page.entries, page.total, page.total_is_minimum)
        return page.entries

    def part_of(self, response: Response) -> SearchPart:
        """The part of the search a listing page belongs to (the whole search is a part too)."""
        part: SearchPart | None = response.meta.get("part")
        return part or self.whole_search()

    def _first_page_of(
        self, part: SearchPart, entries: list[Notice], total: int | None, minimum: bool
    ) -> None:
        days = _update_days(entries)
        if days:
            self.newest_day[part] = max(days)
        if part.priced and part.first_day and total is not None and total <= self.result_cap:
            self.band_totals[part.first_day] = self.band_totals.get(part.first_day, 0) + total
        elif part.first_day and part.first_day == part.last_day and total is not None and not minimum:
            self.day_totals.setdefault(part.first_day, total)

    def rest_of_cut_listing(self, response: Response, entries: list[Notice]) -> list[Any]:
        stated = response.meta.get("cut")
        if stated is None:
            return []
        part = self.part_of(response)
        days = _update_days(entries)
        rest = []
        if days:
            oldest = min(days)
            floor = self.from_date or (self.cutoff.astimezone(MOSCOW).date() if self.cutoff else None)
            rest = rest_of_cut_part(
                part,
                newest=self.newest_day.get(part, oldest),
                oldest=oldest,
                floor=floor,
                bounds=self.price_bounds,
            )
        if rest:
            self.logger.info(
                "%s: %s records, over the site's cap of %d; listing it as %s",
                part,
                stated,
                self.result_cap,
                "; ".join(map(str, rest)),
            )
        else:
            self.listing_cut = (
                f"cut at the site's cap: it lists at most {self.result_cap} records of a query and "
                f"{part} has {stated}, which no narrower query splits: the rest was not listed"
            )
        return rest

    def listing_gaps(self) -> str:
        """Days whose price bands stated fewer records than the day: those lie in no band (no
        price stated, or a boundary the site treats unlike both neighbours)."""
        short = [
            f"{day:%d.%m.%Y}: {total - self.band_totals.get(day, 0)} of {total}"
            for day, total in sorted(self.day_totals.items())
            if day in self.band_totals and self.band_totals[day] < total
        ]
        if not short:
            return ""
        return f"records in no price band of a day split by price, not listed ({', '.join(short)})"
