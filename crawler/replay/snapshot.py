"""The bundled EIS replay snapshot: realistic purchases with their ground truth, rendered on demand.

``build_snapshot(seed=…)`` invents a few hundred purchases (both laws, every method, ~40 regions,
versions, cancellations) and keeps, for every published version, the ``Notice`` a perfect parser
would produce. Documents (XML cards, bulk exports, 223 JSON, search pages, RSS) are rendered from
the same facts, so tests can parse them back and compare. Everything is deterministic in the seed
and ``now``; for the replay server, ``publish_next`` keeps minting purchases after ``now``, and
``revise_live`` / ``cancel_live`` amend or cancel existing ones, so a crawl meets changed notices.
"""

from __future__ import annotations

import logging
import random
import threading
import zipfile
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path

from crawler.eis_site import RESULT_CAP
from crawler.eis_site import subject_code
from crawler.replay import pages
from crawler.replay import render44
from crawler.replay import render223
from crawler.replay.generate import CANCELLED_SHARE
from crawler.replay.generate import CHANGES
from crawler.replay.generate import VERSIONED_SHARE
from crawler.replay.generate import Generator
from crawler.replay.generate import ground_truth
from crawler.replay.generate import moscow_now_floor
from crawler.replay.generate import status_of
from crawler.replay.model import NoticeVersion
from crawler.replay.model import Purchase
from crawler.replay.model import ReplayError
from crawler.replay.model import SnapshotError
from data.notice import Notice
from data.notice import Stage
from data.notice import stage_of

log = logging.getLogger(__name__)

LAWS = frozenset({"44-FZ", "223-FZ"})
PP615 = "PP615"
"""«ПП РФ 615» capital-repair auctions: what ``ppRf615=on`` selects."""
LAW_FLAGS = (("fz44", "44-FZ"), ("fz223", "223-FZ"), ("ppRf615", PP615))
STAGE_FLAGS = {"af": Stage.SUBMISSION, "ca": Stage.COMMISSION, "pc": Stage.COMPLETED, "pa": Stage.CANCELLED}
"""The form's stage check boxes, read as ``eis-formats.md`` §3.1 infers them (not verified)."""
PP615_SHARE = 30
"""One 615 auction per this many purchases: rare beside 44-FZ and 223-FZ, but on most long listings."""
PP615_TITLE = (
    "Оказание услуг и (или) выполнение работ по капитальному ремонту общего имущества в многоквартирном доме"
)
PAGE_SIZES = (10, 20, 50, 100, 200, 500)
"""``recordsPerPage=_10 … _500`` as the EIS search form offers them."""
SORTS = ("UPDATE_DATE", "PUBLISH_DATE", "PRICE")


class QueryError(ReplayError):
    """A search parameter the EIS would not accept; the message names it."""


@dataclass(frozen=True)
class SearchQuery:
    """The extended-search parameters the replay understands (a subset of the real form)."""

    laws: frozenset[str] = LAWS
    page: int = 1
    per_page: int = 10
    sort: str = "UPDATE_DATE"
    descending: bool = True
    updated_from: date | None = None
    updated_to: date | None = None
    published_from: date | None = None
    published_to: date | None = None
    price_from: Decimal | None = None
    price_to: Decimal | None = None
    search: str | None = None
    customer_regions: frozenset[str] | None = None
    """Two-digit subject codes of ``customerPlace`` ids; None: no filter (codes alone are ignored)."""
    delivery_regions: frozenset[str] | None = None
    """The same for ``delKladrIds`` (a delivery place in one of them)."""
    stages: frozenset[Stage] | None = None
    """The stage flags (``af``, ``ca``, ``pc``, ``pa``); None: none sent, every stage listed."""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> SearchQuery:
        """Read EIS query parameters (``fz44=on``, ``recordsPerPage=_50``, ``updateDateFrom=01.11.2026``…)."""
        laws = frozenset(law for flag, law in LAW_FLAGS if params.get(flag) == "on")
        return cls(
            # The EIS form without a law flag lists all three (615 auctions included).
            laws=laws or frozenset(law for _, law in LAW_FLAGS),
            page=_positive_int(params, "pageNumber", 1),
            per_page=_page_size(params.get("recordsPerPage")),
            sort=_sort(params.get("sortBy")),
            descending=_direction(params.get("sortDirection")),
            updated_from=_ru_date(params, "updateDateFrom"),
            updated_to=_ru_date(params, "updateDateTo"),
            published_from=_ru_date(params, "publishDateFrom"),
            published_to=_ru_date(params, "publishDateTo"),
            price_from=_money(params, "priceFromGeneral") or _money(params, "priceFrom"),
            price_to=_money(params, "priceToGeneral"),
            search=(params.get("searchString") or "").strip() or None,
            customer_regions=_subject_filter(params, "customerPlace"),
            delivery_regions=_subject_filter(params, "delKladrIds"),
            stages=frozenset(stage for flag, stage in STAGE_FLAGS.items() if params.get(flag) == "on")
            or None,
        )


