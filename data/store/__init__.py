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

from data.store.plan import BOOKKEEPING_FIELDS
from data.store.plan import CARD_AUTHORITATIVE
from data.store.plan import DATETIME_FIELDS
from data.store.plan import ITEM_FIELDS
from data.store.plan import KEYS_PER_QUERY
from data.store.plan import MAX_BATCH_ATTEMPTS
from data.store.plan import NOTICE_COLUMNS
from data.store.plan import TRACKED_FIELDS
from data.store.plan import TRANSIENT_SQLSTATES
from data.store.plan import Key
from data.store.plan import UpsertResult
from data.store.plan import changed_fields
from data.store.plan import dedupe
from data.store.plan import is_newer
from data.store.plan import is_older
from data.store.plan import plan_update
from data.store.readers import AmbiguousNotice
from data.store.readers import NoticeSummary
from data.store.readers import StoredVersion
from data.store.readers import SummaryRow
from data.store.readers import get_notice
from data.store.readers import has_notices
from data.store.readers import notice_changes
from data.store.readers import notice_id_of
from data.store.readers import notice_summary
from data.store.readers import notices_changed_since
from data.store.readers import notices_to_follow
from data.store.readers import open_notices
from data.store.readers import stored_versions
from data.store.results import RESULT_MILESTONES
from data.store.results import ResultDocument
from data.store.results import ResultsStored
from data.store.results import link_results
from data.store.results import purchases_awaiting_results
from data.store.results import upsert_results
from data.store.rows import notice_from_row
from data.store.runs import ABANDONED_AFTER
from data.store.runs import RunProgress
from data.store.runs import advance_high_water
from data.store.runs import close_abandoned_runs
from data.store.runs import crawl_run_alive
from data.store.runs import finish_crawl_run
from data.store.runs import get_high_water
from data.store.runs import last_finished_run
from data.store.runs import start_crawl_run
from data.store.upsert import upsert_notices

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
