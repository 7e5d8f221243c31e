"""Run one crawl in a subprocess (``python -m scrapy crawl <spider>``) and report its crawl-run row.

A subprocess per crawl keeps the reactor, memory growth and any crash out of the calling process
(the CLI or the scheduler). The runner validates the arguments first (a typo fails before anything
starts), opens the crawl-run row itself and hands its id to the crawl, shows progress from the
crawl's log lines, enforces a hard timeout, and closes the row as ``failed`` when the crawl process
died before recording its outcome (killed, crashed, timed out). The process is forked by
``crawler.launcher``, which has the crawler imported already, or started as a new interpreter
when there is no launcher: the same ``scrapy crawl`` either way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from crawler.certs import CONTEXT_FACTORY
from crawler.certs import SHIPPED_CA_BUNDLE
from crawler.database import CrawlDatabase
from crawler.database import read_run
from crawler.errors import CrawlProcessError
from crawler.errors import CrawlSettingsError
from crawler.errors import SourcePaused
from crawler.errors import SpiderArgumentError
from crawler.export_service import TOKEN_ENV
from crawler.extensions import RUN_ID_SETTING
from crawler.extensions import CrawlProgress
from crawler.frontier import FRONTIER_SOURCES
from crawler.frontier import FRONTIER_URL_ENV
from crawler.frontier import SCHEDULER as FRONTIER_SCHEDULER
from crawler.frontier import connect as connect_frontier
from crawler.frontier.politeness import GATE_DELAY_SETTING
from crawler.launcher import CrawlProcess
from crawler.launcher import start_crawl
from crawler.middlewares import BROWSER_HEADERS
from crawler.middlewares import BROWSER_USER_AGENT
from crawler.middlewares import PROXY_ENV
from crawler.spiders import source_names
from crawler.spiders import sources_taking
from crawler.spiders import spider_classes
from crawler.spiders.base import BLOCK_KINDS
from crawler.spiders.base import check_spider_arguments
from crawler.spiders.eis import search_filters
from crawler.spiders.eis_export import EisExportSpider
from crawler.spiders.eis_export import token_missing
from data.notice import MOSCOW

log = logging.getLogger(__name__)

SOURCES = source_names()
"""Every source a crawl can name: one per spider module (``crawler.spiders.source_names``)."""
KILL_GRACE_SECONDS = 10.0
"""After a timeout or Ctrl-C, SIGTERM lets Scrapy close the spider and record the run; then SIGKILL."""


@dataclass(frozen=True)
class CrawlConfig:
    """How to crawl: where, how politely, where to store. Mirrors ``[crawler]`` in settings.toml."""

    database_url: str
    base_url: str = "https://zakupki.gov.ru"
    user_agent: str | None = None
    ca_bundle: str | None = None
    concurrent_requests: int = 1
    download_delay: float = 3.5
    autothrottle: bool = True
    overlap_minutes: float = 60
    max_pages: int = 50
    error_rate_partial: float = 0.05
    error_rate_failed: float = 0.5
    timeout_seconds: float = 1800
    search: Mapping[str, Any] = field(default_factory=dict)
    block_pause_minutes: float = 60
    """After the site blocked a crawl (403, 434, captcha), crawls of that source wait this long."""
    max_requests: int | None = 3000
    """A crawl asks for at most this many pages and cards (retries not counted); None: no budget."""
    proxy: str | None = None
    """An http(s) proxy URL for every request (the EIS answers Russian addresses only)."""
    browser_headers: bool = False
    """Send a browser's User-Agent and Accept headers instead of ``user_agent``."""
    card223_path: str | None = None
    """The 223-FZ card endpoint below the base URL; None: the spider's default (``CARD_PATHS``)."""
    batch_size: int = 100
    follow_days: int = 45
    """How far back ``eis_follow`` looks for notices to follow (days of publication)."""
    export_url: str | None = None
    """The export service's address; None: the real one (``crawler.export_service.SERVICE_URL``)."""
    export_token: str | None = None
    """The export service's token: in the crawl's environment only, like the proxy."""
    export_regions: tuple[str, ...] | list[str] = ()
    export_days: int = 3
    frontier_url: str | None = None
    """A Redis URL: the search crawls join a frontier shared with other workers (``crawler.frontier``);
    in the crawl's environment only, like the proxy (it may carry a password)."""
    company_inn: str | None = None
    """Our own company's INN, looked up first in the register of unfair suppliers (``eis_rnp``)."""
    extra_settings: Mapping[str, Any] = field(default_factory=dict)
    """Further Scrapy settings (``-s``), e.g. retry counts in tests."""

    def for_source(self, source: str) -> CrawlConfig:
        """The configuration a crawl of ``source`` runs with: a shared frontier takes the search
        crawls only (the others ask a few dozen requests a day and run alone)."""
        if self.frontier_url and source not in FRONTIER_SOURCES:
            return replace(self, frontier_url=None)
        return self

    def trusted_bundle(self) -> str | None:
        """The CA bundle added to the system roots: the configured one, else for an https site the
        shipped Минцифры bundle (zakupki.gov.ru's chain ends there); none for plain http."""
        if self.ca_bundle:
            return self.ca_bundle
        return str(SHIPPED_CA_BUNDLE) if self.base_url.startswith("https://") else None

    def scrapy_settings(self) -> dict[str, Any]:
        """The ``-s`` settings of the crawl. Never the database URL: it may hold a password, and a
        command line is visible to every user in ``ps``; it travels in the environment instead."""
        settings: dict[str, Any] = {
            "TENDERWATCH_BASE_URL": self.base_url,
            "TENDERWATCH_SEARCH": json.dumps(dict(self.search), ensure_ascii=False, default=str),
            "TENDERWATCH_OVERLAP_MINUTES": self.overlap_minutes,
            "TENDERWATCH_MAX_PAGES": self.max_pages,
            "TENDERWATCH_BATCH_SIZE": self.batch_size,
            "TENDERWATCH_FOLLOW_DAYS": self.follow_days,
            "TENDERWATCH_ERROR_RATE_PARTIAL": self.error_rate_partial,
            "TENDERWATCH_ERROR_RATE_FAILED": self.error_rate_failed,
            "CONCURRENT_REQUESTS": self.concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrent_requests,
            "DOWNLOAD_DELAY": self.download_delay,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
        }
        if self.user_agent:
            settings["USER_AGENT"] = self.user_agent
        if self.card223_path:
            settings["TENDERWATCH_CARD223_PATH"] = self.card223_path
        if self.export_url:
            settings["TENDERWATCH_EXPORT_URL"] = self.export_url
        if self.export_regions:
            settings["TENDERWATCH_EXPORT_REGIONS"] = ",".join(self.export_regions)
        settings["TENDERWATCH_EXPORT_DAYS"] = self.export_days
        if self.company_inn:
            settings["TENDERWATCH_COMPANY_INN"] = self.company_inn
        # Always sent: 0 (or None) means no budget, and left out the crawler's own default of 3,000
        # would apply instead (`max_requests = 0` in settings.toml once meant a budget of 3,000).
        settings["TENDERWATCH_MAX_REQUESTS"] = self.max_requests or 0
        if self.frontier_url:
            # The site's politeness moves from each process to the shared gate: the same spacing
            # for all workers together (AutoThrottle's per-process delay would stack on it).
            settings["SCHEDULER"] = FRONTIER_SCHEDULER
            settings[GATE_DELAY_SETTING] = self.download_delay
            settings["DOWNLOAD_DELAY"] = 0
            settings["AUTOTHROTTLE_ENABLED"] = False
        if self.browser_headers:
            settings["USER_AGENT"] = BROWSER_USER_AGENT
            settings["DEFAULT_REQUEST_HEADERS"] = json.dumps(BROWSER_HEADERS)
        bundle = self.trusted_bundle()
        if bundle:
            settings["TENDERWATCH_CA_BUNDLE"] = bundle
            settings["DOWNLOADER_CLIENTCONTEXTFACTORY"] = CONTEXT_FACTORY
        settings.update(self.extra_settings)
        return settings


