"""``tenderwatch crawl [SOURCE]``: one crawl in a subprocess, with progress and the crawl-run summary."""

from __future__ import annotations

import typer
from rich.live import Live
from rich.text import Text

from crawler.errors import CrawlerError, CrawlSettingsError, SpiderArgumentError
from crawler.runner import SOURCES, CrawlConfig, CrawlProgress, CrawlSummary, run_crawl
from data.errors import StoreError
from tenderwatch.clikit import console, fail, settings_of
from tenderwatch.config import Settings

EXIT_CODES = {"ok": 0, "partial": 3, "failed": 1}
"""2 is a usage error (bad argument or setting), as everywhere in the CLI."""


def crawl_config(settings: Settings) -> CrawlConfig:
    """The runner's configuration from ``[crawler]`` and ``[database]``."""
    c = settings.crawler
    return CrawlConfig(
        database_url=settings.database.url,
        base_url=c.base_url,
        user_agent=c.user_agent,
        ca_bundle=c.ca_bundle,
        concurrent_requests=c.concurrent_requests,
        download_delay=c.download_delay,
        autothrottle=c.autothrottle,
        overlap_minutes=c.overlap_minutes,
        max_pages=c.max_pages,
        error_rate_partial=c.error_rate_partial,
        error_rate_failed=c.error_rate_failed,
        timeout_seconds=c.timeout_seconds,
        search=c.search,
        batch_size=min(settings.database.batch_size, 100),
    )


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


def _progress_text(p: CrawlProgress) -> Text:
    return Text(
        f"crawling: {p.requests} requests, {p.pages} pages, {p.cards} cards; "
        f"{p.new} new, {p.changed} changed, {p.unchanged} unchanged, {p.errors} errors"
    )


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
    ) -> None:
        """Crawl a source once and print what was stored.

        Exit code 0 when the crawl outcome is ok, 3 when partial, 1 when failed, 2 on bad input.
        """
        config = crawl_config(settings_of(ctx))
        live = Live(Text("starting the crawl..."), console=console, transient=True)
        try:
            with live:
                summary = run_crawl(
                    source,
                    config=config,
                    from_date=from_date,
                    until_date=until_date,
                    max_pages=max_pages,
                    sample=sample,
                    on_progress=lambda p: live.update(_progress_text(p)),
                )
        except (CrawlerError, StoreError) as exc:
            fail(str(exc), code=2 if isinstance(exc, SpiderArgumentError | CrawlSettingsError) else 1)
        console.print(describe(summary), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(EXIT_CODES.get(summary.outcome, 1))
