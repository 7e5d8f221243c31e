"""The ``matches`` table: one verdict per (notice, profile), written only when it differs.

``tenderwatch.matching`` decides the verdicts and counts them; this module keeps them. A row holds
what the matcher said last (matched, score, reasons, near-miss failures) and the notice version it
judged, so re-running on an unchanged notice writes nothing and alerts are not re-triggered.
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Literal

import sqlalchemy as sa

from data.models import MATCHES
from data.store.plan import KEYS_PER_QUERY


@dataclass(frozen=True)
class Verdict:
    """What a row of ``matches`` keeps of one profile's verdict on one notice version."""

    matched: bool
    score: float
    reasons: list[str]
    near_miss: list[str]
    notice_version: int | None


def stored_verdicts(
    conn: sa.Connection, notice_ids: list[int], names: dict[int, str]
) -> dict[int, dict[str, dict[str, Any]]]:
    """Notice id -> profile name -> its stored row, for the profiles in ``names`` (id -> name)."""
    found: dict[int, dict[str, dict[str, Any]]] = {i: {} for i in notice_ids}
    for start in range(0, len(notice_ids), KEYS_PER_QUERY):
        chunk = notice_ids[start : start + KEYS_PER_QUERY]
        for row in conn.execute(sa.select(MATCHES).where(MATCHES.c.notice_id.in_(chunk))).mappings():
            name = names.get(row["profile_id"])
            if name is not None:
                found[row["notice_id"]][name] = dict(row)
    return found


def write_verdict(
    conn: sa.Connection,
    *,
    notice_id: int,
    profile_id: int,
    verdict: Verdict,
    stored: dict[str, Any] | None,
    now: datetime,
) -> Literal["new", "changed", "unchanged"]:
    """Insert the verdict, or update the stored row when any of its values differ."""
    values = asdict(verdict)
    if stored is None:
        conn.execute(
            MATCHES.insert().values(
                notice_id=notice_id, profile_id=profile_id, created_at=now, updated_at=now, **values
            )
        )
        return "new"
    if all(stored[k] == v for k, v in values.items()):
        return "unchanged"
    conn.execute(MATCHES.update().where(MATCHES.c.id == stored["id"]).values(updated_at=now, **values))
    return "changed"