def _subject_filter(params: Mapping[str, str], name: str) -> frozenset[str] | None:
    """The subjects of an id filter, as the EIS reads it: by the internal ids (``customerPlace=
    5277335``); the codes sent beside them (``customerPlaceCodes``) do not filter on their own.
    An id the replay does not know is refused, so a test sending a made-up id fails loudly."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    codes = set()
    for subject_id in raw.split(","):
        code = subject_code(subject_id.strip())
        if code is None:
            raise QueryError(f"{name}={raw!r}: {subject_id.strip()!r} is no subject id the replay knows")
        codes.add(code)
    return frozenset(codes)


def _positive_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a number") from None
    if value < 1:
        raise QueryError(f"{name}={raw!r} must be 1 or more")
    return value


def _page_size(raw: str | None) -> int:
    if not raw:
        return 10
    try:
        value = int(raw.lstrip("_"))
    except ValueError:
        raise QueryError(f"recordsPerPage={raw!r} is not one of _10, _20, _50, _100, _200, _500") from None
    if value not in PAGE_SIZES:
        raise QueryError(f"recordsPerPage={raw!r} is not one of _10, _20, _50, _100, _200, _500")
    return value


def _sort(raw: str | None) -> str:
    if not raw:
        return "UPDATE_DATE"
    if raw not in SORTS:
        raise QueryError(f"sortBy={raw!r} is not one of {', '.join(SORTS)}")
    return raw


def _direction(raw: str | None) -> bool:
    """``sortDirection=false`` lists newest (largest) first, as the EIS does by default."""
    if raw in (None, "", "false"):
        return True
    if raw == "true":
        return False
    raise QueryError(f"sortDirection={raw!r} must be true or false")


def _ru_date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%d.%m.%Y").date()
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a dd.mm.yyyy date") from None


def _money(params: Mapping[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return Decimal(raw.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise QueryError(f"{name}={raw!r} is not an amount") from None


@dataclass
class Snapshot:
    """Purchases with their versions; renders every document the EIS would serve for them."""

    seed: int
    now: datetime
    purchases: list[Purchase]
    _generator: Generator = field(repr=False)
    _by_reg: dict[str, Purchase] = field(default_factory=dict, repr=False)
    _cancelled_at: dict[str, datetime] = field(default_factory=dict, repr=False)
    _minted: int = 0
    _pp615: list[pages.Pp615Entry] | None = field(default=None, repr=False)
    result_cap: int = RESULT_CAP
    """The most records a search lists, as on the EIS; tests lower it to meet it with a small snapshot."""
    _amended: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    """The replay server publishes from one thread while request threads search."""

    def __post_init__(self) -> None:
        self._by_reg = {p.reg_number: p for p in self.purchases}

    # ---- ground truth -----------------------------------------------------------------------------

    @property
    def versions(self) -> list[NoticeVersion]:
        return [v for p in self.purchases for v in p.versions]

    @property
    def notices(self) -> list[Notice]:
        """One ``Notice`` per (purchase, version): what a perfect parser reads from each card."""
        return [v.notice for v in self.versions]

    def purchase(self, reg_number: str) -> Purchase:
        try:
            return self._by_reg[reg_number]
        except KeyError:
            raise SnapshotError(f"registry number {reg_number!r} is not in the snapshot") from None

    def version(self, reg_number: str, number: int | None = None) -> NoticeVersion:
        """The given version of a purchase, or its latest."""
        purchase = self.purchase(reg_number)
        if number is None:
            return purchase.latest
        for version in purchase.versions:
            if version.number == number:
                return version
        raise SnapshotError(f"registry number {reg_number!r} has no version {number}")

    def listing_updated_at(self, purchase: Purchase) -> datetime:
        """The search page's «Обновлено»: the cancellation if any, else the latest version."""
        return self._cancelled_at.get(purchase.reg_number, purchase.latest.published_at)

    def latest_update(self) -> datetime:
        """The newest «Обновлено» of any purchase (or ``now``): minted notices must come after it."""
        with self._lock:
            return max([self.now, *(self.listing_updated_at(p) for p in self.purchases)])

    def listing(self, purchase: Purchase) -> pages.Listing:
        return pages.Listing(
            purchase, status_of(purchase.latest, self.now), self.listing_updated_at(purchase)
        )

    # ---- documents --------------------------------------------------------------------------------

    def render_card(self, version: NoticeVersion) -> bytes:
        """The single-notice XML: 44-FZ printForm/viewXml (no wrapper), 223-FZ purchaseNotice."""
        if version.purchase.law == "44-FZ":
            return render44.render_printform(version)
        return render223.render_notice(version)

    def render_export(self, version: NoticeVersion) -> bytes:
        """The bulk-export XML: 44-FZ inside ``ns3:export``; 223-FZ notices have no wrapper."""
        if version.purchase.law == "44-FZ":
            return render44.render_export(version)
        return render223.render_notice(version)

    def export_document(self, version: NoticeVersion) -> tuple[str, bytes]:
        """(file name, XML) of a version as the bulk exports name and write it: 44-FZ
        ``epNotification…2020_<regnum>_<id>.xml``, 223-FZ ``purchaseNotice…_<regnum>_<version>.xml``."""
        if version.purchase.law == "44-FZ":
            name = render44.export_file_name(version)
        else:
            name = f"{render223.notice_type(version)}_{version.purchase.reg_number}_{version.number}.xml"
        return name, self.render_export(version)

    def render_json(self, version: NoticeVersion) -> bytes:
        """The 223-FZ mobile-proxy JSON (``common-info.html`` of the mobile API)."""
        if version.purchase.law != "223-FZ":
            raise SnapshotError(
                f"{version.purchase.reg_number} is a 44-FZ notice; the mobile JSON is 223-FZ only"
            )
        return render223.render_json(version)

    def pp615_entries(self) -> list[pages.Pp615Entry]:
        """The 615 auctions listed beside the purchases (fixed at first use, deterministic in the seed)."""
        with self._lock:
            if self._pp615 is None:
                rng = random.Random(self.seed * 7919 + 615)
                picks = self.purchases[::PP615_SHARE] or self.purchases[:1]
                self._pp615 = [_pp615_entry(rng, p) for p in picks]
            return self._pp615

    def search(self, query: SearchQuery) -> tuple[list[pages.Entry], int]:
        """The page of entries a search returns, and the total number of hits."""
        with self._lock:
            hits: list[pages.Entry] = [self.listing(p) for p in self.purchases if self._matches(p, query)]
        if PP615 in query.laws:
            hits += [e for e in self.pp615_entries() if _pp615_matches(e, query)]
        key = {
            "UPDATE_DATE": lambda e: (e.updated_at, e.reg_number),
            "PUBLISH_DATE": lambda e: (e.published_at, e.reg_number),
            "PRICE": lambda e: (e.nmck, e.reg_number),
        }[query.sort]
        hits.sort(key=key, reverse=query.descending)
        start = (query.page - 1) * query.per_page
        listed = hits[: self.result_cap]  # the site states every hit but lists only this many
        return listed[start : start + query.per_page], len(hits)

    def _matches(self, purchase: Purchase, query: SearchQuery) -> bool:
        if purchase.law not in query.laws:
            return False
        if query.customer_regions is not None and purchase.customer.region.code not in query.customer_regions:
            return False
        if query.delivery_regions is not None and not any(
            place.region.code in query.delivery_regions for place in purchase.places
        ):
            return False
        if not _price_and_dates_match(
            purchase.latest.nmck, self.listing_updated_at(purchase), purchase.versions[0].published_at, query
        ):
            return False
        if query.stages is not None and stage_of(status_of(purchase.latest, self.now)) not in query.stages:
            return False
        if query.search:
            needle = query.search.lower()
            if needle != purchase.reg_number and not any(
                needle in text.lower() for text in (purchase.title, purchase.customer.name)
            ):
                return False
        return True

    def render_search_page(
        self, query: SearchQuery | None = None, *, query_string: str = "", **filters
    ) -> bytes:
        """``/epz/order/extendedsearch/results.html``; ``filters`` are ``SearchQuery`` fields."""
        query = query or SearchQuery(**filters)
        entries, total = self.search(query)
        page_count = max(1, -(-min(total, self.result_cap) // query.per_page))
        return pages.render_results(
            entries,
            total=total,
            page=query.page,
            pages=page_count,
            query_string=query_string,
            sort_by=query.sort,
        )

    def render_rss(self, query: SearchQuery | None = None, *, query_string: str = "", **filters) -> bytes:
        """``/epz/order/extendedsearch/rss.html`` with the same parameters as the search page."""
        query = query or SearchQuery(**filters)
        entries, _ = self.search(query)
        return pages.render_rss(entries, query_string=query_string, search=query.search)

    def listing_notice(self, purchase: Purchase) -> Notice:
        """What a search entry or RSS item shows, as a "listing" ``Notice`` (dates are days only)."""
        entry = self.listing(purchase)
        truth = purchase.latest.notice
        return truth.model_copy(
            update={
                "status": entry.status,
                "title": truth.title if purchase.publishes_object else "",
                "updated_at": self.listing_updated_at(purchase),
                "completeness": "listing",
                "submission_deadline": truth.submission_deadline if entry.has_deadline else None,
            }
        )

    # ---- bulk export layout -------------------------------------------------------------------------

    def write_bulk(self, dest: Path, *, only: Callable[[NoticeVersion], bool] | None = None) -> list[Path]:
        """Write every version (``only`` those it accepts) as the EIS bulk exports lay them out;
        returns the files written.

        44-FZ: ``44fz/<Region>/notification_<Region>_<from>_<to>_001.xml.zip`` per region and day,
        each holding ``epNotification…2020_<regnum>_<id>.xml`` export documents.
        223-FZ: ``223fz/<Region>/purchaseNotice…_<regnum>_<version>.xml`` plain files.
        """
        dest = Path(dest)
        groups: dict[tuple[str, date], list[NoticeVersion]] = defaultdict(list)
        written: list[Path] = []
        versions = [v for v in self.versions if only is None or only(v)]
        for version in versions:
            region = ftp_region_name(version.purchase.customer.region.name)
            if version.purchase.law == "44-FZ":
                day = version.published_at.astimezone(pages.MOSCOW).date()
                groups[(region, day)].append(version)
            else:
                folder = dest / "223fz" / region
                folder.mkdir(parents=True, exist_ok=True)
                name, data = self.export_document(version)
                path = folder / name
                _write_atomic(path, data)
                written.append(path)
        for (region, day), versions in sorted(groups.items()):
            folder = dest / "44fz" / region
            folder.mkdir(parents=True, exist_ok=True)
            stamp_from = day.strftime("%Y%m%d") + "00"
            stamp_to = (day + timedelta(days=1)).strftime("%Y%m%d") + "00"
            path = folder / f"notification_{region}_{stamp_from}_{stamp_to}_001.xml.zip"
            tmp = path.with_suffix(".tmp")
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for version in versions:
                    name, data = self.export_document(version)
                    info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, data)
            tmp.replace(path)
            written.append(path)
        log.info("wrote %d bulk files for %d versions under %s", len(written), len(versions), dest)
        return written

    # ---- publishing over time -------------------------------------------------------------------------

    def publish_next(self, at: datetime) -> Notice:
        """Mint a new purchase published at ``at`` (after ``now``); deterministic in seed and order."""
        _require_aware(at, "publish")
        with self._lock:
            return self._mint(at)

    def _mint(self, at: datetime) -> Notice:
        self._minted += 1
        rng = random.Random(f"{self.seed}:minted:{self._minted}")
        self._generator.now = max(self._generator.now, at)
        purchase = self._generator.purchase(published_at=at, rng=rng)
        local = at.astimezone(purchase.tz)
        for version in purchase.versions:
            version.published_at = local
        _finish(purchase, max(self.now, at))
        self.purchases.append(purchase)
        self._by_reg[purchase.reg_number] = purchase
        return purchase.latest.notice

    # ---- amending and cancelling over time --------------------------------------------------------------

    def revise_live(self, reg_number: str | None = None, *, at: datetime, change: str = "deadline") -> Notice:
        """Publish the next version of a purchase at ``at``: a moved deadline or a new NMCK.

        44-FZ: ``versionNumber`` + 1, the items repriced and the security amounts following the new
        NMCK (the shares stay). 223-FZ: a later modification of the same notice. Either way the
        search and RSS list it as updated at ``at``. Returns the new version's ground truth.
        """
        if change not in CHANGES:
            raise SnapshotError(f"change={change!r} is not one of {', '.join(CHANGES)}")
        _require_aware(at, "revision")
        with self._lock:
            purchase = self._live_target(reg_number, at, "revise")
            self._amended += 1
            rng = random.Random(f"{self.seed}:amended:{self._amended}")
            version = self._generator.amend(
                purchase, rng, published_at=at, change=change, keep_securities=True
            )
            _finish(purchase, self.now)
            log.info(
                "replay revised %s %s to version %d (%s)",
                purchase.law,
                purchase.reg_number,
                version.number,
                change,
            )
            return version.notice

    def cancel_live(self, reg_number: str | None = None, *, at: datetime) -> Notice:
        """Cancel a purchase at ``at``: the search and RSS show the cancelled stage, updated at ``at``.

        The EIS publishes a cancellation as a document of its own, so the card (and its version)
        stay as they were; the returned ground truth is the latest version with the cancelled stage.
        """
        _require_aware(at, "cancellation")
        with self._lock:
            purchase = self._live_target(reg_number, at, "cancel")
            purchase.cancelled = True
            self._cancelled_at[purchase.reg_number] = at
            _finish(purchase, self.now)
            log.info("replay cancelled %s %s", purchase.law, purchase.reg_number)
            return purchase.latest.notice

    def _live_target(self, reg_number: str | None, at: datetime, action: str) -> Purchase:
        """The named purchase if it can be amended at ``at``, else the open one updated longest ago.

        Customers amend or cancel notices that have been out for a while, and an old update moves to
        another day, so even a search page that shows dates only lists the change. Ties go by number.
        """
        if reg_number is not None:
            purchase = self.purchase(reg_number)
            why = self._not_amendable(purchase, at)
            if why:
                raise SnapshotError(f"cannot {action} {reg_number} at {at.isoformat()}: {why}")
            return purchase
        candidates = [p for p in self.purchases if self._not_amendable(p, at) is None]
        if not candidates:
            raise SnapshotError(
                f"cannot {action} any purchase at {at.isoformat()}: none is open, uncancelled and older"
            )
        return min(candidates, key=lambda p: (self.listing_updated_at(p), p.reg_number))

    def _not_amendable(self, purchase: Purchase, at: datetime) -> str | None:
        """Why ``purchase`` cannot be amended or cancelled at ``at`` (None when it can)."""
        if purchase.cancelled:
            return "it is cancelled"
        if not purchase.latest.has_deadline:
            return "a single-supplier purchase collects no applications"
        updated = self.listing_updated_at(purchase)
        if at <= updated:
            return f"it was last updated at {updated.isoformat()}"
        if purchase.latest.deadline <= max(at, self.now):
            return f"its submission deadline {purchase.latest.deadline.isoformat()} has passed"
        return None


def _require_aware(at: datetime, what: str) -> None:
    if at.tzinfo is None:
        raise SnapshotError(f"{what} time must be timezone-aware, got {at!r}")


def ftp_region_name(name: str) -> str:
    """Folder names of the EIS FTP: «Свердловская область» → ``Sverdlovskaja_obl``."""
    table = dict(
        zip(
            "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
            "a b v g d e e zh z i j k l m n o p r s t u f h c ch sh sch _ y _ e ju ja".split(),
            strict=True,
        )
    )
    words = name.replace("г. ", "").replace("(", "").replace(")", "").split()
    suffix = {"область": "obl", "край": "kraj", "Республика": "Resp"}
    head = [w for w in words if w not in suffix and w != "-"]
    tail = [suffix[w] for w in words if w in suffix]
    text = "_".join("".join(table.get(ch, ch) for ch in w.lower()).replace("_", "") for w in head)
    return "_".join([text[:1].upper() + text[1:], *tail])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _finish(purchase: Purchase, now: datetime) -> None:
    for version in purchase.versions:
        version.notice = ground_truth(version, now)


def build_snapshot(
    *, seed: int = 2026, count: int = 320, now: datetime | None = None, days: int = 30
) -> Snapshot:
    """Invent ``count`` purchases deterministically from ``seed`` as of ``now``, published over the
    ``days`` before it (1: a single busy day, as a day of all of Russia meets the site's cap)."""
    if count < 1:
        raise SnapshotError(f"count must be at least 1, got {count}")
    if days < 1:
        raise SnapshotError(f"days must be at least 1, got {days}")
    now = moscow_now_floor(now)
    generator = Generator(seed, now, days)
    purchases = [generator.purchase() for _ in range(count)]
    rng = random.Random(f"{seed}:revisions")
    for purchase in purchases:
        if rng.random() < VERSIONED_SHARE:
            for _ in range(rng.choice((1, 1, 2))):
                generator.revise(purchase, rng)
    cancelled_at: dict[str, datetime] = {}
    for purchase in purchases:
        if rng.random() < CANCELLED_SHARE:
            purchase.cancelled = True
            moment = purchase.latest.published_at + timedelta(hours=rng.randrange(2, 72))
            latest_possible = now - timedelta(minutes=rng.randrange(1, 120))
            cancelled_at[purchase.reg_number] = max(
                purchase.latest.published_at, min(moment, latest_possible)
            )
    for purchase in purchases:
        _finish(purchase, now)
    snapshot = Snapshot(seed=seed, now=now, purchases=purchases, _generator=generator)
    snapshot._cancelled_at = cancelled_at
    return snapshot


def iter_documents(snapshot: Snapshot) -> Iterable[tuple[str, bytes, NoticeVersion]]:
    """Every card document of every version with the URL it is served under (used by tests and demos)."""
    for version in snapshot.versions:
        reg = version.purchase.reg_number
        if version.purchase.law == "44-FZ":
            yield (
                f"https://zakupki.gov.ru/epz/order/notice/printForm/viewXml.html?regNumber={reg}",
                snapshot.render_card(version),
                version,
            )
        else:
            yield (version.purchase.card_url, snapshot.render_card(version), version)


__all__ = ["QueryError", "SearchQuery", "Snapshot", "build_snapshot", "iter_documents"]


def _pp615_entry(rng: random.Random, beside: Purchase) -> pages.Pp615Entry:
    """A capital-repair auction of a regional fund, published when ``beside`` was."""
    published = beside.versions[0].published_at
    region = beside.customer.region
    return pages.Pp615Entry(
        reg_number=f"2{region.code}{rng.randrange(10**14, 10**15)}",
        title=PP615_TITLE,
        customer=f"НЕКОММЕРЧЕСКАЯ ОРГАНИЗАЦИЯ «ФОНД КАПИТАЛЬНОГО РЕМОНТА {region.genitive}»",
        nmck=Decimal(rng.randrange(500_000_00, 40_000_000_00)) / 100,
        published_at=published,
        updated_at=published,
    )


def _pp615_matches(entry: pages.Pp615Entry, query: SearchQuery) -> bool:
    if query.stages is not None and Stage.SUBMISSION not in query.stages:
        return False
    if not _price_and_dates_match(entry.nmck, entry.updated_at, entry.published_at, query):
        return False
    return not query.search or query.search.lower() in entry.title.lower()


def _price_and_dates_match(nmck: Decimal, updated: datetime, published: datetime, query: SearchQuery) -> bool:
    """The price band and the update/publication day windows (Moscow days, as the form means them)."""
    if query.price_from is not None and nmck < query.price_from:
        return False
    if query.price_to is not None and nmck > query.price_to:
        return False
    for moment, low, high in (
        (updated, query.updated_from, query.updated_to),
        (published, query.published_from, query.published_to),
    ):
        day = moment.astimezone(pages.MOSCOW).date()
        if (low and day < low) or (high and day > high):
            return False
    return True
