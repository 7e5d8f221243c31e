"""``tenderwatch match``: run new and changed notices through the profiles and store the verdicts."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import typer

from data.errors import StoreError
from tenderwatch.clikit import DATE_HINT
from tenderwatch.clikit import console
from tenderwatch.clikit import err_console
from tenderwatch.clikit import fail
from tenderwatch.clikit import parse_moment
from tenderwatch.clikit import settings_of
from tenderwatch.clikit import warn_unrouted
from tenderwatch.commands.profiles import load_profiles
from tenderwatch.commands.storage import open_database
from tenderwatch.matching import run_match

SINCE_HELP = f"Notices changed at or after this moment ({DATE_HINT}; default: since the last run)."


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match(
        ctx: typer.Context,
        since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
        rematch_all: bool = typer.Option(False, "--all", help="Every stored notice, whatever was seen."),
    ) -> None:
        """Match new and changed notices against the profiles; each verdict is stored once."""
        if since and rematch_all:
            fail("--since and --all exclude each other")
        profiles = load_profiles(ctx)
        warn_unrouted(settings_of(ctx))
        engine, _ = open_database(settings_of(ctx))
        try:
            report = run_match(
                engine,
                profiles,
                now=datetime.now(UTC),
                since=parse_moment(since, "--since"),
                rematch_all=rematch_all,
                batch_size=settings_of(ctx).database.batch_size,
                near_miss_threshold=settings_of(ctx).matching.threshold,
            )
        except StoreError as exc:
            fail(f"match run failed: {exc}", code=1)
        finally:
            engine.dispose()
        for error in report.profile_errors:
            err_console.print(f"[yellow]skipped stored profile:[/] {error}", highlight=False)
        console.print(report.summary(), highlight=False, soft_wrap=True)
