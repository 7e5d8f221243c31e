"""The replay HTTP server: a snapshot served under the EIS URL paths, with faults and live publishing.

Served paths (``regNumber`` is required where shown; unknown numbers are 404, bad search
parameters 400 with the ``QueryError`` message):

* ``/epz/order/extendedsearch/results.html?…``: the search page (path kind ``list``);
* ``/epz/order/extendedsearch/rss.html?…``: its RSS feed (``rss``);
* ``/epz/order/notice/printForm/viewXml.html?regNumber=…``: 44-FZ XML card, latest version (``card``);
* ``/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html?regNumber=…``: the 223-FZ
  mobile JSON, latest version (``json``);
* ``/epz/order/notice/<slug>/view/common-info.html?regNumber=…`` and
  ``/223/purchase/public/purchase/info/common-info.html?regNumber=…``: the card pages the search
  entries and RSS items link to, header only (``page``); a 44-FZ slug other than the purchase's
  method is 404, as on the EIS;
* ``POST /eis-integration/services/getDocsIP``: the export service's SOAP requests (``export``),
  and ``/eis-integration/archives/<key>``: the archives its replies link to (``archive``; the
  token in the ``individualPerson_token`` header), see ``crawler.replay.export_service``;
  ``GET /eis-integration/services/getDocsIP?wsdl`` serves the WSDL (not counted);
* control (never counted, never faulted): ``GET /_replay/stats``, ``GET|POST /_replay/faults``
  (body: a spec string or a JSON object, see ``crawler.replay.faults``), ``POST /_replay/reset-stats``,
  ``POST /_replay/publish?count=N`` (mint N notices now), ``POST /_replay/revise?count=N&change=deadline``
  (``change=deadline|price``: amend N open purchases as their next version now) and
  ``POST /_replay/cancel?count=N`` (cancel N open purchases now).

Any counted request may carry ``_fault=<kind>`` (``5xx``, ``429``, ``maintenance``, ``captcha``,
``truncate``, ``slow``) to get that fault once, for ad-hoc poking with a browser or curl.

The server is stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive (as Scrapy does), on a
background thread; with ``publish_rate`` another thread mints new notices newer than anything in
the snapshot and records when each became visible, so alert latency can be measured end to end.
Revisions and cancellations are listed the same way, so a crawl's "changed" path can be tested.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import sys
import threading
import time
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

from crawler.eis_site import REGISTER_FEED_PATH
from crawler.eis_site import REGISTER_SEARCH_PATH
from crawler.export_service import SERVICE_PATH
from crawler.export_service import TOKEN_HEADER
from crawler.replay.cardpage import render_card_page
from crawler.replay.export_service import ARCHIVE_PATH
from crawler.replay.export_service import REPLAY_EXPORT_TOKEN
from crawler.replay.export_service import SOAP_XML
from crawler.replay.export_service import ExportFake
from crawler.replay.faults import FAULT_KINDS
from crawler.replay.faults import FaultInjector
from crawler.replay.faults import FaultPlan
from crawler.replay.faults import FaultSpecError
from crawler.replay.generate import CHANGES
from crawler.replay.market import results_of
from crawler.replay.model import Purchase
from crawler.replay.model import ReplayError
from crawler.replay.model import SnapshotError
from crawler.replay.model import ru_money
from crawler.replay.register import NOT_FOUND_PAGE
from crawler.replay.register import SEARCH_PAGE
from crawler.replay.register import SESSION_COOKIE
from crawler.replay.register import entries_for
from crawler.replay.register import render_feed
from crawler.replay.result_pages import PROTOCOL_TYPE
from crawler.replay.result_pages import bid_list_page
from crawler.replay.result_pages import results_tab_page
from crawler.replay.snapshot import QueryError
from crawler.replay.snapshot import SearchQuery
from crawler.replay.snapshot import Snapshot
from data.notice import MOSCOW
from data.notice import Notice
from data.results import ProtocolResult

log = logging.getLogger(__name__)

LIST_PATH = "/epz/order/extendedsearch/results.html"
RSS_PATH = "/epz/order/extendedsearch/rss.html"
CARD44_PATH = "/epz/order/notice/printForm/viewXml.html"
JSON223_PATH = "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html"
JSON223_PATH_917 = "/api/mobile/proxy/917/223/purchase/public/purchase/info/common-info.html"
"""The newer mobile proxy: the same JSON inside a ``data`` object (docs/eis-site.md)."""
PAGE223_PATH = "/223/purchase/public/purchase/info/common-info.html"
_POLL_SECONDS = 0.05
"""How soon ``stop()`` is noticed by the accept loop (the stdlib default of 0.5 s slows test teardown)."""
LIVE_KINDS = ("published", "revised", "cancelled")
"""What the server can do to the snapshot while it runs; each has its list in ``stats()``."""
MAX_LIVE_COUNT = 1000
_NOTICE_PAGE = re.compile(
    r"^/epz/order/notice/([A-Za-z0-9]+)/view/(common-info|supplier-results|protocol/protocol-bid-list)\.html$"
)
"""A 44-FZ notice's card, its results tab and its protocol's bid list, below its procedure's slug."""

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
ZIP = "application/zip"
TEXT = "text/plain; charset=utf-8"

