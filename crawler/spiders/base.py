"""Base spiders: the shared arguments, error bookkeeping, and the listing -> card crawl.

Behaviour is set with class attributes (Kingfisher Collect style), so a source module is mostly a
block of attributes plus the few methods that know the source's URLs:

* ``BaseSpider``: the standard arguments (``from_date``, ``until_date``, ``max_pages``,
  ``sample``), parsed once with clear errors; the base URL; error accounting in the crawl stats
  (``tenderwatch/errors/<kind>``), which the run recorder turns into the crawl-run row.
* ``ListingSpider``: lists notices newest update first, page by page, and fetches a card only for
  entries that are new or changed (listing update date vs. what is stored). Paging stops at the
  page that reaches below the high-water mark (the newest update seen by the last complete crawl
  of this search, minus an overlap window): what follows is older and already stored, so a
  re-crawl with nothing new costs one list request. A source whose site lists only so many
  records of a query (the EIS's result cap) splits what it could not list into further *parts*
  (``rest_of_cut_listing``), listed one after another in the same crawl.

Stats the spiders keep (all under ``tenderwatch/``): ``requests/list``, ``requests/card`` (logical
requests, retries excluded), ``pages``, ``cards``, ``listings/unchanged`` (entries not fetched),
``listings/parts`` (parts listed after the first), ``listings/repeated`` (entries a later part
listed again), ``errors/<kind>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import ClassVar
from typing import TypeVar
from urllib.parse import urlencode
from urllib.parse import urlsplit

import scrapy
from OpenSSL import SSL
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError
from scrapy.exceptions import CloseSpider
from scrapy.exceptions import DownloadConnectionRefusedError
from scrapy.exceptions import DownloadFailedError
from scrapy.exceptions import DownloadTimeoutError
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError
from twisted.internet.error import ConnectionLost
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TCPTimedOutError
from twisted.internet.error import TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from crawler.eis_site import RESULT_CAP
from crawler.errors import BadPage
from crawler.errors import SpiderArgumentError
from crawler.parsers import ParseError
from crawler.parsers import parse_notices
from crawler.parsers.common import MOSCOW
from crawler.parsers.common import law_from_reg_number
from data.notice import Notice
from data.store import Key
from data.store import StoredVersion

log = logging.getLogger(__name__)

STAT = "tenderwatch"
BLOCKED_REASON = "blocked by the site"
"""How a blocked crawl's reason starts (the runner's circuit breaker reads ``BLOCK_KINDS`` in the
run's error counts instead)."""
SITE_BLOCKED = "blocked"
SITE_MAINTENANCE = "maintenance"
TOKEN_REFUSED = "token_refused"
"""Close reason of a crawl whose access token the source refused (the export service)."""
SITE_STOPPED = (SITE_BLOCKED, SITE_MAINTENANCE, TOKEN_REFUSED)
"""Close reasons of a crawl the site stopped (see ``BaseSpider.stop_if_site_down``)."""
RETRYING: list[Any] = []
"""What ``parsed`` returns when it scheduled a retry: nothing read, and no error either (yet)."""
Read = TypeVar("Read")
BAD_PAGE_RETRIES_SETTING = "TENDERWATCH_BAD_PAGE_RETRY_TIMES"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_RU_DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")
UPDATE_DAY_ONLY_NOTE = "updated_at is the listing's update date (the card gives no update time): 00:00 Moscow"
"""Marks a stored card whose ``updated_at`` is a day, not a time: ``needs_card`` compares it by day."""


def parse_date_argument(name: str, value: str | date | None) -> date | None:
    """``dd.mm.yyyy`` (as the EIS writes dates) or ISO ``yyyy-mm-dd[Thh:mm...]`` -> a date."""
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if _RU_DATE.match(text):
            return datetime.strptime(text, "%d.%m.%Y").date()
        if _ISO_DATE.match(text):
            return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError as exc:
        raise SpiderArgumentError(f"spider argument {name}={value!r}: not a valid date ({exc})") from None
    raise SpiderArgumentError(f"spider argument {name}={value!r}: expected dd.mm.yyyy or yyyy-mm-dd")


