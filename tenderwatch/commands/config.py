"""``tenderwatch config check``: validate the settings and show what is in effect."""

from __future__ import annotations

import json

import typer
from sqlalchemy.exc import SQLAlchemyError

from data.db import current_revision
from data.db import database_failure
from data.db import head_revision
from data.db import make_engine
from data.errors import DatabaseUrlError
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import missing_database
from tenderwatch.clikit import settings_of
from tenderwatch.config import Settings
from tenderwatch.config import mask_url


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Inspect the settings.", no_args_is_help=True)

    @config_app.command("check")
    def check(ctx: typer.Context) -> None:
        """Validate settings.toml + environment and print the effective settings (secrets masked)."""
        settings = settings_of(ctx)
        source = settings.settings_file or "(no settings file: defaults and environment)"
        unrouted = settings.unrouted_warning()
        if unrouted:
            console.print_json(json.dumps(settings.masked(), ensure_ascii=False, default=str))
            fail(f"{source}: {unrouted}", code=1)
        console.print(f"[green]settings OK[/] from {source}", highlight=False)
        console.print_json(json.dumps(settings.masked(), ensure_ascii=False, default=str))
        _try_database(settings)
        _try_frontier(settings)

    app.add_typer(config_app, name="config")


def _try_frontier(settings: Settings) -> None:
    """A shared frontier that does not answer would fail every search crawl: say so now."""
    url = settings.crawler.frontier_url.get_secret_value()
    if not url:
        return
    from crawler.errors import CrawlSettingsError
    from crawler.frontier import connect

    try:
        connect(url)
    except CrawlSettingsError as exc:
        fail(str(exc), code=1)
    console.print(f"shared crawl frontier {mask_url(url)}: reachable", highlight=False, markup=False)


def _try_database(settings: Settings) -> None:
    """The database is part of the configuration: say whether it is there and at which revision.
    A missing SQLite file is no error here (``init`` creates it); one that does not answer is."""
    missing = missing_database(settings)
    if missing:
        console.print(f"database: {missing}", highlight=False, markup=False, soft_wrap=True)
        return
    url = settings.database.url
    try:
        engine = make_engine(url)
    except DatabaseUrlError as exc:
        fail(f"database.url: {exc}")
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        fail(f"database {mask_url(url)}: {database_failure(exc)}", code=1)
    finally:
        engine.dispose()
    head = head_revision()
    if revision == head:
        state = f"reachable, schema up to date ({head})"
    elif revision is None:
        state = "reachable, empty: `tenderwatch init` creates the schema"
    else:
        state = f"reachable, schema at {revision}: the next command upgrades it to {head}"
    console.print(f"database {mask_url(url)}: {state}", highlight=False, markup=False, soft_wrap=True)
