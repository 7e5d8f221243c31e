"""The queries and upserts every other package uses. Keyword-only, small, one transaction each.

Writers (``upsert_notices``, ``start_crawl_run``, ``finish_crawl_run``, ``advance_high_water``)
commit the session they are given: each is one unit of work that either lands whole or not at
all, so callers never see a half-written batch. Readers leave the session as it was.

Layout: ``plan`` (how a stored notice is updated: pure), ``rows`` (notices to rows and back),
``batch`` (one batch, one transaction, retried on a race), ``upsert`` (the batched notice upsert
with its change history), ``results`` (protocols, contracts and purchase summaries; the register
of unfair suppliers' entries through ``unfair``),
``readers`` (the reads), ``runs`` (crawl runs and high-water marks). This package exports them
all by name.
"""

from __future__ import annotations

from data.store.plan import (
    BOOKKEEPING_FIELDS,
    CARD_AUTHORITATIVE,
    DATETIME_FIELDS,
    ITEM_FIELDS,
    KEYS_PER_QUERY,
    MAX_BATCH_ATTEMPTS,
    NOTICE_COLUMNS,
    TRACKED_FIELDS,
    TRANSIENT_SQLSTATES,
    Key,
    UpsertResult,
    changed_fields,
    dedupe,
    is_newer,
    is_older,
    plan_update,
)
from data.store.readers import (
    AmbiguousNotice,
    NoticeSummary,
    StoredVersion,
    SummaryRow,
    get_notice,
    has_notices,
    notice_changes,
    notice_id_of,
    notice_summary,
    notices_changed_since,
    notices_to_follow,
    open_notices,
    stored_versions,
)
from data.store.results import (
    RESULT_MILESTONES,
    ResultDocument,
    ResultsStored,
    link_results,
    purchases_awaiting_results,
    upsert_results,
)
from data.store.rows import notice_from_row
from data.store.runs import (
    ABANDONED_AFTER,
    RunProgress,
    advance_high_water,
    close_abandoned_runs,
    crawl_run_alive,
    finish_crawl_run,
    get_high_water,
    last_finished_run,
    start_crawl_run,
)
from data.store.upsert import (
    upsert_notices,
)

__all__ = [
    "ABANDONED_AFTER",
    "BOOKKEEPING_FIELDS",
    "CARD_AUTHORITATIVE",
    "DATETIME_FIELDS",
    "ITEM_FIELDS",
    "KEYS_PER_QUERY",
    "MAX_BATCH_ATTEMPTS",
    "NOTICE_COLUMNS",
    "RESULT_MILESTONES",
    "TRACKED_FIELDS",
    "TRANSIENT_SQLSTATES",
    "AmbiguousNotice",
    "Key",
    "NoticeSummary",
    "ResultDocument",
    "ResultsStored",
    "RunProgress",
    "StoredVersion",
    "SummaryRow",
    "UpsertResult",
    "advance_high_water",
    "changed_fields",
    "close_abandoned_runs",
    "crawl_run_alive",
    "dedupe",
    "finish_crawl_run",
    "get_high_water",
    "get_notice",
    "has_notices",
    "is_newer",
    "is_older",
    "last_finished_run",
    "link_results",
    "notice_changes",
    "notice_from_row",
    "notice_id_of",
    "notice_summary",
    "notices_changed_since",
    "notices_to_follow",
    "open_notices",
    "plan_update",
    "purchases_awaiting_results",
    "start_crawl_run",
    "stored_versions",
    "upsert_notices",
    "upsert_results",
]
