"""What every CLI command shares: the consoles, the loaded settings, clean failure, and options
declared once for many commands (``gathered_options``).

A user never sees a traceback: commands raise ``typer.Exit`` through ``fail`` with a message
that names the input and what was wrong.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time
from inspect import Parameter
from pathlib import Path
from typing import Any
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from crawler.parsers.common import parse_datetime
from data.db import sqlite_file
from tenderwatch.config import ConfigError
from tenderwatch.config import Settings
from tenderwatch.config import load_settings

NO_TERMINAL_WIDTH = 160
"""Tables written where no terminal is at all (a file from cron, a CI log): wide, not Rich's 80."""


def _console(*, stderr: bool = False) -> Console:
    """Rich's console, as wide as the person's terminal even when the output is piped
    (``tenderwatch report … | less``: the terminal is still on the other streams); only with no
    terminal anywhere and no COLUMNS is it ``NO_TERMINAL_WIDTH`` wide."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or "COLUMNS" in os.environ:
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=terminal_width() or NO_TERMINAL_WIDTH)


def terminal_width() -> int | None:
    """The columns of the terminal on any standard stream, or of the controlling one; None if none."""
    for stream in (sys.__stdout__, sys.__stderr__, sys.__stdin__):
        try:
            if stream is not None and stream.isatty():
                return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            continue
    try:
        with open("/dev/tty") as tty:
            return os.get_terminal_size(tty.fileno()).columns
    except OSError:
        return None


console = _console()
err_console = _console(stderr=True)


@dataclass
class AppState:
    settings_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.settings_path)
            except ConfigError as exc:
                fail(str(exc))
        return self._settings


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def settings_of(ctx: typer.Context) -> Settings:
    return state(ctx).settings


def say(line: str) -> None:
    """A plain line for a person: no Rich markup or highlighting (scraped text may hold brackets)."""
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def warn_unrouted(settings: Settings) -> None:
    """Matches with no chat to go to are said on every command that would alert them."""
    warning = settings.unrouted_warning()
    if warning:
        err_console.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)


DATE_HINT = "dd.mm.yyyy or yyyy-mm-dd, with a time if you like: 10.03.2025 09:00, 2025-03-10T09:00+03:00"
"""Every date option takes both spellings (a Russian user writes dd.mm.yyyy, a script ISO)."""


def parse_moment(value: str | None, option: str, *, day_time: time = time(0, 0)) -> datetime | None:
    """A date or date-time typed on the command line; without a zone it is Moscow time, and a bare
    day is ``day_time`` on that day. An unreadable value fails the command naming the option."""
    if value is None:
        return None
    text = value.strip()
    moment, _ = parse_datetime(text)
    if moment is None:
        fail(f"{option} {value!r}: not a date ({DATE_HINT})")
    bare_day = len(text) == 10
    return moment.replace(hour=day_time.hour, minute=day_time.minute) if bare_day else moment


def require_database(settings: Settings) -> None:
    """Refuse a SQLite file that does not exist: any command but ``init`` would create an empty
    database wherever it was run from, and the user would wonder where the notices went."""
    missing = missing_database(settings)
    if missing:
        fail(missing, code=1)


def missing_database(settings: Settings) -> str | None:
    """Why the configured database is missing (naming it and the settings in use), or None."""
    path = sqlite_file(settings.database.url)
    if path is None or path.exists():
        return None
    source = settings.settings_file or "no settings file found (defaults and environment)"
    return (
        f"database {path.absolute()} does not exist (database.url from {source}; "
        f"working directory {Path.cwd()}): run `tenderwatch init` to create it, or point database.url "
        "at an existing one"
    )


def fail(message: str, code: int = 2) -> NoReturn:
    """Report a failure in one line and exit: 2 for a usage error (bad argument or setting), 1 when
    the work itself failed (the database, the network). ``message`` is plain text: brackets in a
    file name or a driver's message are printed as they are, never read as Rich markup."""
    _print_error(message)
    raise typer.Exit(code)


def fail_quietly(message: str, code: int) -> NoReturn:
    """``fail`` outside Typer (the console script's last resort): exits the process itself."""
    _print_error(message)
    raise SystemExit(code)


def _print_error(message: str) -> None:
    # soft_wrap: one line however narrow the terminal, so a log watcher or grep sees it whole.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)


def ru_axis_number(value: float, decimals: int = 0) -> str:
    """An axis tick as Russian text writes numbers: «1 250 000», «12,5» (no «1e6», no «1,250,000»)."""
    return f"{value:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")


def money_axis(axis: Any, *, decimals: int = 0) -> None:
    """Ticks of a money axis in Russian digit grouping (the unit, ₽ or млн ₽, is in the axis label)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: ru_axis_number(value, decimals)))


def legend_of(*axes: Any, where: str = "upper right") -> None:
    """One legend with the lines of every axis (a twin axis's line is left out by ``legend()``)."""
    handles, labels = [], []
    for axis in axes:
        h, lab = axis.get_legend_handles_labels()
        handles += h
        labels += lab
    axes[0].legend(handles, labels, loc=where)


@contextmanager
def png_figure(path: Path, *, columns: int = 1, size: tuple[float, float] = (10, 4.5)) -> Iterator[Any]:
    """A matplotlib figure that is written to ``path`` as a PNG when the block ends, and always closed.

    matplotlib is imported here, on first use, because it costs about a second at import and most
    commands draw nothing; the Agg backend draws without a display (servers, CI). Yields the axes
    (one, or a tuple of ``columns``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, columns, figsize=size)
    try:
        yield axes
        fig.tight_layout()
        try:
            fig.savefig(path, format="png", dpi=100)
        except OSError as exc:
            fail(f"cannot write chart {path}: {exc.strerror or exc}")
    finally:
        plt.close(fig)


def gathered_options(
    name: str, parameters: Sequence[Parameter], gather: Callable[..., Any]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator that gives a command the options ``parameters`` as one argument ``name``, built by
    ``gather`` from their values: options shared by many commands are declared here once.

    Typer reads a command's options from its signature: the wrapper shows the command's own
    parameters (without ``name``) followed by ``parameters``.
    """
    names = [parameter.name for parameter in parameters]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        own = [parameter for key, parameter in signature.parameters.items() if key != name]

        @functools.wraps(command)
        def wrapper(*args: Any, **values: Any) -> None:
            shared = {key: values.pop(key) for key in names}
            command(*args, **{name: gather(**shared)}, **values)

        # mypy knows no such attribute on a function; inspect.signature (and so Typer) reads it first.
        wrapper.__signature__ = signature.replace(parameters=[*own, *parameters])  # type: ignore[attr-defined]
        return wrapper

    return decorate
