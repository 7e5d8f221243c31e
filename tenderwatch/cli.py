"""The ``tenderwatch`` command line: a Typer app whose commands live in ``tenderwatch.commands``.

The console script loads only the module of the command it runs (``COMMANDS``): the modules
together take seconds to import (Scrapy, Telegram, openpyxl, the matcher), and a ``config check``
or ``import`` should not wait for them. Help and an unknown command load them all.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperOption

from data.db import database_failure
from data.errors import StoreError
from tenderwatch.clikit import fail_quietly
from tenderwatch.clikit import state


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

COMMANDS: dict[str, str] = {
    "bot": "bot",
    "notify": "bot",
    "config": "config",
    "crawl": "crawl",
    "demo": "demo",
    "match": "match",
    "profiles": "profiles",
    "replay": "replay",
    "report": "report",
    "export": "report",
    "search": "search",
    "serve": "serve",
    "simulate": "simulate",
    "init": "storage",
    "import": "storage",
}
"""Each top-level command or command group -> its module in ``tenderwatch.commands`` (a test checks
that this names every command each module registers, and every module)."""
MODULES = tuple(dict.fromkeys(sorted(COMMANDS.values())))
ROOT_OPTIONS_WITH_VALUE = ("--settings",)
ROOT_FLAGS = ("--verbose", "-v")


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


def build_app(modules: Sequence[str] = MODULES) -> typer.Typer:
    """The root app with the commands of ``modules`` (names in ``tenderwatch.commands``)."""
    root = typer.Typer(
        name="tenderwatch",
        help="Find winnable 44-FZ/223-FZ tenders, alert the sales team, simulate the auction.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    root.callback()(_root)
    for module in modules:
        importlib.import_module(f"tenderwatch.commands.{module}").register(root)
    return root


def modules_for(args: Sequence[str]) -> Sequence[str]:
    """The command modules that a command line needs: the one of the command it names, past the
    root options; all of them for help, no command, or a word that is not a command."""
    words = iter(args)
    for word in words:
        if word in ROOT_OPTIONS_WITH_VALUE:
            next(words, None)
        elif word.startswith(tuple(f"{option}=" for option in ROOT_OPTIONS_WITH_VALUE)) or word in ROOT_FLAGS:
            continue
        else:
            return (COMMANDS[word],) if word in COMMANDS else MODULES
    return MODULES


def __getattr__(name: str) -> typer.Typer:
    """``app``, every command registered, built on first use (``from tenderwatch.cli import app``)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    app = build_app()
    globals()["app"] = app
    return app


def main() -> None:
    """The console script. A database failure that no command turned into its own message (a disk
    filling up mid-command, say) still ends as one line and exit code 1, never a traceback."""
    try:
        build_app(modules_for(sys.argv[1:]))()
    except StoreError as exc:
        fail_quietly(f"{exc}", code=1)
    except SQLAlchemyError as exc:
        fail_quietly(f"database: {database_failure(exc)}", code=1)


if __name__ == "__main__":
    main()
