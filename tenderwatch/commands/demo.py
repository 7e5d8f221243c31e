"""``tenderwatch demo``: the main job on the embedded default, offline and without a token.

It writes the bundled EIS snapshot (generated from our own templates in the real formats) as an
EIS bulk export under ``var/demo/``, imports it into the configured database (SQLite under
``var/`` by default) exactly as ``tenderwatch import`` would, and prints what is stored.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from crawler.replay.snapshot import build_snapshot
from data.db import session_scope
from data.formatting import format_money as money
from data.reference.regions import region_name
from data.store import notice_summary
from tenderwatch.clikit import console, settings_of
from tenderwatch.commands.storage import open_database
from tenderwatch.config import mask_url
from tenderwatch.ingest import ingest_paths


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        count: int = typer.Option(320, min=1, max=20_000, help="Purchases in the generated EIS snapshot."),
        seed: int = typer.Option(2026, help="Seed of the snapshot (same seed, same documents)."),
        workdir: Path = typer.Option(Path("var/demo"), help="Where the EIS bulk export is written."),
    ) -> None:
        """Generate an EIS bulk export, import it, and show what was stored."""
        settings = settings_of(ctx)
        snapshot = build_snapshot(seed=seed, count=count, now=datetime.now().astimezone())
        export_dir = workdir / "eis-export"
        files = snapshot.write_bulk(export_dir)
        console.print(
            f"EIS snapshot: {len(snapshot.purchases)} purchases, {len(snapshot.versions)} published versions "
            f"-> {len(files)} files under {export_dir}",
            highlight=False,
        )
        engine, revision = open_database(settings)
        try:
            report = ingest_paths([export_dir], engine=engine, batch_size=settings.database.batch_size)
            console.print(f"import: {report.summary()}", highlight=False)
            for error in report.errors:
                console.print(f"  {error}", markup=False, highlight=False)
            with session_scope(engine) as session:
                summary = notice_summary(session, top_regions=8)
        finally:
            engine.dispose()
        console.print(summary_table(summary.by_law_kind, title="Stored notices by law and method"))
        console.print(region_table(summary.top_regions))
        console.print(
            f"database: {mask_url(settings.database.url)} (revision {revision}); "
            "explore it with `tenderwatch simulate` and `tenderwatch profiles`.",
            highlight=False,
            soft_wrap=True,
        )
        if not report.ok:
            raise typer.Exit(1)


def summary_table(rows, *, title: str) -> Table:
    table = Table(title=title)
    table.add_column("law")
    table.add_column("method")
    table.add_column("notices", justify="right")
    table.add_column("total NMCK", justify="right")
    for row in rows:
        law, kind = row.group
        table.add_row(law, kind, str(row.count), money(row.total_nmck))
    return table


def region_table(rows) -> Table:
    table = Table(title="Top customer regions")
    table.add_column("code")
    table.add_column("region")
    table.add_column("notices", justify="right")
    table.add_column("total NMCK", justify="right")
    for row in rows:
        (code,) = row.group
        name = region_name(code) if code else "unknown"
        table.add_row(code or "—", name, str(row.count), money(row.total_nmck))
    return table
