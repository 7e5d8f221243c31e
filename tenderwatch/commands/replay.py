"""``tenderwatch replay``: serve the bundled EIS snapshot locally so crawls need no internet.

The spiders reach it by pointing ``crawler.base_url`` at the printed URL. It serves until Ctrl-C or
SIGTERM and then shuts down cleanly (the listening socket closed, the request counts printed), so
it can run under a process supervisor or as a test fixture.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from crawler.replay import ReplayError
from crawler.replay import build_snapshot
from crawler.replay.server import ReplayServer
from crawler.replay.server import start_replay
from tenderwatch.clikit import console
from tenderwatch.clikit import fail


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def replay(
    port: int = typer.Option(8088, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    seed: int = typer.Option(2026, "--seed", help="Snapshot seed: the same seed serves the same notices."),
    count: int = typer.Option(320, "--count", min=1, help="Number of purchases in the snapshot."),
    faults: str | None = typer.Option(
        None,
        "--faults",
        help="Fault spec, e.g. '5xx=3,429=2,retry-after=1,every=4,only=card' (see crawler.replay.faults).",
    ),
    publish_rate: float | None = typer.Option(
        None, "--publish-rate", help="New notices published per minute while serving."
    ),
) -> None:
    """Serve a generated EIS snapshot under the EIS URL paths until Ctrl-C or SIGTERM."""
    try:
        snapshot = build_snapshot(seed=seed, count=count)
        server = start_replay(snapshot, host=host, port=port, faults=faults, publish_rate=publish_rate)
    except ReplayError as exc:
        fail(str(exc))
    console.print(f"EIS replay of {count} purchases (seed {seed}) serving at {server.url}", highlight=False)
    console.print(f"TENDERWATCH_CRAWLER__BASE_URL={server.url}", highlight=False, soft_wrap=True)
    _serve_until_signal(server)


def _serve_until_signal(server: ReplayServer) -> None:
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    stats = server.stats()
    console.print(
        f"replay at {server.url} stopped after {stats['total']} requests, "
        f"{stats['faults_total']} faults injected, {stats['published_count']} notices published",
        highlight=False,
        soft_wrap=True,
    )
