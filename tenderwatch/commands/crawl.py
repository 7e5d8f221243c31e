"""``tenderwatch crawl [SOURCE]``: one crawl in a subprocess, with progress and the crawl-run summary."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from collections.abc import Iterator

import typer
from rich.live import Live
from rich.text import Text

from crawler.errors import CrawlerError
from crawler.errors import CrawlSettingsError
from crawler.errors import SpiderArgumentError
from crawler.extensions import CrawlProgress
from crawler.runner import SOURCES
from crawler.runner import CrawlInterrupted
from crawler.runner import CrawlSummary
from crawler.runner import StopRequested
from crawler.runner import run_crawl
from data.errors import StoreError
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import require_database
from tenderwatch.clikit import settings_of
from tenderwatch.crawling import crawl_config

EXIT_CODES = {"ok": 0, "partial": 3, "failed": 1}
"""2 is a usage error (bad argument or setting), as everywhere in the CLI; 128 + N after signal N."""
PLAIN_PROGRESS_SECONDS = 10.0
"""Without a terminal (cron, CI) a progress line this often: enough to see a crawl is alive, not a flood."""


def describe(summary: CrawlSummary) -> str:
    lines = [
        f"crawl run {summary.run_id} of {summary.source}: {summary.counts_line()}",
        f"{summary.requests} requests, {summary.pages} pages, {summary.seconds:.1f} s",
        f"outcome: {summary.outcome}" + (f" ({summary.reason})" if summary.reason else ""),
    ]
    if summary.errors_by_kind:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.errors_by_kind.items()))
        lines.append(f"errors by kind: {kinds}")
    return "\n".join(lines)


def _progress_line(p: CrawlProgress) -> str:
    return "crawling: " + p.line().removeprefix("progress: ")


@contextlib.contextmanager
def _progress_display() -> Iterator[Callable[[CrawlProgress], None]]:
    """A live line on a terminal; elsewhere a plain line every ``PLAIN_PROGRESS_SECONDS``."""
    if console.is_terminal:
        with Live(Text("starting the crawl..."), console=console, transient=True) as live:
            yield lambda p: live.update(Text(_progress_line(p)))
        return
    last = time.monotonic()

    def show(p: CrawlProgress) -> None:
        nonlocal last
        if time.monotonic() - last >= PLAIN_PROGRESS_SECONDS:
            last = time.monotonic()
            console.print(_progress_line(p), highlight=False, soft_wrap=True, markup=False)

    yield show


def _raise_stop(signum: int, frame: object) -> None:
    raise StopRequested(signum)


@contextlib.contextmanager
def _sigterm_stops_the_crawl() -> Iterator[None]:
    """SIGTERM (``kill``, systemd, a CI timeout) stops the crawl like Ctrl-C; Python would just die,
    leaving the crawl subprocess, which runs in its own session, crawling on alone."""
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(app: typer.Typer) -> None:
    @app.command("crawl")
    def crawl(
        ctx: typer.Context,
        source: str = typer.Argument("eis", help=f"What to crawl: {', '.join(SOURCES)}."),
        from_date: str | None = typer.Option(
            None, "--from-date", help="Only notices updated on or after this day (dd.mm.yyyy or yyyy-mm-dd)."
        ),
        until_date: str | None = typer.Option(
            None, "--until-date", help="Only notices updated on or before this day."
        ),
        max_pages: int | None = typer.Option(
            None, "--max-pages", help="At most this many search pages (default: crawler.max_pages)."
        ),
        sample: int | None = typer.Option(None, "--sample", help="Fetch at most N cards (a quick look)."),
        reg_number: list[str] | None = typer.Option(
            None,
            "--reg-number",
            help="Fetch this notice (19 digits: 44-FZ, 11: 223-FZ) by its registry number; repeat for "
            "more. The default source looks them up with eis_follow; eis_export asks the export service for "
            "every document of each purchase (protocols and contracts too).",
        ),
    ) -> None:
        """Crawl a source once and print what was stored.

        Exit code 0 when the crawl outcome is ok, 3 when partial, 1 when failed, 2 on bad input,
        130 after Ctrl-C and 143 after SIGTERM (the crawl is stopped and its run recorded first).
        """
        settings = settings_of(ctx)
        require_database(settings)
        config = crawl_config(settings)
        if reg_number and source == "eis":  # the default source: a lookup by number is eis_follow's
            source = "eis_follow"
        try:
            with _sigterm_stops_the_crawl(), _progress_display() as on_progress:
                summary = run_crawl(
                    source,
                    config=config,
                    from_date=from_date,
                    until_date=until_date,
                    max_pages=max_pages,
                    sample=sample,
                    reg_numbers=",".join(reg_number) if reg_number else None,
                    on_progress=on_progress,
                )
        except CrawlInterrupted as stopped:
            console.print(describe(stopped.summary), highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(128 + stopped.signum) from None
        except KeyboardInterrupt as exc:  # before the crawl started: nothing to report
            raise typer.Exit(128 + getattr(exc, "signum", signal.SIGINT)) from None
        except (CrawlerError, StoreError) as exc:
            fail(str(exc), code=2 if isinstance(exc, SpiderArgumentError | CrawlSettingsError) else 1)
        console.print(describe(summary), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(EXIT_CODES.get(summary.outcome, 1))
