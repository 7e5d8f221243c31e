"""First run: a crawl into an EMPTY database records what exists without alerting.

Unless ``scheduler.alert_on_first_run``, a new install does not flood the team with hundreds of
old tenders. Its alert rows are written as already delivered with ``payload.seeded = true``: the
outbox stays the one place that says what a chat has been told, and a later ``tenderwatch
notify`` or ``bot`` will not send them either. The decision is made once per database, not per
source, because the seeding covers every match stored: a source added to an install that already
has notices must alert its new matches, not swallow the other sources' ones. It is kept in
``crawl_state`` (source ``serve``) so it survives restarts: key ``first-run`` is written before
the first crawl into an empty database, key ``seeded`` once that crawl (or an install that
already had notices) is settled. Every crawl that started while ``first-run`` was pending
seeds, so sources crawling side by side on a new install all stay quiet.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from data.store import advance_high_water
from data.store import get_high_water
from data.store import has_notices

log = logging.getLogger(__name__)

SEED_STATE_SOURCE = "serve"
"""``crawl_state`` source of the service's own marks (``FIRST_RUN_KEY``, ``SEEDED_KEY``)."""
FIRST_RUN_KEY = "first-run"
"""Written before the first crawl into an empty database: the crawls from then on seed."""
SEEDED_KEY = "seeded"
"""Written once first-run seeding is done, or at once when the database already had notices."""


def first_run_pending(session: Session, *, now: datetime) -> bool:
    """True while the database's first crawl is being seeded; decided once and kept in crawl_state.

    With neither mark present this is the first crawl ever: an empty notices table makes it a
    first run (``FIRST_RUN_KEY``); notices already there make it an existing install that never
    seeds (``SEEDED_KEY`` at once).
    """
    if get_high_water(session, source=SEED_STATE_SOURCE, search_key=SEEDED_KEY) is not None:
        return False
    if get_high_water(session, source=SEED_STATE_SOURCE, search_key=FIRST_RUN_KEY) is not None:
        return True
    empty = not has_notices(session)
    if not empty:
        log.info("the database already has notices: no first-run seeding, new matches are alerted")
    key = FIRST_RUN_KEY if empty else SEEDED_KEY
    advance_high_water(session, source=SEED_STATE_SOURCE, search_key=key, seen=now)
    return empty
