"""``notice_places``: delivery regions read from a notice's words, one row per region, replaced as a set."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import NoticeRow
from data.store import upsert_notices
from data.store.places import PlaceFound
from data.store.places import places_of
from data.store.places import replace_notice_places
from tests.bot.factories import NOW
from tests.bot.factories import make_notice


def test_a_place_is_stored_once_per_region_and_a_revision_replaces_the_set(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        upsert_notices(session, [make_notice()])
        conn = session.connection()
        notice_id = conn.execute(sa.select(NoticeRow.id)).scalar_one()
        title = PlaceFound("54", "title", "Новосибирске")
        assert places_of(conn, [notice_id]) == {notice_id: []}
        assert replace_notice_places(conn, notice_id=notice_id, found=[title, title], stored=[], now=NOW)
        stored = places_of(conn, [notice_id])[notice_id]
        assert stored == [title]
        assert not replace_notice_places(conn, notice_id=notice_id, found=[title], stored=stored, now=NOW)
        assert replace_notice_places(conn, notice_id=notice_id, found=[], stored=stored, now=NOW)
        assert places_of(conn, [notice_id]) == {notice_id: []}
        with pytest.raises(ValueError, match="place source 'address' is none of"):
            replace_notice_places(
                conn, notice_id=notice_id, found=[PlaceFound("54", "address", "x")], stored=[], now=NOW
            )
    engine.dispose()