@dataclass
class CrawlSummary:
    """The crawl-run row as the crawl left it, plus what only the runner knows."""

    run_id: int
    source: str
    outcome: str
    reason: str | None
    requests: int
    pages: int
    new: int
    changed: int
    unchanged: int
    errors: int
    errors_by_kind: dict[str, int]
    returncode: int | None
    seconds: float
    peak_rss_kb: int | None = None
    log_tail: list[str] = field(default_factory=list)
    listing_complete: bool | None = None
    """False when entries were left unlisted (a page failed or was cut off, max_pages hit)."""

    def counts_line(self) -> str:
        """The same shape as ``tenderwatch import``: ``N new, M changed, K unchanged, E errors``."""
        return f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.errors} errors"

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def validate(source: str, config: CrawlConfig, arguments: Mapping[str, Any]) -> dict[str, str]:
    """The spider arguments as ``-a`` strings, or a ``SpiderArgumentError``/``CrawlSettingsError``."""
    if source not in SOURCES:
        raise SpiderArgumentError(f"unknown source {source!r} (known: {', '.join(SOURCES)})")
    checked = check_spider_arguments(**arguments)
    takers = sources_taking("reg_numbers")
    if checked.get("reg_numbers") and source not in takers:
        raise SpiderArgumentError(f"registry numbers are looked up by {', '.join(takers)}, not by {source}")
    search_filters(config.search)
    if not config.base_url.startswith(("http://", "https://")):
        raise CrawlSettingsError(f"crawler.base_url={config.base_url!r}: not an http(s) URL")
    if config.ca_bundle:
        _check_ca_bundle(config.ca_bundle)
    if config.frontier_url:  # before a process starts: inside Scrapy it would be one more failed run
        connect_frontier(config.frontier_url)
    accepted = spider_classes()[source].arguments_accepted
    given = sorted(name for name, value in checked.items() if value is not None and name not in accepted)
    if given:
        raise SpiderArgumentError(f"{source} does not take {given[0]} (it takes {', '.join(accepted)})")
    if issubclass(spider_classes()[source], EisExportSpider) and not (
        config.export_token or os.environ.get(TOKEN_ENV)
    ):
        raise token_missing(source)
    return {name: _argument(value) for name, value in checked.items() if value is not None}


