"""What starting a crawl costs: forked by the pre-imported launcher (``crawler.launcher``) against
the baseline, a new interpreter per crawl (``TENDERWATCH_CRAWL_LAUNCHER=0``), in the same run.

Each mode runs the same small crawls one after another (an incremental ``eis`` crawl of the replay
that asks one listing page and finds nothing new: mostly start-up) and prints, per crawl, the wall
time seen by the runner and the CPU time of everything it took: the crawl processes and, in the
launcher mode, the launcher itself (its one-off imports included, from its ``/proc`` entry).

Run: ``.venv/bin/python benchmarks/bench_crawl_start.py [--crawls N]`` (default 10).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_crawl import unthrottled
from crawler import launcher
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import run_crawl

TICKS = os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _launcher_cpu(*, crawls: bool = True) -> float:
    """The launcher's own CPU, and with ``crawls`` that of the crawls it waited for (``/proc``)."""
    if launcher._launcher is None:
        return 0.0
    fields = Path(f"/proc/{launcher._launcher._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + (cutime + cstime if crawls else 0)) / TICKS


def measure(mode: str, crawls: int, config) -> tuple[float, float]:
    """(wall s, CPU s) per crawl with the launcher on ("1") or off ("0")."""
    os.environ[launcher.LAUNCHER_ENV] = mode
    run_crawl("eis", config=config)  # the first crawl stores the snapshot; the timed ones find it
    cpu_before, launcher_before = _children_cpu(), _launcher_cpu()
    started = time.perf_counter()
    for _ in range(crawls):
        summary = run_crawl("eis", config=config)
        assert (summary.outcome, summary.new) == ("ok", 0), summary.reason
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before + _launcher_cpu() - launcher_before
    return wall / crawls, cpu / crawls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawls", type=int, default=10)
    args = parser.parse_args()
    snapshot = build_snapshot(seed=2026, count=20)
    with tempfile.TemporaryDirectory() as tmp, start_replay(snapshot) as server:
        spawned = measure("0", args.crawls, unthrottled(Path(tmp) / "spawned.db", server.url))
        launched = measure("1", args.crawls, unthrottled(Path(tmp) / "launched.db", server.url))
        preload = _launcher_cpu(crawls=False)  # its imports, and its forks and waits
    print(f"{args.crawls} incremental crawls of a 20-notice replay (one listing page each), in turn")
    print(f"baseline, a new interpreter per crawl: {spawned[0]:.2f} s wall, {spawned[1]:.2f} s CPU per crawl")
    print(
        f"forked by the launcher: {launched[0]:.2f} s wall, {launched[1]:.2f} s CPU per crawl "
        f"({launched[1] / spawned[1]:.2f}x the CPU); the launcher's own CPU, imports once: {preload:.2f} s"
    )


if __name__ == "__main__":
    main()
