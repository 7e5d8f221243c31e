"""What every CLI command shares: the consoles, the loaded settings, and clean failure.

A user never sees a traceback: commands raise ``typer.Exit`` through ``fail`` with a message
that names the input and what was wrong.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from tenderwatch.config import ConfigError, Settings, load_settings


def _console(*, stderr: bool = False) -> Console:
    """Rich's console; piped into a file or a CI log (no terminal, no COLUMNS) it is 160 wide, not 80."""
    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() or "COLUMNS" in os.environ else 160
    return Console(stderr=stderr, width=wide)


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


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)