def _argument(value: Any) -> str:
    """A checked spider argument as its ``-a`` string."""
    if isinstance(value, tuple):
        return ",".join(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _check_not_paused(database: CrawlDatabase, source: str, config: CrawlConfig) -> None:
    """The circuit breaker: after the site blocked a crawl, the next ones wait out the pause
    rather than ask again at once (a block that is hammered on tends to grow longer)."""
    last = database.last_finished_run(source)
    # Read from the run's error counts, not its reason's wording: a block error always stops a crawl.
    if last is None or last.finished_at is None or not BLOCK_KINDS.intersection(last.errors_by_kind):
        return
    until = last.finished_at + timedelta(minutes=config.block_pause_minutes)
    if datetime.now(UTC) < until:
        raise SourcePaused(
            f"{source} is paused until {until.astimezone(MOSCOW):%d.%m.%Y %H:%M} (Moscow): the site "
            f"blocked crawl run {last.id} ({last.reason}); crawler.block_pause_minutes="
            f"{config.block_pause_minutes:g}"
        )


def _check_ca_bundle(path: str) -> None:
    """Checked here because inside the crawl Scrapy swallows the TLS setup error: every request
    then fails as ``NotSupported`` and the run reads "no listing page could be read"."""
    if not os.path.isfile(path):
        raise CrawlSettingsError(f"crawler.ca_bundle={path!r}: no such file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise CrawlSettingsError(f"crawler.ca_bundle={path!r}: cannot be read ({exc.strerror})") from None


def crawl_command(source: str, arguments: Mapping[str, str], config: CrawlConfig, run_id: int) -> list[str]:
    """The subprocess command line: ``python -m scrapy crawl <source> -a k=v ... -s K=V ...``."""
    command = [sys.executable, "-m", "scrapy", "crawl", source]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**config.scrapy_settings(), RUN_ID_SETTING: run_id}.items():
        command += ["-s", f"{name}={value}"]
    return command


BOT_TOKEN_ENV = "TENDERWATCH_TELEGRAM__TOKEN"


def crawl_environment(config: CrawlConfig) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(BOT_TOKEN_ENV, None)  # a crawl never talks to Telegram: the bot's token stays with the bot
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"  # found without scrapy.cfg, from any directory
    env["TENDERWATCH_DATABASE__URL"] = config.database_url
    if config.proxy:  # like the database URL, it may hold a password: never on the command line
        env[PROXY_ENV] = config.proxy
    if config.export_token:
        env[TOKEN_ENV] = config.export_token
    env.pop(FRONTIER_URL_ENV, None)
    if config.frontier_url:
        env[FRONTIER_URL_ENV] = config.frontier_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


_GRACEFUL_STOP = re.compile(r"Received (SIG\w+), shutting down gracefully")
"""What Scrapy logs when a signal asks it to stop; seen in the log of a run stopped before it opened."""
_LOGGED_ERROR = re.compile(r"\] (?:ERROR|CRITICAL):|^Traceback|^\w+(?:\.\w+)*(?:Error|Exception): ")
"""A line the crawl logged as an error, or an exception line (not any line that merely says "Error")."""


class StopRequested(KeyboardInterrupt):
    """Raised by a signal handler (the CLI's SIGTERM) to stop a crawl the way Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class CrawlInterrupted(KeyboardInterrupt):
    """Ctrl-C or a stop signal ended the crawl: its process group was stopped and its run closed.

    A ``KeyboardInterrupt``, so a caller that does not look for it still stops as on Ctrl-C.
    """

    def __init__(self, summary: CrawlSummary, signum: int) -> None:
        super().__init__(f"crawl run {summary.run_id} stopped by {signal.Signals(signum).name}")
        self.summary = summary
        self.signum = signum


@dataclass
class _Exit:
    """How the crawl process ended, as the runner saw it."""

    returncode: int | None
    peak_rss_kb: int | None
    tail: deque[str]
    timed_out: bool = False
    stopped_by: int | None = None
    progress: CrawlProgress | None = None
    """The last progress line the crawl logged: its figures when it died without closing its run."""


def run_crawl(
    source: str,
    *,
    config: CrawlConfig,
    from_date: str | None = None,
    until_date: str | None = None,
    max_pages: int | str | None = None,
    sample: int | str | None = None,
    reg_numbers: str | None = None,
    on_progress: Callable[[CrawlProgress], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CrawlSummary:
    """Crawl ``source`` once in a subprocess and return its recorded crawl run.

    ``on_progress`` receives the crawl's progress lines as they come; ``on_start`` the process id.
    Ctrl-C (or a ``StopRequested`` from a signal handler) stops the crawl's whole process group,
    closes the run and raises ``CrawlInterrupted`` with the summary: the crawl runs in its own
    session, so nothing else would ever stop it.
    """
    config = config.for_source(source)
    arguments = validate(
        source,
        config,
        {
            "from_date": from_date,
            "until_date": until_date,
            "max_pages": max_pages,
            "sample": sample,
            "reg_numbers": reg_numbers,
        },
    )
    database = CrawlDatabase.from_url(config.database_url)
    try:
        database.close_abandoned_runs()  # runs whose processes died with nobody left to close them
        _check_not_paused(database, source, config)
        run_id = database.start_run(source=source, arguments=arguments)
        started = time.monotonic()
        try:
            ended = _run_subprocess(
                crawl_command(source, arguments, config, run_id), config, on_progress, on_start
            )
        except KeyboardInterrupt:  # before the crawl process existed: nothing to stop, but the row
            if (row := read_run(database, run_id)) is not None and row.outcome == "running":
                database.finish_run(
                    run_id=run_id, outcome="partial", reason="stopped before the crawl process started"
                )
            raise
        seconds = time.monotonic() - started
        _close_abandoned_run(database, run_id, ended, config.timeout_seconds)
        run = read_run(database, run_id)
    finally:
        database.close()
    if run is None:
        raise CrawlProcessError(f"crawl run {run_id} of {source} vanished from the database")
    summary = CrawlSummary(
        run_id=run_id,
        source=source,
        outcome=run.outcome,
        reason=run.reason,
        requests=run.requests,
        pages=run.pages,
        new=run.notices_new,
        changed=run.notices_changed,
        unchanged=run.notices_unchanged,
        errors=run.errors,
        errors_by_kind=dict(run.errors_by_kind),
        listing_complete=run.listing_complete,
        returncode=ended.returncode,
        seconds=seconds,
        peak_rss_kb=ended.peak_rss_kb,
        log_tail=list(ended.tail),
    )
    if ended.stopped_by is not None:
        raise CrawlInterrupted(summary, ended.stopped_by)
    return summary


def _run_subprocess(
    command: list[str],
    config: CrawlConfig,
    on_progress: Callable[[CrawlProgress], None] | None,
    on_start: Callable[[int], None] | None,
) -> _Exit:
    try:
        proc = start_crawl(command, crawl_environment(config))
    except OSError as exc:
        raise CrawlProcessError(f"could not start the crawl ({command[0]}): {exc}") from None
    ended = _Exit(None, None, deque(maxlen=40))
    reader = threading.Thread(target=_read_log, args=(proc, ended, on_progress), daemon=True)
    reader.start()
    try:
        if on_start is not None:
            on_start(proc.pid)
        ended.returncode, ended.peak_rss_kb = _wait(proc, config.timeout_seconds)
    except KeyboardInterrupt as exc:
        ended.stopped_by = getattr(exc, "signum", signal.SIGINT)
        log.warning("%s: stopping the crawl (pid %d)", signal.Signals(ended.stopped_by).name, proc.pid)
        ended.returncode, ended.peak_rss_kb = _stop(proc)
        reader.join(timeout=5)
        return ended
    ended.timed_out = ended.returncode is None
    if ended.timed_out:
        log.warning("crawl exceeded %s s; stopping it", config.timeout_seconds)
        ended.returncode, ended.peak_rss_kb = _stop(proc)
    reader.join(timeout=5)
    return ended


def _stop(proc: CrawlProcess) -> tuple[int | None, int | None]:
    """SIGTERM lets Scrapy close the spider and record the run; SIGKILL after the grace period,
    or at once on a second Ctrl-C (the operator does not want to wait)."""
    _signal_group(proc, signal.SIGTERM)
    try:
        returncode, peak = _wait(proc, KILL_GRACE_SECONDS)
    except KeyboardInterrupt:
        returncode, peak = None, None
    if returncode is None:
        log.warning("crawl (pid %d) still running; killing it", proc.pid)
        _signal_group(proc, signal.SIGKILL)
        returncode, peak = _wait(proc, None)
    return returncode, peak


def _wait(proc: CrawlProcess, timeout: float | None) -> tuple[int | None, int | None]:
    """(exit code, peak memory in KiB) of the crawl, or (None, None) if it still runs at ``timeout``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ended = proc.reap()
        if ended is not None:
            return ended
        if deadline is not None and time.monotonic() >= deadline:
            return None, None
        time.sleep(0.05)


def _signal_group(proc: CrawlProcess, sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _read_log(proc: CrawlProcess, ended: _Exit, on_progress: Callable[[CrawlProgress], None] | None) -> None:
    for raw in proc.stderr:
        line = raw.decode("utf-8", errors="replace").rstrip()
        ended.tail.append(line)
        progress = CrawlProgress.from_line(line)
        if progress is not None:
            ended.progress = progress
            if on_progress is not None:
                on_progress(ended.progress)


def _graceful_stop(tail: deque[str]) -> str | None:
    return next((m.group(1) for line in tail if (m := _GRACEFUL_STOP.search(line))), None)


def _close_abandoned_run(database: CrawlDatabase, run_id: int, ended: _Exit, timeout: float) -> None:
    """Close a run the crawl process never closed: it died, was killed, or was asked to stop.

    A SIGTERM/SIGINT is somebody's deliberate stop (a service shutting down, an operator), not a
    fault of the crawl: the run is ``partial`` (what it stored is kept; the next crawl resumes from
    the high-water mark, which did not move). A timeout, SIGKILL or a silent exit is ``failed``.
    The notice counts stay what the row says (each stored batch counted itself in); requests and
    pages come from the last progress line when the row heard less.
    """
    run = read_run(database, run_id)
    if run is None or run.outcome != "running":
        return
    returncode, tail, timed_out = ended.returncode, ended.tail, ended.timed_out
    outcome = "failed"
    if timed_out:
        why = f"crawl timed out after {timeout:g} s and was killed"
    elif returncode is not None and -returncode in (signal.SIGTERM, signal.SIGINT):
        outcome = "partial"
        why = f"crawl process stopped by {signal.Signals(-returncode).name} before it finished"
    elif returncode is not None and returncode < 0:
        why = f"crawl process killed by signal {signal.Signals(-returncode).name}"
    elif returncode == 0 and (stop := _graceful_stop(tail)):  # stopped before the spider ever closed
        outcome = "partial"
        why = f"crawl process stopped by {stop} before it finished"
    else:
        why = f"crawl process exited with code {returncode} before recording its outcome"
    last_error = next((line for line in reversed(tail) if _LOGGED_ERROR.search(line)), None)
    if last_error and outcome == "failed":
        why += f": {last_error.strip()}"
    seen = ended.progress or CrawlProgress()
    database.finish_run(
        run_id=run_id,
        outcome=outcome,
        reason=why,
        requests=max(run.requests, seen.requests),
        pages=max(run.pages, seen.pages),
        listing_complete=False,
    )
    if outcome == "failed":
        log.error("crawl run %d failed: %s; the end of its log:\n%s", run_id, why, "\n".join(tail))
    else:
        log.warning("crawl run %d: %s", run_id, why)
