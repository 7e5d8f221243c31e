"""``tenderwatch search``: the stored open notices a query finds, with the profile filters as options."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal

import typer

from bidder.profiles import ProfileError
from bidder.search import DEFAULT_LIMIT
from bidder.search import SEARCH_PROFILE
from bidder.search import SearchRow
from bidder.search import query_profile
from bidder.search import search_rows
from tenderwatch.clikit import fail
from tenderwatch.commands.report import ReportOutput
from tenderwatch.commands.report import run_report
from tenderwatch.commands.report import with_output_options


def register(app: typer.Typer) -> None:
    @app.command("search")
    @with_output_options
    def search_command(
        ctx: typer.Context,
        output: ReportOutput,
        query: str = typer.Argument(
            "", help='Words or "quoted phrases", any of which may match (with morphology); -word excludes.'
        ),
        region: list[str] = typer.Option([], "--region", help="Customer or delivery region, code or name."),
        okpd2: list[str] = typer.Option([], "--okpd2", help="OKPD2 code or prefix (repeatable)."),
        price_min: Decimal | None = typer.Option(None, "--price-min", help="NMCK at least, rubles."),
        price_max: Decimal | None = typer.Option(None, "--price-max", help="NMCK at most, rubles."),
        law: list[str] = typer.Option([], "--law", help="44-FZ or 223-FZ (repeatable)."),
        kind: list[str] = typer.Option(
            [], "--kind", help="auction, quotation, competition, ... (repeatable)."
        ),
        min_days_left: int | None = typer.Option(
            None, "--min-days-left", help="At least N full days to bid."
        ),
        limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, max=1000, help="At most this many hits."),
    ) -> None:
        """Search the stored open notices as a profile would match them: best match, then soonest deadline.

        Example: tenderwatch search 'ноутбук "системный блок" -ремонт' --region 77 --price-max 3000000
        """
        filters = {
            "regions": region,
            "okpd2": okpd2,
            "price_min": price_min,
            "price_max": price_max,
            "laws": law,
            "kinds": kind,
            "min_days_left": min_days_left,
        }
        try:
            profile = query_profile(query, filters)
        except (ProfileError, ValueError) as exc:
            fail(_without_profile_name(str(exc)))
        now = datetime.now(UTC)
        rows = run_report(
            ctx,
            lambda session: search_rows(session, profile, now=now, limit=limit),
            SearchRow,
            output,
            title="Поиск",
        )
        if not rows and output.out is None:
            typer.echo("nothing found among the stored open notices", err=True)


def _without_profile_name(message: str) -> str:
    """The profile model names the profile («поиск»); the user typed options, not a profile."""
    return message.replace(f"profile «{SEARCH_PROFILE}»: ", "")