MAINTENANCE_PAGE = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="UTF-8">'
    "<title>Технические работы</title></head>\n"
    "<body>\n<h1>Технические работы</h1>\n"
    "<p>Уважаемые пользователи! На сайте ведутся технические работы. "
    "Приносим извинения за временные неудобства.</p>\n</body>\n</html>\n"
).encode()
BLOCKED_PAGE = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="UTF-8"><title>Доступ ограничен</title></head>\n'
    "<body>\n<h1>Доступ ограничен</h1>\n<p>Ваш запрос отклонён.</p>\n</body>\n</html>\n"
).encode()
"""What a refused client gets with HTTP 403/434 (the body's wording is not known; the status decides)."""
CAPTCHA_PAGE = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="UTF-8"><title>Проверка браузера</title></head>\n'
    '<body>\n<div class="captcha-container">\n<h1>Подтвердите, что вы человек</h1>\n'
    "<p>Запросы с вашего IP-адреса похожи на автоматические. Введите символы с картинки.</p>\n"
    '<form method="post" action="/captcha/verify"><img src="/captcha/image.png" alt="captcha">\n'
    '<input name="captcha" type="text"><button type="submit">Я не робот</button></form>\n'
    "</div>\n</body>\n</html>\n"
).encode()
UNAVAILABLE_PAGE = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head>\n"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n"
)


class ReplayServerError(ReplayError):
    """The replay server could not start, or was given a bad setting."""


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def _text(status: int, message: str) -> Reply:
    return Reply(status, (message + "\n").encode("utf-8"), TEXT)


def _with_slug(
    page: Callable[[dict[str, str], str], Reply], slug: str
) -> Callable[[dict[str, str], str], Reply]:
    """A 44-FZ page handler bound to the path's procedure slug (``ea20`` of ``/notice/ea20/view/``)."""
    return lambda params, qs: page(params, slug)


def _json(data: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), JSON)


