"""The ``tenderwatch`` command line: a Typer app whose commands live in ``tenderwatch.commands``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperOption

from data.db import database_failure
from data.errors import StoreError
from tenderwatch.clikit import fail_quietly, state
from tenderwatch.commands import bot as bot_commands
from tenderwatch.commands import config as config_commands
from tenderwatch.commands import crawl as crawl_commands
from tenderwatch.commands import demo as demo_commands
from tenderwatch.commands import match as match_commands
from tenderwatch.commands import profiles as profiles_commands
from tenderwatch.commands import replay as replay_commands
from tenderwatch.commands import report as report_commands
from tenderwatch.commands import search as search_commands
from tenderwatch.commands import serve as serve_commands
from tenderwatch.commands import simulate as simulate_commands
from tenderwatch.commands import storage as storage_commands


def _flags_without_a_type() -> None:
    """Help lists an on/off flag as ``--json`` alone, not ``--json <bool>`` (issue 17 item 12).

    Typer 0.2x prints the value type of every option, flags included, and has no setting to leave
    it out for flags; this replaces the one method that renders it, for flags only. If Typer
    renames the method the help shows ``<bool>`` again and ``test_help_lists_flags_without_a_type``
    fails, which says where to look.
    """
    original = getattr(TyperOption, "display_type_rich", None)
    if original is None:
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]  # see the docstring


_flags_without_a_type()

app = typer.Typer(
    name="tenderwatch",
    help="Find winnable 44-FZ/223-FZ tenders, alert the sales team, simulate the auction.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    settings: Path | None = typer.Option(
        None, "--settings", help="Settings file (default: ./settings.toml or $TENDERWATCH_SETTINGS)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    state(ctx).settings_path = settings


for _module in (
    bot_commands,
    config_commands,
    crawl_commands,
    demo_commands,
    match_commands,
    profiles_commands,
    replay_commands,
    report_commands,
    search_commands,
    serve_commands,
    simulate_commands,
    storage_commands,
):
    _module.register(app)


def main() -> None:
    """The console script. A database failure that no command turned into its own message (a disk
    filling up mid-command, say) still ends as one line and exit code 1, never a traceback."""
    try:
        app()
    except StoreError as exc:
        fail_quietly(f"{exc}", code=1)
    except SQLAlchemyError as exc:
        fail_quietly(f"database: {database_failure(exc)}", code=1)


if __name__ == "__main__":
    main()
