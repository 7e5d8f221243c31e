"""``gathered_options``: options declared once, handed to a command as one argument."""

from __future__ import annotations

from dataclasses import dataclass
from inspect import Parameter

import typer
from typer.testing import CliRunner

from tenderwatch.clikit import gathered_options


@dataclass(frozen=True)
class Window:
    start: int
    width: int


with_window = gathered_options(
    "window",
    [
        Parameter("start", Parameter.KEYWORD_ONLY, default=typer.Option(0, "--start"), annotation=int),
        Parameter("width", Parameter.KEYWORD_ONLY, default=typer.Option(10, "--width"), annotation=int),
    ],
    Window,
)


def _app(seen: list[tuple[str, Window]]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @with_window
    def show(window: Window, name: str = typer.Option("x", "--name")) -> None:
        seen.append((name, window))

    return app


def test_the_gathered_options_reach_the_command_as_one_argument_beside_its_own():
    seen: list[tuple[str, Window]] = []
    result = CliRunner().invoke(_app(seen), ["--width", "3", "--name", "y"])
    assert result.exit_code == 0, result.output
    assert seen == [("y", Window(start=0, width=3))]


def test_help_lists_the_commands_own_options_then_the_gathered_ones_and_not_the_argument():
    result = CliRunner().invoke(_app([]), ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.index("--name") < text.index("--start") < text.index("--width")
    assert "window" not in text.lower()