class ReplayServer:
    """A running replay; build it with ``start_replay``. Thread-safe; ``stop()`` is idempotent."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        host: str,
        port: int,
        faults: FaultPlan,
        publish_rate: float | None,
        tls: ssl.SSLContext | None = None,
        export_token: str = REPLAY_EXPORT_TOKEN,
        latency: float = 0.0,
    ) -> None:
        if publish_rate is not None and not publish_rate > 0:
            raise ReplayServerError(f"publish_rate={publish_rate!r} must be a positive number per minute")
        self.snapshot = snapshot
        self.publish_rate = publish_rate
        self.latency = max(0.0, latency)
        """Seconds every counted answer waits: the network and the site's own time, which a local
        replay lacks and which decide how many requests one worker keeps in flight."""
        self.injector = FaultInjector(faults)
        self.export = ExportFake(snapshot, token=export_token)
        self._stats_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._stopping = threading.Event()
        self._live: dict[str, list[dict[str, object]]] = {kind: [] for kind in LIVE_KINDS}
        self._high_water = snapshot.latest_update()
        self._reset_counters()
        try:
            self._httpd = _HTTPServer((host, port), _Handler)
        except OSError as exc:
            raise ReplayServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._httpd.replay = self
        if tls is not None:  # a site whose certificate comes from its own CA: the TLS tests' zakupki.gov.ru
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.host = host
        self.port = self._httpd.server_address[1]
        self._threads = [
            threading.Thread(
                target=self._httpd.serve_forever, args=(_POLL_SECONDS,), name="replay-http", daemon=True
            )
        ]
        if publish_rate:
            self._threads.append(
                threading.Thread(target=self._publish_loop, name="replay-publish", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        log.info(
            "replay of %d purchases serving at %s (faults: %s, publish rate: %s/min)",
            len(snapshot.purchases),
            self.url,
            faults.to_spec() or "none",
            publish_rate or 0,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    # ---- lifecycle --------------------------------------------------------------------------------

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        log.info("replay at %s stopped after %d requests", self.url, self._total)

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- faults -------------------------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self.injector.plan

    def set_faults(self, plan: FaultPlan | str | Mapping[str, object] | None) -> FaultPlan:
        """Replace the fault plan (counts start afresh); ``None`` or ``""`` clears it."""
        parsed = FaultPlan.coerce(plan)
        self.injector.set_plan(parsed)
        log.info("replay fault plan set to %s", parsed.to_spec() or "none")
        return parsed

    # ---- publishing ---------------------------------------------------------------------------------

    def publish(self, count: int = 1) -> list[Notice]:
        """Mint ``count`` notices now, each updated after everything already listed."""
        return self._go_live("published", count, self.snapshot.publish_next)

    def revise(self, count: int = 1, change: str = "deadline") -> list[Notice]:
        """Amend ``count`` open purchases now (``change``: deadline or price), listed on top as updated.

        Each takes the open purchase updated longest ago (``Snapshot.revise_live``); the notices
        returned are the new versions' ground truth.
        """
        if change not in CHANGES:
            raise ReplayServerError(f"change={change!r} is not one of {', '.join(CHANGES)}")
        return self._go_live(
            "revised", count, lambda at: self.snapshot.revise_live(at=at, change=change), change=change
        )

    def cancel(self, count: int = 1) -> list[Notice]:
        """Cancel ``count`` open purchases now (the longest-unchanged first); the listing shows the stage."""
        return self._go_live("cancelled", count, lambda at: self.snapshot.cancel_live(at=at))

    def _go_live(
        self, kind: str, count: int, act: Callable[[datetime], Notice], **details: str
    ) -> list[Notice]:
        """Do ``act`` ``count`` times, each at a fresh update time, and record when each became visible."""
        if not 1 <= count <= MAX_LIVE_COUNT:
            raise ReplayServerError(f"count={count!r} must be a whole number from 1 to {MAX_LIVE_COUNT}")
        done: list[Notice] = []
        for _ in range(count):
            with self._publish_lock:
                at = self._next_publish_at()
                try:
                    notice = act(at)
                except SnapshotError as exc:
                    raise SnapshotError(f"{exc} (after {len(done)} of {count} {kind})") from None
                self._live[kind].append(
                    {
                        "reg_number": notice.reg_number,
                        "law": notice.law,
                        "version": notice.version,
                        **details,
                        "updated_at": at.isoformat(),
                        "published_at": datetime.now(UTC).isoformat(),
                    }
                )
            log.info("replay %s %s %s", kind, notice.law, notice.reg_number)
            done.append(notice)
        return done

    def _next_publish_at(self) -> datetime:
        """The real clock when it is ahead; otherwise one second after the newest listed update."""
        now = datetime.now(UTC).replace(microsecond=0)
        at = max(now, self._high_water.replace(microsecond=0) + timedelta(seconds=1))
        self._high_water = at
        return at

    def _publish_loop(self) -> None:
        interval = 60.0 / (self.publish_rate or 1)
        while not self._stopping.wait(interval):
            try:
                self.publish()
            except ReplayError:
                log.exception("replay could not publish a new notice")

    # ---- statistics ---------------------------------------------------------------------------------

    def _reset_counters(self) -> None:
        with self._stats_lock:
            self._requests: defaultdict[str, Counter[int]] = defaultdict(Counter)
            self._faulted: Counter[str] = Counter()
            self._served: Counter[tuple[str, str]] = Counter()
            self._total = 0

    def reset_stats(self) -> None:
        """Zero the request and fault counters (the published, revised and cancelled lists are kept:
        they are the snapshot's history)."""
        self._reset_counters()

    def record(self, kind: str, status: int, fault: str | None, target: str = "") -> None:
        with self._stats_lock:
            if status == 200 and target:
                self._served[(kind, target)] += 1
            self._requests[kind][status] += 1
            self._total += 1
            if fault:
                self._faulted[fault] += 1

    def stats(self) -> dict[str, object]:
        """Requests by path kind and status, faults injected, notices published, revised, cancelled."""
        with self._stats_lock:
            requests = {
                kind: {str(status): n for status, n in sorted(by_status.items())}
                for kind, by_status in sorted(self._requests.items())
            }
            faults = {kind: self._faulted[kind] for kind in FAULT_KINDS}
            total = self._total
            repeated: Counter[str] = Counter()
            for (kind, _), times in self._served.items():
                repeated[kind] += times - 1
        with self._publish_lock:
            live = {kind: list(entries) for kind, entries in self._live.items()}
        return {
            "total": total,
            "requests": requests,
            "repeated": {kind: n for kind, n in sorted(repeated.items()) if n},
            "faults": faults,
            "faults_total": sum(faults.values()),
            "fault_plan": self.faults.to_dict(),
            **{f"{kind}_count": len(entries) for kind, entries in live.items()},
            **live,
            "purchases": len(self.snapshot.purchases),
            "snapshot_now": self.snapshot.now.isoformat(),
            "now": datetime.now(UTC).isoformat(),
        }

    # ---- routing --------------------------------------------------------------------------------------

    def route(self, path: str) -> tuple[str, Callable[[dict[str, str], str], Reply]]:
        """(path kind, handler) for a GET path; control paths have kind ``control``."""
        exact: dict[str, tuple[str, Callable[[dict[str, str], str], Reply]]] = {
            LIST_PATH: ("list", self._search_page),
            RSS_PATH: ("rss", self._rss),
            CARD44_PATH: ("card", self._card44),
            JSON223_PATH: ("json", self._json223),
            JSON223_PATH_917: ("json", self._json223_wrapped),
            PAGE223_PATH: ("page", self._page223),
        }
        if path in exact:
            return exact[path]
        m = _NOTICE_PAGE.match(path)
        if m:
            pages = {
                "common-info": self._page44,
                "supplier-results": self._results_tab,
                "protocol/protocol-bid-list": self._bid_list,
            }
            return "page", _with_slug(pages[m.group(2)], m.group(1))
        if path == SERVICE_PATH:
            return "control", lambda params, qs: Reply(200, self.export.wsdl(params.get("xsd")), XML)
        if path.startswith("/_replay/"):
            return "control", self._control_get(path)
        return "other", lambda params, qs: _text(404, f"{path}: no such page in the EIS replay")

    def _search_page(self, params: dict[str, str], query_string: str) -> Reply:
        query = SearchQuery.from_params(params)
        return Reply(200, self.snapshot.render_search_page(query, query_string=query_string), HTML)

    def _rss(self, params: dict[str, str], query_string: str) -> Reply:
        query = SearchQuery.from_params(params)
        return Reply(200, self.snapshot.render_rss(query, query_string=query_string), RSS)

    def _card44(self, params: dict[str, str], query_string: str) -> Reply:
        purchase = self._purchase(params, "44-FZ")
        return Reply(200, self.snapshot.render_card(purchase.latest), XML)

    def _json223(self, params: dict[str, str], query_string: str) -> Reply:
        purchase = self._purchase(params, "223-FZ")
        return Reply(200, self.snapshot.render_json(purchase.latest), JSON)

    def _json223_wrapped(self, params: dict[str, str], query_string: str) -> Reply:
        purchase = self._purchase(params, "223-FZ")
        document = json.loads(self.snapshot.render_json(purchase.latest))
        return _json({"data": document})

    def _page223(self, params: dict[str, str], query_string: str) -> Reply:
        purchase = self._purchase(params, "223-FZ")
        return Reply(200, render_card_page(self.snapshot.listing(purchase)), HTML)

    def _page44(self, params: dict[str, str], slug: str) -> Reply:
        purchase = self._purchase44(params, slug)
        return Reply(200, render_card_page(self.snapshot.listing(purchase)), HTML)

    def _results_tab(self, params: dict[str, str], slug: str) -> Reply:
        purchase = self._purchase44(params, slug)
        protocol = self._protocol_of(purchase)
        page = results_tab_page(slug, purchase.reg_number, protocol, purchase.customer.name)
        return Reply(200, page, HTML)

    def _bid_list(self, params: dict[str, str], slug: str) -> Reply:
        purchase = self._purchase44(params, slug)
        protocol = self._protocol_of(purchase)
        if protocol is None or params.get("type") != PROTOCOL_TYPE:
            raise SnapshotError(f"{purchase.reg_number} has no protocol of type {params.get('type')!r}")
        page = bid_list_page(slug, protocol, purchase.title, ru_money(purchase.latest.nmck))
        return Reply(200, page, HTML)

    def _protocol_of(self, purchase: Purchase) -> ProtocolResult | None:
        """The auction's summary protocol once its review is over (the one the export service serves)."""
        found = results_of([purchase.latest.notice], now=self.snapshot.now, seed=self.snapshot.seed)
        return found[0] if found else None

    def _purchase44(self, params: dict[str, str], slug: str) -> Purchase:
        purchase = self._purchase(params, "44-FZ")
        if purchase.method.slug != slug:
            raise SnapshotError(
                f"registry number {purchase.reg_number} is a «{purchase.method.name}» card "
                f"(/{purchase.method.slug}/), not /{slug}/"
            )
        return purchase

    def _purchase(self, params: dict[str, str], law: str) -> Purchase:
        reg = params.get("regNumber", "").strip()
        if not reg:
            raise QueryError("regNumber is required")
        purchase = self.snapshot.purchase(reg)
        if purchase.law != law:
            raise SnapshotError(f"registry number {reg!r} is a {purchase.law} notice; this page serves {law}")
        return purchase

    def _control_get(self, path: str) -> Callable[[dict[str, str], str], Reply]:
        if path == "/_replay/stats":
            return lambda params, qs: _json(self.stats())
        if path == "/_replay/faults":
            return lambda params, qs: _json(self._fault_view())
        return lambda params, qs: _text(
            404, f"{path}: unknown control path (GET /_replay/stats, /_replay/faults)"
        )

    def _fault_view(self) -> dict[str, object]:
        return {
            "plan": self.faults.to_dict(),
            "spec": self.faults.to_spec(),
            "remaining": self.injector.remaining(),
        }

    def control_post(self, path: str, params: dict[str, str], body: bytes) -> Reply:
        if path == "/_replay/faults":
            try:
                self.set_faults(_plan_from_body(body))
            except FaultSpecError as exc:
                return _text(400, str(exc))
            return _json(self._fault_view())
        if path == "/_replay/reset-stats":
            self.reset_stats()
            return _json(self.stats())
        actions: dict[str, tuple[str, Callable[[int], list[Notice]]]] = {
            "/_replay/publish": ("published", self.publish),
            "/_replay/revise": ("revised", lambda n: self.revise(n, params.get("change", "deadline"))),
            "/_replay/cancel": ("cancelled", self.cancel),
        }
        if path in actions:
            kind, act = actions[path]
            return self._live_post(kind, act, params.get("count", "1"))
        return _text(
            404,
            f"{path}: unknown control path (POST /_replay/faults, /_replay/reset-stats, "
            "/_replay/publish, /_replay/revise, /_replay/cancel)",
        )

    @staticmethod
    def _live_post(kind: str, act: Callable[[int], list[Notice]], raw_count: str) -> Reply:
        """400 for a bad request, 409 when the snapshot has nothing left to act on."""
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_LIVE_COUNT:
            return _text(400, f"count={raw_count!r} must be a whole number from 1 to {MAX_LIVE_COUNT}")
        try:
            notices = act(int(raw_count))
        except ReplayServerError as exc:
            return _text(400, str(exc))
        except SnapshotError as exc:
            return _text(409, str(exc))
        return _json({kind: [n.reg_number for n in notices]})


def _plan_from_body(body: bytes) -> FaultPlan:
    text = body.decode("utf-8", errors="replace").strip()
    if not text.startswith(("{", '"')):
        return FaultPlan.parse(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FaultSpecError(f"fault plan body is not valid JSON: {exc}") from None
    if isinstance(data, str):
        return FaultPlan.parse(data)
    if isinstance(data, dict):
        return FaultPlan.from_mapping(data)
    raise FaultSpecError("fault plan body must be a spec string or a JSON object")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    replay: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request (a crawl killed on purpose) is normal here, not a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("replay client %s went away mid-request", client_address)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tenderwatch-replay"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection frees its thread after a minute
    # Headers and body leave in two writes; with Nagle's algorithm the body then waits for the
    # client's delayed ACK (40 ms on Linux) on every keep-alive answer, which no real site does.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        replay = self.server.replay
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        forced = params.pop("_fault", None)
        query_string = urlencode([p for p in pairs if p[0] != "_fault"]) if forced else url.query
        kind, handler = replay.route(url.path)
        if url.path.startswith(ARCHIVE_PATH):  # the export service's links: the token travels as a header
            kind, handler = "archive", self._archive
        if url.path in (
            REGISTER_SEARCH_PATH,
            REGISTER_FEED_PATH,
        ):  # the register wants a cookie and a browser
            kind, handler = "register", self._register
        if kind == "control":
            self._send(handler(params, query_string))
            return
        if forced is not None and forced not in FAULT_KINDS and forced != "503":
            reply, fault = _text(400, f"_fault={forced!r} is not one of {', '.join(FAULT_KINDS)}"), None
        else:
            fault = {"503": "5xx"}.get(forced, forced) if forced else replay.injector.draw(kind)
            self._answer(kind, fault, lambda: self._produce(handler, params, query_string))
            return
        replay.record(kind, reply.status, fault)
        self._send(reply)

    def _archive(self, params: dict[str, str], query_string: str) -> Reply:
        key = urlsplit(self.path).path[len(ARCHIVE_PATH) :]
        status, body = self.server.replay.export.archive(key, self.headers.get(TOKEN_HEADER))
        return Reply(status, body, ZIP if status == 200 else TEXT)

    def _register(self, params: dict[str, str], query_string: str) -> Reply:
        """The register of unfair suppliers: its search page hands out the session cookie; its feed
        answers a bare 404 without that cookie or without a browser's User-Agent, as the real one."""
        if urlsplit(self.path).path == REGISTER_SEARCH_PATH:
            return Reply(200, SEARCH_PAGE, HTML, (("Set-Cookie", f"{SESSION_COOKIE}=replay; Path=/"),))
        browser = "Mozilla/" in (self.headers.get("User-Agent") or "")
        if f"{SESSION_COOKIE}=" not in (self.headers.get("Cookie") or "") or not browser:
            return Reply(404, NOT_FOUND_PAGE, HTML)
        search = params.get("searchString", "").strip()
        today = self.server.replay.snapshot.now.astimezone(MOSCOW).date()
        rest = urlencode([(k, v) for k, v in parse_qsl(query_string) if k != "searchString"])
        return Reply(200, render_feed(search, rest, entries_for(search, today)), RSS)

    def _answer(self, kind: str, fault: str | None, produce: Callable[[], Reply]) -> None:
        """The faulted or produced reply of a counted request, recorded and sent."""
        replay = self.server.replay
        reply = self._faulted(fault, replay.injector.plan) or produce()
        if fault == "truncate":
            reply.body = reply.body[: int(len(reply.body) * replay.injector.plan.cut)]
        replay.record(kind, reply.status, fault, self.path)
        if replay.latency:
            time.sleep(replay.latency)
        if fault == "slow":
            time.sleep(replay.injector.plan.delay)
        self._send(reply)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        replay = self.server.replay
        if url.path == SERVICE_PATH:
            answer = replay.export.answer
            self._answer(
                "export", replay.injector.draw("export"), lambda: Reply(*answer(body, replay.url), SOAP_XML)
            )
            return
        if not url.path.startswith("/_replay/"):
            self._send(
                _text(
                    405, f"{url.path}: the EIS replay accepts POST only on the export service and /_replay/"
                )
            )
            return
        self._send(self.server.replay.control_post(url.path, dict(parse_qsl(url.query)), body))

    @staticmethod
    def _faulted(fault: str | None, plan: FaultPlan) -> Reply | None:
        if fault == "5xx":
            return Reply(503, UNAVAILABLE_PAGE, HTML)
        if fault == "429":
            return Reply(429, b"Too Many Requests\n", TEXT, (("Retry-After", str(plan.retry_after)),))
        if fault in ("403", "434"):
            return Reply(int(fault), BLOCKED_PAGE, HTML)
        if fault == "maintenance":
            return Reply(200, MAINTENANCE_PAGE, HTML)
        if fault == "captcha":
            return Reply(200, CAPTCHA_PAGE, HTML)
        return None

    @staticmethod
    def _produce(handler: Callable[[dict[str, str], str], Reply], params: dict[str, str], qs: str) -> Reply:
        try:
            return handler(params, qs)
        except QueryError as exc:
            return _text(400, str(exc))
        except SnapshotError as exc:
            return _text(404, str(exc))

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (a timeout test against a slow fault): nothing to answer.
            log.debug("replay client %s went away before the %d reply", self.address_string(), reply.status)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def start_replay(
    snapshot: Snapshot,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | str | None = None,
    publish_rate: float | None = None,
    tls: ssl.SSLContext | None = None,
    latency: float = 0.0,
) -> ReplayServer:
    """Serve ``snapshot`` on a background thread; ``port=0`` picks a free port (see ``.url``).

    ``faults`` is a ``FaultPlan`` or a spec string (grammar in ``crawler.replay.faults``);
    ``publish_rate`` is new notices per minute; ``tls`` a server context to serve https with;
    ``latency`` seconds each answer waits (the benchmarks' stand-in for the network).
    """
    return ReplayServer(
        snapshot,
        host=host,
        port=port,
        faults=FaultPlan.coerce(faults),
        publish_rate=publish_rate,
        tls=tls,
        latency=latency,
    )


__all__ = ["FaultPlan", "FaultSpecError", "ReplayServer", "ReplayServerError", "start_replay"]
