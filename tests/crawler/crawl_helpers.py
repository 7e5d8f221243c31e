"""Shared by the end-to-end crawl tests: a replay server, a fresh database, what the database holds."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa

from crawler.runner import CrawlConfig
from data.db import make_engine
from data.models import NoticeRow

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def fast_config(db_url: str, base_url: str, **extra_settings) -> CrawlConfig:
    """Politeness off: the replay is ours, and the tests must be quick."""
    return CrawlConfig(
        database_url=db_url,
        base_url=base_url,
        concurrent_requests=8,
        download_delay=0,
        autothrottle=False,
        timeout_seconds=120,
        batch_size=10,
        extra_settings={"TENDERWATCH_PROGRESS_INTERVAL": 0.2, **extra_settings},
    )


def replay_stats(server) -> dict:
    with urllib.request.urlopen(f"{server.url}/_replay/stats", timeout=10) as reply:
        return json.load(reply)


def stored_rows(db_url: str) -> dict[tuple[str, str], dict]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(NoticeRow.__table__)).mappings().all()  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    keys = [(r["law"], r["reg_number"]) for r in rows]
    assert len(keys) == len(set(keys)), "a notice is stored twice"
    return {(r["law"], r["reg_number"]): dict(r) for r in rows}


def expected_rows(snapshot) -> dict[tuple[str, str], dict]:
    """The ground truth the database must hold after a full crawl: the latest version of every purchase."""
    out = {}
    for purchase in snapshot.purchases:
        truth = purchase.latest.notice
        listing = snapshot.listing(purchase)
        out[(purchase.law, purchase.reg_number)] = {
            "version": truth.version if purchase.law == "44-FZ" else None,  # the 223 JSON has no version
            "status": listing.status,
            "nmck": truth.nmck,
            "title": truth.title,
            "customer_inn": truth.customer_inn,
            "submission_deadline": truth.submission_deadline,
            "completeness": "card",
        }
    return out


def mismatches(db_url: str, snapshot) -> list[str]:
    stored = stored_rows(db_url)
    want = expected_rows(snapshot)
    problems = [f"missing {k}" for k in sorted(set(want) - set(stored))]
    problems += [f"unexpected {k}" for k in sorted(set(stored) - set(want))]
    for key in sorted(set(want) & set(stored)):
        for name, value in want[key].items():
            if stored[key][name] != value:
                problems.append(f"{key} {name}: expected {value!r}, stored {stored[key][name]!r}")
    return problems


def store_notices(db_url: str, notices) -> None:
    """Notices stored directly (migrated first), as a crawl would have left them."""
    from data.db import session_scope
    from data.db import upgrade
    from data.store import upsert_notices

    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        upsert_notices(session, notices, source="test")
    engine.dispose()