def parse_count_argument(name: str, value: str | int | None) -> int | None:
    """A whole number of at least 1 (``max_pages``, ``sample``); None/blank means not set."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"spider argument {name}={value!r}: not a whole number") from None
    if number < 1:
        raise SpiderArgumentError(f"spider argument {name}={value!r}: must be 1 or more")
    return number


def parse_reg_numbers(value: str | None) -> tuple[str, ...] | None:
    """Registry numbers, comma-separated: 19 digits (44-FZ) or 11 (223-FZ); None/blank: not set."""
    numbers = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    for number in numbers:
        if law_from_reg_number(number) is None or not number.isdigit():
            raise SpiderArgumentError(
                f"registry number {number!r}: expected 19 digits (44-FZ) or 11 digits (223-FZ)"
            )
    return numbers or None


def check_spider_arguments(
    *,
    from_date: str | date | None = None,
    until_date: str | date | None = None,
    max_pages: str | int | None = None,
    sample: str | int | None = None,
    reg_numbers: str | None = None,
) -> dict[str, Any]:
    """Validate the standard arguments (also used by the runner before it starts a subprocess)."""
    start = parse_date_argument("from_date", from_date)
    end = parse_date_argument("until_date", until_date)
    if start and end and start > end:
        raise SpiderArgumentError(
            f"spider arguments from_date={start.isoformat()} and until_date={end.isoformat()}: "
            "from_date is after until_date"
        )
    return {
        "from_date": start,
        "until_date": end,
        "max_pages": parse_count_argument("max_pages", max_pages),
        "sample": parse_count_argument("sample", sample),
        "reg_numbers": parse_reg_numbers(reg_numbers),
    }


def errors_by_kind(stats: Mapping[str, Any]) -> dict[str, int]:
    """The crawl's error counts by kind, from its stats (``tenderwatch/errors/<kind>``)."""
    prefix = f"{STAT}/errors/"
    return {key[len(prefix) :]: int(n) for key, n in stats.items() if key.startswith(prefix) and n}


def failed_request(failure: Failure) -> scrapy.Request:
    """The request an errback's failure is about (Scrapy sets ``failure.request``; Twisted's
    Failure type does not declare it)."""
    request = getattr(failure, "request", None)
    if not isinstance(request, scrapy.Request):
        raise TypeError(f"errback failure without its request: {failure!r}")
    return request


def error_kind(failure: Failure) -> str:
    """A stable name for why a request failed, used as the key of ``errors_by_kind``."""
    return describe_failure(failure)[0]


BLOCK_STATUSES = frozenset({403, 434})
"""Answers by which the EIS refuses a client (403; 434 is the site's own «access restricted» code,
reported by public scrapers): every further request would get the same."""
BLOCK_KINDS = frozenset({"captcha", *(f"http_{status}" for status in BLOCK_STATUSES)})
"""Failure kinds that stop the whole crawl as ``blocked`` (a circuit breaker, see the runner)."""

_CONNECTION_FAULTS = (
    DownloadFailedError,
    ResponseDataLossError,
    ConnectError,
    ConnectionLost,
    ResponseFailed,
)


