"""``tenderwatch config check``: validate the settings and show what is in effect."""

from __future__ import annotations

import json

import typer

from tenderwatch.clikit import console, fail, settings_of


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

    app.add_typer(config_app, name="config")
