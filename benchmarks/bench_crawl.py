"""Crawl throughput against the bundled replay, with a plain-HTTP baseline measured in the same run.

Figures printed:
* baseline: the same URLs (one search page + every card) fetched one after another with urllib;
* crawl: ``tenderwatch``'s Scrapy subprocess (politeness off, 8 concurrent), notices/s including
  process start-up, and the crawl process's peak memory (ru_maxrss);
* incremental: requests when nothing is new (aim: 1), and requests per new notice after the replay
  publishes some (aim: one card each, plus one list page per page of results);
* the result cap: the same crawl with the site's cap lowered to a quarter of the snapshot (pages of
  20), once with notices spread over 30 days (split by day) and once all on one day (split by
  price), against the uncapped crawl at the same page size: list requests, parts, notices/s, and
  card requests per notice (aim: 1.00, nothing fetched twice);
* the export service: ``eis_export`` over 7 whole days of the regions in the snapshot against the
  search crawl of the same notices, and the requests a day of all of Russia costs it.

Run: ``.venv/bin/python benchmarks/bench_crawl.py [--quick]`` (default: the full 320-notice snapshot).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.export_service import NOTICE_TYPES_44
from crawler.export_service import NOTICE_TYPES_223
from crawler.export_service import SERVICE_PATH
from crawler.replay import build_snapshot
from crawler.replay.export_service import REPLAY_EXPORT_TOKEN
from crawler.replay.generate import moscow_now_floor
from crawler.replay.server import start_replay
from crawler.runner import CrawlConfig
from crawler.runner import run_crawl
from crawler.spiders.eis import CARD_PATHS
from crawler.spiders.eis import SEARCH_PATH


def baseline(server, snapshot) -> tuple[int, float]:
    """Plain sequential fetches of what the crawl fetches: the listing, then every card."""
    urls = [f"{server.url}{SEARCH_PATH}?fz44=on&fz223=on&sortBy=UPDATE_DATE&recordsPerPage=_500"]
    urls += [f"{server.url}{CARD_PATHS[p.law]}?regNumber={p.reg_number}" for p in snapshot.purchases]
    started = time.perf_counter()
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as reply:
            reply.read()
    return len(urls), time.perf_counter() - started


def elapsed_in_crawl(log_tail: list[str]) -> float | None:
    """Scrapy's own ``elapsed_time_seconds`` from the stats dump: the crawl without process start-up."""
    for line in log_tail:
        found = re.search(r"'elapsed_time_seconds': ([\d.]+)", line)
        if found:
            return float(found.group(1))
    return None