def describe_failure(failure: Failure) -> tuple[str, str]:
    """(kind, words): why a request failed, as a stable key and as a person should read it.

    Scrapy 2.19's download handlers raise ``scrapy.exceptions.Download*``; older code paths (and
    other handlers) still raise Twisted's errors: both map to the same names. A TLS failure hides
    inside ``ResponseNeverReceived.reasons``; it is named, because its fix (a CA bundle) is not
    the fix of a network fault.
    """
    exc = failure.value
    if exc is None:
        return "unknown", "the request failed without a reason"
    request = getattr(failure, "request", None)
    host = urlsplit(request.url).hostname if isinstance(request, scrapy.Request) else None
    where = host or "the site"
    tls = _tls_error(exc)
    if tls is not None:
        if "certificate verify failed" in tls:
            return "tls_certificate", (
                f"TLS certificate of {where} not trusted ({tls}): its CA is in neither the system "
                "store nor the CA bundle in use; set crawler.ca_bundle to a PEM file holding that CA"
            )
        return "tls", f"TLS handshake with {where} failed ({tls})"
    if isinstance(exc, BadPage):
        return exc.kind, str(exc)
    if isinstance(exc, HttpError):
        status = exc.response.status
        if status in BLOCK_STATUSES:
            return f"http_{status}", f"HTTP {status} from {where} (access refused)"
        return ("http_429" if status == 429 else f"http_{status // 100}xx"), f"HTTP {status} from {where}"
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return "timeout", f"{where} did not answer in time (timeout)"
    if isinstance(exc, DownloadConnectionRefusedError | ConnectionRefusedError):
        return "connection_refused", f"{where} refused the connection"
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "dns", f"host name {where} not found (DNS)"
    if isinstance(
        exc, DownloadFailedError | ResponseDataLossError | ConnectError | ConnectionLost | ResponseFailed
    ):
        return "connection", f"connection to {where} failed ({_first_reason(exc)})"
    return type(exc).__name__, str(exc) or type(exc).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps, outermost first: Twisted hides the real errors in
    ``ResponseNeverReceived.reasons`` (a list of Failures), Scrapy in ``__cause__``."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(found) < 16:
        value = pending.pop(0)
        value = getattr(value, "value", value)  # a twisted Failure holds its exception in .value
        if isinstance(value, BaseException) and value not in found:
            found.append(value)
            pending += [*getattr(value, "reasons", []), value.__cause__, value.__context__]
    return found


def _tls_error(exc: BaseException) -> str | None:
    """The OpenSSL reason of a TLS failure, wherever it is wrapped; None when it is no TLS failure."""
    for cause in _causes(exc):
        if isinstance(cause, SSL.Error):
            parts = [str(p[-1]) for p in cause.args[0] if isinstance(p, tuple)] if cause.args else []
            return ", ".join(p for p in parts if p) or str(cause)
    return None


def _first_reason(exc: BaseException) -> str:
    """The innermost error's own words (not a list of Failures)."""
    inner = _causes(exc)[-1]
    return str(inner) or type(inner).__name__


