"""``tenderwatch match``: run new and changed notices through the profiles and store the verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from data.errors import StoreError
from data.notice import MOSCOW
from tenderwatch.clikit import console, err_console, fail, settings_of, warn_unrouted
from tenderwatch.commands.profiles import load_profiles
from tenderwatch.commands.storage import open_database
from tenderwatch.matching import run_match


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r}: not an ISO date or datetime (2025-03-01 or 2025-03-01T09:00+03:00)")
    return moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)


SINCE_HELP = "Notices changed at or after this moment (ISO; default: since the last run)."


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
                since=_since(since),
                rematch_all=rematch_all,
                batch_size=settings_of(ctx).database.batch_size,
            )
        except StoreError as exc:
            fail(f"match run failed: {exc}", code=1)
        finally:
            engine.dispose()
        for error in report.profile_errors:
            err_console.print(f"[yellow]skipped stored profile:[/] {error}", highlight=False)
        console.print(report.summary(), highlight=False, soft_wrap=True)
