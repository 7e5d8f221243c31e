"""``tenderwatch init`` (create/upgrade the schema) and ``tenderwatch import PATH...``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from sqlalchemy.engine import Engine

from data.db import check_writable
from data.db import make_engine
from data.db import upgrade
from data.errors import DatabaseUrlError
from data.errors import StoreError
from tenderwatch.clikit import console
from tenderwatch.clikit import err_console
from tenderwatch.clikit import fail
from tenderwatch.clikit import require_database
from tenderwatch.clikit import settings_of
from tenderwatch.config import Settings
from tenderwatch.config import mask_url
from tenderwatch.ingest import ARCHIVE_SUFFIXES
from tenderwatch.ingest import DOCUMENT_SUFFIXES
from tenderwatch.ingest import InputNotFound
from tenderwatch.ingest import ingest_paths

IMPORTABLE = ", ".join(sorted(DOCUMENT_SUFFIXES | ARCHIVE_SUFFIXES))


def open_database(settings: Settings, *, create: bool = False) -> tuple[Engine, str]:
    """The engine with its schema upgraded, and the revision; fails cleanly on the CLI. Only
    ``create`` (``init``) makes a SQLite file that is not there."""
    if not create:
        require_database(settings)
    url = settings.database.url
    try:
        engine = make_engine(url, echo=settings.database.echo)
    except DatabaseUrlError as exc:
        fail(f"database.url: {exc}")
    try:
        return engine, upgrade(engine)
    except StoreError as exc:  # the message names the database (password masked) and the cause
        fail(str(exc), code=1)


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(ctx: typer.Context) -> None:
        """Create the database schema, or upgrade it to this version (safe to run again)."""
        settings = settings_of(ctx)
        engine, revision = open_database(settings, create=True)
        try:
            check_writable(engine)  # a read-only file or role passes the schema check, not this
        except StoreError as exc:
            fail(f"{exc} (schema at revision {revision}, but not writable)", code=1)
        finally:
            engine.dispose()
        console.print(
            f"database {mask_url(settings.database.url)} at revision {revision}",
            highlight=False,
            soft_wrap=True,
        )

    @app.command("import")
    def import_(
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(
            ..., help="XML, JSON or HTML files, folders (searched recursively) and ZIP archives of EIS XML."
        ),
    ) -> None:
        """Parse notices and results (protocols, contracts) from files and store them; print what
        was new, changed or had errors.

        Exit code 0 when everything imported, 1 when some inputs had errors (the rest is stored).
        Folders with no importable file are not an error: a warning on stderr says so.
        """
        missing = [p for p in paths if not p.exists()]
        if missing:
            fail(f"{missing[0]}: no such file or directory")
        settings = settings_of(ctx)
        engine, _ = open_database(settings)
        try:
            with _progress_bar() as bar:
                task = bar.add_task("importing", total=None)
                report = ingest_paths(
                    paths,
                    engine=engine,
                    batch_size=settings.database.batch_size,
                    progress=lambda done, total, _label: bar.update(task, completed=done, total=total),
                )
        except InputNotFound as exc:
            fail(str(exc))
        except StoreError as exc:  # read-only, full, no grants: what was stored before stays
            fail(f"import stopped: {exc}", code=1)
        finally:
            engine.dispose()
        console.print(report.summary(), highlight=False, soft_wrap=True)
        if (results := report.results_summary()) is not None:
            console.print(results, highlight=False, soft_wrap=True)
        if report.documents == 0:
            # A cron job pointed at an empty drop folder is normal; a typo in the path is not,
            # and without this line both look like a quiet success.
            err_console.print(
                f"warning: no importable files ({IMPORTABLE}) found under {', '.join(str(p) for p in paths)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if report.skipped:
            console.print(
                f"{len(report.skipped)} documents skipped: EIS documents Tenderwatch does not read "
                "(cancellations, protocols without prices or decisions, changes of organisation)",
                highlight=False,
                soft_wrap=True,
            )
        for error in report.errors:
            console.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(0 if report.ok else 1)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