class BaseSpider(scrapy.Spider):
    """Standard arguments, the base URL and error accounting shared by every Tenderwatch spider."""

    # Arguments accepted with ``-a``; anything else is refused (a typo must not crawl everything).
    arguments_accepted: ClassVar[tuple[str, ...]] = ("from_date", "until_date", "max_pages", "sample")
    # How many times a 200 response that is no data (error page, unparsable body) is fetched again.
    default_bad_page_retries: ClassVar[int] = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(self.arguments_accepted) - {"name", "_job"})
        if unknown:
            accepted = ", ".join(self.arguments_accepted)
            raise SpiderArgumentError(f"unknown spider argument {unknown[0]!r} (accepted: {accepted})")
        given = {k: kwargs.pop(k) for k in self.arguments_accepted if k in kwargs}
        checked = check_spider_arguments(**given)
        super().__init__(*args, **kwargs)
        self.from_date: date | None = checked["from_date"]
        self.until_date: date | None = checked["until_date"]
        self.max_pages: int | None = checked["max_pages"]
        self.sample: int | None = checked["sample"]
        self.reg_numbers: tuple[str, ...] | None = checked["reg_numbers"]
        self.base_url = ""
        self.bad_page_retries = self.default_bad_page_retries
        self.last_problem = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BaseSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler)
        return spider

    def configure(self, crawler: Crawler) -> None:
        """Read the Tenderwatch settings the spider needs (called once, before the crawl starts)."""
        settings = crawler.settings
        self.base_url = settings.get("TENDERWATCH_BASE_URL", "https://zakupki.gov.ru").rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise SpiderArgumentError(f"TENDERWATCH_BASE_URL={self.base_url!r}: not an http(s) URL")
        if self.max_pages is None:
            self.max_pages = settings.getint("TENDERWATCH_MAX_PAGES", 50)
        self.bad_page_retries = settings.getint(BAD_PAGE_RETRIES_SETTING, self.default_bad_page_retries)

    @property
    def arguments(self) -> dict[str, Any]:
        """The arguments as given, for the crawl-run row (JSON-friendly)."""
        values = {
            "from_date": self.from_date.isoformat() if self.from_date else None,
            "until_date": self.until_date.isoformat() if self.until_date else None,
            "max_pages": self.max_pages,
            "sample": self.sample,
            "reg_numbers": ",".join(self.reg_numbers) if self.reg_numbers else None,
        }
        return {k: v for k, v in values.items() if v is not None}

    def url(self, path: str, params: Iterable[tuple[str, str]] = ()) -> str:
        query = urlencode(list(params))
        return f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}"

    # --- stats ----------------------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"{STAT}/{key}", n)

    def record_error(self, kind: str, url: str, problem: str) -> None:
        """One failed URL (after its retries): counted by kind and logged with a stable shape."""
        self.count(f"errors/{kind}")
        self.logger.error("request failed [%s] %s: %s", kind, url, problem)

    @property
    def errors_so_far(self) -> int:
        """Errors this crawl recorded until now (``record_error``, failed stores)."""
        return sum(errors_by_kind(self.crawler.stats.get_stats()).values())

    def step_failed(self, failure: Failure, second_step: Callable[..., Any]) -> Iterable[Any]:
        """A request of a two-step source failed for good: counted as its answer would have been
        (``requests/card`` for a request to ``second_step``, else ``requests/list``), then recorded
        (``errback``)."""
        asked = failed_request(failure)
        self.count("requests/card" if asked.callback == second_step else "requests/list")
        return self.errback(failure)

    def errback(self, failure: Failure) -> Iterable[Any]:
        kind, words = describe_failure(failure)
        self.record_error(kind, failed_request(failure).url, words)
        self.last_problem = words
        self.stop_if_site_down(kind, words)
        return ()

    def stop_if_site_down(self, kind: str, words: str) -> None:
        """A block (403, 434, captcha) or a maintenance page ends the whole crawl at once, instead
        of meeting it again on every card: ``CloseSpider`` with the reason the run records."""
        if kind in BLOCK_KINDS | {"maintenance"}:
            self.listing_complete = False  # not a field of ListingSpider alone: the run row reads it
        if kind in BLOCK_KINDS:
            self.stop_reason = f"{BLOCKED_REASON}: {words}"
            raise CloseSpider(SITE_BLOCKED)
        if kind == "maintenance":
            self.stop_reason = f"the site is under maintenance: {words}"
            raise CloseSpider(SITE_MAINTENANCE)

    def parsed(
        self, response: Response, read: Callable[[Response], list[Read]]
    ) -> Generator[scrapy.Request, None, list[Read] | None]:
        """What ``read`` finds in a response (``read_document``: its notices); on a ParseError, a
        retry (yielded; returns ``RETRYING``) or, once the retries ran out, a recorded error
        (returns None, and the problem is kept in ``last_problem``).

        A truncated card or a half-sent page is transient on the EIS, so it is fetched again a
        few times before it counts as an error for that URL.
        """
        try:
            return read(response)
        except ParseError as exc:
            if response.request is None:  # a response built without its request (tests): no retry
                raise
            retry = self.retry(response, "unparsable_response")
            if retry is not None:
                yield retry
                return RETRYING
            self.record_error(exc.kind, response.url, exc.problem)
            self.last_problem = exc.problem
            return None

    def retry(self, response: Response, reason: str) -> scrapy.Request | None:
        """The request again while its bad-page retries last (a cut-off page or download is
        transient on the EIS); None once they ran out, or for a response without its request."""
        if response.request is None:
            return None
        return get_retry_request(
            response.request, spider=self, reason=reason, max_retry_times=self.bad_page_retries
        )

    def as_item(self, notice: Notice) -> Notice:
        return notice.model_copy(update={"source": self.name})


