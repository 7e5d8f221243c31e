"""``tenderwatch serve [--for SECONDS]``: scheduled crawls, matching and alerts in one process."""

from __future__ import annotations

import asyncio

import typer

from tenderwatch.clikit import fail
from tenderwatch.clikit import require_database
from tenderwatch.clikit import say
from tenderwatch.clikit import settings_of
from tenderwatch.clikit import warn_unrouted
from tenderwatch.service import ServiceError
from tenderwatch.service import serve


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        ctx: typer.Context,
        for_seconds: float | None = typer.Option(
            None, "--for", min=1, help="Stop by itself after this many seconds (default: run until stopped)."
        ),
    ) -> None:
        """Crawl every source on schedule, match, and alert (Telegram, or the console without a token).

        Stops cleanly on Ctrl-C or SIGTERM: the running crawl is terminated and unsent alerts
        stay queued for the next start. One serving process per bot token.
        """
        settings = settings_of(ctx)
        require_database(settings)
        warn_unrouted(settings)
        try:
            asyncio.run(serve(settings, duration=for_seconds, announce=say))
        except ServiceError as exc:
            fail(str(exc), code=1)