def unthrottled(db_path: Path, base_url: str, extra: dict | None = None) -> CrawlConfig:
    """Politeness off: the replay is local, and the figures are the crawler's own cost."""
    return CrawlConfig(
        database_url=f"sqlite:///{db_path}",
        base_url=base_url,
        concurrent_requests=8,
        download_delay=0,
        autothrottle=False,
        timeout_seconds=600,
        extra_settings=extra or {},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 120-notice snapshot instead of 320")
    args = parser.parse_args()
    count = 120 if args.quick else 320
    snapshot = build_snapshot(seed=2026, count=count)
    with tempfile.TemporaryDirectory() as tmp, start_replay(snapshot) as server:
        config = unthrottled(Path(tmp) / "bench.db", server.url)
        n_urls, base_s = baseline(server, snapshot)
        full = run_crawl("eis", config=config)
        assert full.outcome == "ok" and full.new == count, full.reason
        again = run_crawl("eis", config=config)
        published = server.publish(count=10)
        incremental = run_crawl("eis", config=config)

    print(f"snapshot: {count} notices ({len(snapshot.versions)} versions)")
    print(
        f"baseline urllib, sequential: {n_urls} requests in {base_s:.2f} s = "
        f"{n_urls / base_s:.0f} req/s, {count / base_s:.0f} notices/s (fetch only, nothing parsed or stored)"
    )
    print(
        f"crawl (scrapy subprocess, parse + store): {full.requests} requests in {full.seconds:.2f} s = "
        f"{full.new / full.seconds:.0f} notices/s incl. process start-up "
        f"({base_s / full.seconds:.2f}x the baseline's speed)"
    )
    crawling = elapsed_in_crawl(full.log_tail)
    if crawling:
        print(
            f"  of which crawling (Scrapy's elapsed_time_seconds): {crawling:.2f} s = "
            f"{count / crawling:.0f} notices/s"
        )
    print(f"crawl peak memory (ru_maxrss): {full.peak_rss_kb / 1024:.0f} MiB")
    print(f"re-crawl with nothing new: {again.requests} request(s), {again.counts_line()}")
    print(
        f"incremental after {len(published)} new: {incremental.requests} requests "
        f"({incremental.pages} list page(s)) for {incremental.new} new = "
        f"{(incremental.requests - incremental.pages) / max(1, incremental.new):.2f} card requests per new"
    )
    capped_runs(count)
    export_runs(count)


def export_runs(count: int) -> None:
    """The export service (``eis_export``) against the search crawl of the same days: requests and
    notices/s, and what a day of all of Russia costs it at the default politeness."""
    snapshot = build_snapshot(seed=2026, count=count, days=7, now=moscow_now_floor(None))
    regions = sorted({p.customer.region.code for p in snapshot.purchases})
    with tempfile.TemporaryDirectory() as tmp, start_replay(snapshot) as server:
        search = run_crawl("eis", config=unthrottled(Path(tmp) / "search.db", server.url))
        config = replace(
            unthrottled(Path(tmp) / "export.db", server.url),
            export_url=server.url + SERVICE_PATH,
            export_token=REPLAY_EXPORT_TOKEN,
            export_regions=regions,
            export_days=7,
        )
        export = run_crawl("eis_export", config=config)
    assert search.outcome == "ok" and export.outcome == "ok", (search.reason, export.reason)
    assert export.new == count, export.counts_line()
    types = len(NOTICE_TYPES_44) + len(NOTICE_TYPES_223)
    for label, run in (("search (baseline)", search), (f"export, {len(regions)} regions x 7 days", export)):
        crawling = elapsed_in_crawl(run.log_tail) or run.seconds
        print(
            f"{label}: {run.requests} requests ({run.pages} list pages or SOAP replies) "
            f"for {run.new} notices, {run.new / crawling:.0f} notices/s crawling"
        )
    per_day = 85 * types
    print(
        f"export, all of Russia: {per_day} SOAP requests a day (85 regions x {types} types) + one "
        f"download per region and type with documents = about {per_day * 3.5 / 60:.0f} min at 3.5 s apart"
    )


def capped_runs(count: int) -> None:
    """The split of a query over the site's cap, against the uncapped crawl of the same pages."""
    cap = count // 4
    cases = [
        ("no cap (baseline), 30 days", build_snapshot(seed=2026, count=count), None),
        (f"cap {cap}, 30 days (split by day)", build_snapshot(seed=2026, count=count), cap),
        (f"cap {cap}, one day (split by price)", build_snapshot(seed=2026, count=count, days=1), cap),
    ]
    for label, snapshot, limit in cases:
        if limit:
            snapshot.result_cap = limit
        extra = {"TENDERWATCH_PAGE_SIZE": 20, **({"TENDERWATCH_RESULT_CAP": limit} if limit else {})}
        with tempfile.TemporaryDirectory() as tmp, start_replay(snapshot) as server:
            run = run_crawl("eis", config=unthrottled(Path(tmp) / "capped.db", server.url, extra))
        assert run.outcome == "ok" and run.new == count, run.reason
        parts = re.search(r"listed in (\d+) parts", run.reason)
        crawling = elapsed_in_crawl(run.log_tail) or run.seconds
        cards = run.requests - run.pages
        print(
            f"{label}: {run.pages} list pages in {parts.group(1) if parts else 1} part(s), {cards} card "
            f"requests for {run.new} notices ({cards / run.new:.2f} per notice), "
            f"{run.new / crawling:.0f} notices/s crawling"
        )


if __name__ == "__main__":
    main()