def read_document(response: Response) -> list[Notice]:
    return parse_notices(response.body, url=response.url)


def needs_card(listing: Notice, stored: StoredVersion | None) -> bool:
    """Whether a listed notice's card must be fetched, given what is stored for it.

    A search page shows the update *date* only (read as 00:00 Moscow), and so does a stored
    223-FZ card (its JSON has no update time); when either side is a day, they are compared by
    Moscow day, else by time (the RSS gives the exact time). A cancellation moves the listing's
    date but not the card (the EIS publishes it as a separate document): its stage arrives with
    the listing.
    """
    if stored is None or stored.completeness != "card":
        return True
    if listing.cancelled or listing.updated_at is None or stored.updated_at is None:
        return False
    if listing.updated_day_only or stored.updated_day_only:
        return listing.updated_at.astimezone(MOSCOW).date() > stored.updated_at.astimezone(MOSCOW).date()
    return listing.updated_at > stored.updated_at


class ListingSpider(BaseSpider):
    """List notices newest first and fetch the card of each new or changed one."""

    # Path of the listing (search page or feed) below the base URL.
    list_path: ClassVar[str]
    # Whether the listing has further pages (a search does; a feed does not).
    paged: ClassVar[bool] = True
    # Entries per listing page; the largest the source allows, so a crawl needs the fewest requests.
    default_page_size: ClassVar[int] = 500

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.database: CrawlDatabase | None = None
        self.search_key = ""
        self.overlap = timedelta(minutes=60)
        self.cutoff: datetime | None = None
        self.newest_seen: datetime | None = None
        self.oldest_failed: datetime | None = None
        self.list_failed = False
        self.listing_complete = False
        self.cards_requested = 0
        self.requests_left: int | None = None
        self.over_budget = False
        self.result_cap = RESULT_CAP
        self.listing_cut = ""
        """Why the source stopped listing before the search's end (its result cap), if it did."""
        self.pending_parts: list[Any] = []
        """Parts of the search still to list (see ``rest_of_cut_listing``), first one next."""
        self.parts_listed = 0
        self.list_pages = 0
        self.listed: set[Key] = set()
        """Keys of the entries this crawl has handled: a later part lists some again."""
        self.stop_reason = "not started"
        self.page_size = self.default_page_size
        self.lists = True
        """Whether this process reads the listing; a worker of a shared crawl whose peer lists
        only fetches cards (``crawler.frontier``)."""
        self.on_card_failed: Callable[[datetime], None] | None = None
        """Told of each card that failed for good, when the mark is kept elsewhere (a shared crawl)."""

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        settings = crawler.settings
        self.overlap = timedelta(minutes=settings.getfloat("TENDERWATCH_OVERLAP_MINUTES", 60))
        self.page_size = settings.getint("TENDERWATCH_PAGE_SIZE", self.default_page_size)
        self.requests_left = settings.getint("TENDERWATCH_MAX_REQUESTS", 0) or None
        self.result_cap = settings.getint("TENDERWATCH_RESULT_CAP", RESULT_CAP)
        self.search_key = self.make_search_key(crawler)

    # --- what a source module provides ---------------------------------------------------------

    def make_search_key(self, crawler: Crawler) -> str:
        """Identity of the search (filters, not dates or paging) the high-water mark belongs to."""
        return ""

    def list_params(self, page: int, part: Any = None) -> list[tuple[str, str]]:
        """Query parameters of listing page ``page`` (of ``part`` of a split search; None: the whole)."""
        raise NotImplementedError

    def card_url(self, listing: Notice) -> str:
        """Where the full card of a listed notice is."""
        raise NotImplementedError

    def keeps(self, notice: Notice) -> bool:
        """Whether a card is within the search (the filters the site could not apply)."""
        return True

    def fallback_url(self, listing: Notice) -> str | None:
        """Where else a listed notice can be read when its card fails for good (None: nowhere)."""
        return None

    def read_listing(self, response: Response) -> list[Notice]:
        """The entries of a listing page; a source whose pages can prove they are whole checks it
        here and raises ``ParseError`` when one is not (it is then retried like a bad page)."""
        return read_document(response)

    def has_next_page(self, response: Response, entries: list[Notice]) -> bool:
        return self.paged and len(entries) >= self.page_size

    def rest_of_cut_listing(self, response: Response, entries: list[Notice]) -> list[Any]:
        """The parts that list what the site left out when this last page of a part did not reach
        the high-water mark: [] when the part was listed to its end. A source whose site caps
        the records of a query returns narrower queries (``list_params`` takes them), or sets
        ``listing_cut`` when it cannot narrow further."""
        return []

    def parts_note(self) -> str:
        """What the parts of this crawl were, for its reason (only said when there were several)."""
        parts = self.parts_listed + 1
        return f"over the site's cap of {self.result_cap} records, the search was listed in {parts} parts"

    def listing_gaps(self) -> str:
        """Once every part is listed: what the parts together still missed ("" when nothing)."""
        return ""

    # --- the crawl -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.database = crawl_database(self.crawler)
        if self.lists:
            yield self.begin_listing()
        else:
            self.stop_reason = "fetched cards for a shared crawl that another worker lists"

    def begin_listing(self) -> scrapy.Request:
        """The first listing request, the mark read (also when a worker takes a shared crawl's
        listing over from a lister that stopped)."""
        self.lists = True
        if self.database is None:
            self.database = crawl_database(self.crawler)
        if self.from_date is None:  # an explicit window is crawled whole; otherwise resume at the mark
            mark = self.database.high_water(source=self.name, search_key=self.search_key)
            self.cutoff = mark - self.overlap if mark else None
        self.logger.info(
            "crawl of %s: search %r, high-water cutoff %s, max_pages %s, sample %s",
            self.name,
            self.search_key,
            self.cutoff.isoformat() if self.cutoff else "none",
            self.max_pages,
            self.sample,
        )
        return self.list_request(1)

    def _spend(self) -> bool:
        """One request from the crawl's budget; False when it is spent (and the listing is then
        not complete: the mark stays, so the next crawl lists what this one could not ask for)."""
        if self.requests_left is None:
            return True
        if self.requests_left <= 0:
            self.over_budget = True
            self.listing_complete = False
            self.stop_reason = (
                "request budget (crawler.max_requests) spent; the rest is left to the next crawl"
            )
            return False
        self.requests_left -= 1
        return True

    def list_request(self, page: int, part: Any = None) -> scrapy.Request:
        self.count("requests/list")
        return scrapy.Request(
            self.url(self.list_path, self.list_params(page, part)),
            callback=self.parse_list,
            errback=self.list_errback,
            meta={"page": page, "kind": "list", "part": part},
            priority=100,  # finish paging (which decides what to fetch) before the cards pile up
        )

    def parse_list(self, response: Response) -> Generator[Any, None, None]:
        page = response.meta["page"]
        notices = yield from self.parsed(response, self.read_listing)
        if notices is RETRYING:
            return
        if notices is None:
            yield from self._list_failed(page, self.last_problem)
            return
        entries = [n for n in notices if n.completeness == "listing"]
        if len(entries) != len(notices):
            problem = "a listing page held no search entries but a card"
            self.record_error("parse", response.url, problem)
            yield from self._list_failed(page, problem)
            return
        self.count("pages")
        self.list_pages += 1
        stored = self.database.stored(n.key for n in entries) if self.database else {}
        to_fetch = 0
        for entry in entries:
            self._see(entry)
            if entry.key in self.listed:  # an earlier part of a split search listed it
                self.count("listings/repeated")
                continue
            self.listed.add(entry.key)
            if not needs_card(entry, stored.get(entry.key)):
                self.count("listings/unchanged")
                yield self.as_item(entry)
            elif self.sample is not None and self.cards_requested >= self.sample:
                self.stop_reason = f"sample of {self.sample} reached"
                return
            elif not self._spend():
                self.count("listings/over_budget")
                yield from self._card_failed(entry, fallback=False)
            else:
                to_fetch += 1
                yield self.card_request(entry)
        yield from self.next_page(response, entries, page, to_fetch)

    def next_page(
        self, response: Response, entries: list[Notice], page: int, to_fetch: int
    ) -> Iterable[scrapy.Request]:
        oldest = min((e.updated_at for e in entries if e.updated_at), default=None)
        below_mark = bool(self.cutoff and oldest is not None and oldest < self.cutoff)
        if not self.has_next_page(response, entries):
            if not below_mark:  # what the site did not list is newer than the mark: list it too
                self.pending_parts += self.rest_of_cut_listing(response, entries)
            yield from self._part_listed(f"last page ({page}) reached")
            return
        if below_mark:
            # Later pages are older still: the last complete crawl stored them (the mark says so).
            yield from self._part_listed(
                f"page {page} reached below the high-water mark ({to_fetch} to fetch on it)"
            )
            return
        if self._pages_spent():
            return
        if self._spend():
            yield self.list_request(page + 1, response.meta.get("part"))

    def _pages_spent(self) -> bool:
        """Whether ``max_pages`` (listing pages of the whole crawl, every part) is reached. The
        entries past it were never listed: the mark must not pass over them, on a first crawl
        too (it would claim that everything older had been read)."""
        if self.max_pages is None or self.list_pages < self.max_pages:
            return False
        self.stop_reason = f"max_pages={self.max_pages} reached; older entries were not listed"
        self.listing_complete = False
        return True

    def _part_listed(self, reason: str) -> Iterable[scrapy.Request]:
        """One part is listed: the next part, if any is left, else the end of the listing."""
        if self.pending_parts and not self.over_budget:
            if not self._pages_spent() and self._spend():
                self.parts_listed += 1
                self.count("listings/parts")
                yield self.list_request(1, self.pending_parts.pop(0))
            return
        self._listed_to_the_end(reason)

    def _listed_to_the_end(self, reason: str) -> None:
        if self.over_budget or self.list_failed:
            return  # their stop reason stands: entries were left unread
        if self.parts_listed:
            reason += f"; {self.parts_note()}"
        self.listing_cut = self.listing_cut or self.listing_gaps()
        if self.listing_cut:  # the source stopped listing, not the search: the tail was never seen
            self.stop_reason = f"{reason}; {self.listing_cut}"
            self.listing_complete = False
            return
        self.stop_reason = reason
        self.listing_complete = True

    def list_errback(self, failure: Failure) -> Iterable[Any]:
        yield from self.errback(failure)
        yield from self._list_failed(failed_request(failure).meta["page"], self.last_problem)

    def _list_failed(self, page: int, problem: str) -> Iterable[scrapy.Request]:
        """A listing page that could not be read: nothing after it was listed, so the crawl is
        incomplete whatever its error rate, and the mark must stay where it is. The other parts
        of a split search are still listed (their entries are stored; the mark stays)."""
        self.list_failed = True
        self.listing_complete = False
        self.count("pages/failed")
        self.stop_reason = f"listing page {page} could not be read ({problem}); older entries were not listed"
        yield from self._part_listed(self.stop_reason)

    def _see(self, entry: Notice) -> None:
        if entry.updated_at and (self.newest_seen is None or entry.updated_at > self.newest_seen):
            self.newest_seen = entry.updated_at

    def card_request(self, listing: Notice) -> scrapy.Request:
        self.cards_requested += 1
        self.count("requests/card")
        return self._about(listing, self.card_url(listing), "card", self.parse_card, self.card_errback)

    def _about(
        self, listing: Notice, url: str, kind: str, callback: Callable[..., Any], errback: Callable[..., Any]
    ) -> scrapy.Request:
        """A request about one listed notice (its card, or where else it can be read)."""
        meta = {"kind": kind, "listing": listing}
        return scrapy.Request(url, callback=callback, errback=errback, meta=meta)

    def parse_card(self, response: Response) -> Generator[Any, None, None]:
        listing: Notice = response.meta["listing"]
        notices = yield from self.parsed(response, read_document)
        if notices is RETRYING:
            return
        if notices is None:
            yield from self._card_failed(listing)
            return
        cards = [n for n in notices if n.completeness == "card" and n.key == listing.key]
        if len(cards) != 1:
            self.record_error(
                "parse", response.url, f"expected the card of {listing.law} {listing.reg_number}, got none"
            )
            yield from self._card_failed(listing)
            return
        yield from self._kept(cards[0], listing, "cards")

    def _kept(self, found: Notice, listing: Notice, counted_as: str) -> Iterable[Notice]:
        """The notice completed from its listing, if the search keeps it (counted ``counted_as``)."""
        notice = self.complete_card(found, listing)
        if not self.keeps(notice):
            self.count("cards/filtered_out")
            return
        self.count(counted_as)
        yield self.as_item(notice)

    def complete_card(self, card: Notice, listing: Notice) -> Notice:
        """The card with what only the listing knows: the stage, and the update time if the card lacks it.

        A search page's update time is a day: the card is marked so (``UPDATE_DAY_ONLY_NOTE``),
        or the next RSS crawl, which sees exact times, would fetch every such card again.
        """
        updates: dict[str, Any] = {}
        if card.status is None and listing.status:
            updates["status"] = listing.status
        if card.updated_at is None and listing.updated_at is not None:
            updates["updated_at"] = listing.updated_at
            if listing.updated_day_only:
                updates["updated_day_only"] = True
                updates["notes"] = [*card.notes, UPDATE_DAY_ONLY_NOTE]
        return card.model_copy(update=updates) if updates else card

    def card_errback(self, failure: Failure) -> Iterable[Any]:
        yield from self.errback(failure)
        yield from self._card_failed(failed_request(failure).meta["listing"])

    def _card_failed(self, listing: Notice, *, fallback: bool = True) -> Iterable[Notice | scrapy.Request]:
        """Keep what the listing showed, or what its fallback page shows (the store never lets
        either overwrite a card); the mark stays below it, so the next crawl retries the card."""
        if listing.updated_at:
            self.note_oldest_failed(listing.updated_at)
            if self.on_card_failed is not None:
                self.on_card_failed(listing.updated_at)
        url = self.fallback_url(listing) if fallback else None
        if url is None:
            yield self.as_item(listing)
            return
        self.count("requests/fallback")
        yield self._about(listing, url, "fallback", self.parse_fallback, self.fallback_errback)

    def parse_fallback(self, response: Response) -> Generator[Any, None, None]:
        listing: Notice = response.meta["listing"]
        notices = yield from self.parsed(response, read_document)
        if notices is RETRYING:
            return
        pages = [n for n in notices or [] if n.key == listing.key]
        if len(pages) != 1:
            yield from self._card_failed(listing, fallback=False)
            return
        for page in self._kept(pages[0], listing, "cards/fallback"):
            yield page.model_copy(update={"completeness": "listing"})  # the card is still owed

    def fallback_errback(self, failure: Failure) -> Iterable[Any]:
        yield from self.errback(failure)
        yield from self._card_failed(failed_request(failure).meta["listing"], fallback=False)

    def note_oldest_failed(self, updated_at: datetime | None) -> None:
        """A card that failed for good (here or, in a shared crawl, in another worker)."""
        if updated_at is not None and (self.oldest_failed is None or updated_at < self.oldest_failed):
            self.oldest_failed = updated_at

    # --- for the run recorder -------------------------------------------------------------------

    def crawl_mark(self) -> datetime | None:
        """Where the high-water mark may move after this crawl, or None if it must stay.

        It stays after a sample, or when the listing was not read to its end (a page failed or
        was cut off, or max_pages stopped short of the mark): the entries not listed must be
        listed by the next crawl. It stops just below the oldest entry whose card failed, so the
        next crawl lists it again.
        """
        if self.sample is not None or not self.lists or not self.listing_complete:
            return None
        if self.newest_seen is None:
            return None
        if self.oldest_failed is not None:
            return min(self.newest_seen, self.oldest_failed - timedelta(microseconds=1))
        return self.newest_seen
