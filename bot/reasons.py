"""Why a tender is in front of a chat: the reasons every message about it shows.

An alert row stands for the notice's matches; a «Возможно, интересно» row for the near misses of
the profiles routed to that chat (its payload names them). The digest, the card its «N ▸» opens and
the card re-drawn after a take or skip read them here, so all three say the same thing.
"""

from __future__ import annotations

from sqlmodel import Session

from bidder.near_miss import near_miss_reasons
from data.models import OutboxRow
from data.store import chats
from data.store.near_misses import near_misses_of


def reasons_for(session: Session, row: OutboxRow) -> dict[str, list[object]]:
    """Profile -> reasons of the tender of ``row``, as that row's chat should see them."""
    if row.kind == "near_miss":
        stored = near_misses_of(session, notice_id=row.notice_id)
        return near_miss_reasons(stored, row.payload.get("profiles") or [])
    return chats.match_reasons(session, notice_id=row.notice_id)
