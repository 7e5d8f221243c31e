"""Parse+extract throughput of the 44-FZ card parser against the raw lxml parse of the same bytes.

Baseline: ``lxml.etree.fromstring`` on each real 44-FZ card sample, no extraction. Measured:
``crawler.parsers.parse_document`` (format sniffing, hardened parse, extraction, ``Notice``
validation). Both run in the same process on the same bytes, interleaved round by round, and the
best round of each (in process CPU time) is reported, so a noisy shared machine skews the
ratio as little as possible.

    .venv/bin/python benchmarks/bench_parse.py            # ~10 s, 30 rounds
    .venv/bin/python benchmarks/bench_parse.py --full     # 60 rounds of twice the batch, ~40 s

Aim (issue #2): ratio = (parse+extract throughput) / (raw parse throughput) >= 0.5.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from crawler.parsers import parse_document  # noqa: E402

SAMPLES_DIR = Path(os.environ.get("TENDERWATCH_EIS_SAMPLES", PROJECT_ROOT.parent / "shared" / "eis_samples"))
AIM = 0.5


def load_cards() -> list[tuple[str, bytes]]:
    files = sorted(SAMPLES_DIR.glob("44fz_*.xml"))
    if not files:
        sys.exit(f"no 44-FZ card samples (44fz_*.xml) in {SAMPLES_DIR}")
    return [(path.name, path.read_bytes()) for path in files]


def timed(step: Callable[[], int]) -> tuple[float, int]:
    """(CPU seconds, documents or notices handled) of one round.

    Process CPU time, not wall time: on a shared machine the time this process spends descheduled
    would otherwise land on whichever side happened to be running.
    """
    started = time.process_time()
    count = step()
    return time.process_time() - started, count


def best_of(rounds: int, **steps: Callable[[], int]) -> dict[str, float]:
    """The best round of each step (CPU seconds), each run ``rounds`` times."""
    return {name: min(timed(step)[0] for _ in range(rounds)) for name, step in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="60 rounds of twice the batch (~40 s)")
    args = parser.parse_args()
    repeats, rounds = (40, 60) if args.full else (20, 30)

    cards = load_cards()
    batch = [(f"{SAMPLES_DIR}/{name}", data) for name, data in cards] * repeats
    megabytes = sum(len(data) for _, data in batch) / 1e6

    def raw() -> int:
        for _, data in batch:
            etree.fromstring(data)
        return len(batch)

    def full() -> int:
        return sum(len(parse_document(data, url=url)) for url, data in batch)

    raw(), full()  # warm-up: imports, path caches, region index
    raw_times, full_times = [], []
    for _ in range(rounds):  # interleave so both see the same machine load
        raw_times.append(timed(raw)[0])
        seconds, notices = timed(full)
        full_times.append(seconds)
    raw_s, full_s = min(raw_times), min(full_times)

    print(
        f"44-FZ card samples: {len(cards)} files, {megabytes / repeats * 1000:.0f} KB, x{repeats} per round"
    )
    print(f"{'':34}{'documents/s':>12}{'MB/s':>9}")
    print(f"{'baseline lxml.etree.fromstring':34}{len(batch) / raw_s:12,.0f}{megabytes / raw_s:9.1f}")
    print(f"{'parse_document (notices/s)':34}{notices / full_s:12,.0f}{megabytes / full_s:9.1f}")
    ratio = raw_s / full_s
    verdict = "meets" if ratio >= AIM else "misses"
    print(f"ratio parse+extract / raw parse throughput: {ratio:.2f} ({verdict} the >= {AIM} aim)")
    print(f"extraction overhead per notice: {(full_s - raw_s) / notices * 1e6:.0f} us")
    listing_page(rounds=max(5, rounds // 6))
    bid_lists(rounds=max(5, rounds // 3), repeats=repeats)


def listing_page(rounds: int) -> None:
    """A 500-entry results page (the replay's, in the real markup): what the crawler pays per page.

    Baseline ``lxml.html.fromstring``; then ``parse_document`` (the entries only) and
    ``read_search_page`` + ``gap`` (the entries plus the proof that the page is whole, which the
    eis spider needs before it may treat a page as the last one).
    """
    from datetime import UTC
    from datetime import datetime

    import lxml.html

    from crawler.parsers.html import read_search_page
    from crawler.replay import SearchQuery
    from crawler.replay import build_snapshot

    snapshot = build_snapshot(seed=13, count=500, now=datetime(2026, 11, 22, 9, tzinfo=UTC))
    page = snapshot.render_search_page(SearchQuery(per_page=500, page=1), query_string="fz44=on")

    def raw() -> int:
        lxml.html.fromstring(page.decode("utf-8"))
        return 1

    def entries() -> int:
        return len(parse_document(page, url="results.html"))

    def whole() -> int:
        listing = read_search_page(page, "results.html")
        assert listing.gap(page=1, page_size=500) is None
        return len(listing.entries)

    best = best_of(rounds, raw=raw, entries=entries, whole=whole)
    print(f"\nresults page: 500 entries, {len(page) / 1e3:.0f} KB, best of {rounds} rounds")
    print(f"{'baseline lxml.html.fromstring':34}{1 / best['raw']:8.1f} pages/s")
    for label, name in (("parse_document (entries)", "entries"), ("read_search_page + gap (whole)", "whole")):
        print(f"{label:34}{1 / best[name]:8.1f} pages/s = {500 / best[name]:,.0f} entries/s")
    print(f"wholeness check overhead: {(best['whole'] / best['entries'] - 1) * 100:+.1f} % per page")


def bid_lists(rounds: int, repeats: int) -> None:
    """The three real result pages of the site (tests/crawler/eis_results): what ``eis_site_results``
    pays per purchase (a results tab and a bid list). Baseline ``lxml.html.fromstring``."""
    import lxml.html

    from crawler.parsers.result_pages import parse_bid_list
    from crawler.parsers.result_pages import read_results_tab

    folder = PROJECT_ROOT / "tests" / "crawler" / "eis_results"
    lists = [p.read_bytes() for p in sorted(folder.glob("44fz_protocol-bid-list_*.html"))] * repeats
    tabs = [p.read_bytes() for p in sorted(folder.glob("44fz_supplier-results_*.html"))] * repeats

    def raw() -> int:
        for page in lists + tabs:
            lxml.html.fromstring(page.decode("utf-8"))
        return len(lists) + len(tabs)

    def read() -> int:
        bids = sum(len(parse_bid_list(page, "bid-list.html")[0].bids) for page in lists)
        return bids + sum(read_results_tab(page, "tab.html").deciding is not None for page in tabs)

    best = best_of(rounds, raw=raw, read=read)
    pages = len(lists) + len(tabs)
    kinds = f"{len(lists) // repeats} bid lists + {len(tabs) // repeats} tab"
    print(f"\nresult pages: {kinds}, x{repeats}, best of {rounds}")
    print(f"{'baseline lxml.html.fromstring':34}{pages / best['raw']:8,.0f} pages/s")
    print(f"{'parse_bid_list + read_results_tab':34}{pages / best['read']:8,.0f} pages/s")
    print(f"ratio read / raw parse throughput: {best['raw'] / best['read']:.2f}")
    register_feed(rounds, repeats * 5)


def register_feed(rounds: int, repeats: int) -> None:
    """The register of unfair suppliers' real feed (10 entries): what ``eis_rnp`` pays per INN.
    Baseline ``lxml.etree.fromstring``."""
    feed = (PROJECT_ROOT / "tests" / "crawler" / "eis_results" / "rnp_rss_search_STROY.xml").read_bytes()

    def raw() -> int:
        for _ in range(repeats):
            etree.fromstring(feed)
        return repeats

    def read() -> int:
        return sum(len(parse_document(feed, url="rss")) for _ in range(repeats))

    best = best_of(rounds, raw=raw, read=read)
    print(f"\nregister feed: 10 entries, {len(feed) / 1e3:.0f} KB, x{repeats}, best of {rounds}")
    print(f"{'baseline lxml.etree.fromstring':34}{repeats / best['raw']:8,.0f} feeds/s")
    print(f"{'parse_document (entries)':34}{repeats / best['read']:8,.0f} feeds/s")
    print(f"ratio read / raw parse throughput: {best['raw'] / best['read']:.2f}")


if __name__ == "__main__":
    main()
