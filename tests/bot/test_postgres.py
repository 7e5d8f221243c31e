"""The outbox on PostgreSQL: idempotent enqueue, claims that exclude each other, crash recovery."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.notifier import ConsoleSender
from bot.notifier import Notifier
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.store import outbox
from tests.bot.factories import NOW
from tests.bot.factories import seed_matches

PG_URL = os.environ.get("TENDERWATCH_TEST_POSTGRES_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL, reason="TENDERWATCH_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped"
    ),
]


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    name = "tw_bot_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(make_engine(PG_URL).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


async def test_outbox_on_postgres(pg_engine):
    seed_matches(pg_engine, [-100, 5], 3)
    with session_scope(pg_engine) as session:
        assert outbox.enqueue_matches(session, now=NOW) == 6
        assert outbox.enqueue_matches(session, now=NOW) == 0
    with session_scope(pg_engine) as first, session_scope(pg_engine) as second:
        a = outbox.claim(first, token="a", now=NOW - timedelta(minutes=10), limit=4)
        first.commit()
        b = outbox.claim(second, token="b", now=NOW - timedelta(minutes=10), limit=4)
    assert (len(a), len(b)) == (4, 2) and not {r.id for r in a} & {r.id for r in b}

    out = io.StringIO()
    report = await Notifier(pg_engine, ConsoleSender(out), clock=lambda: NOW, digest_threshold=5).drain_once()

    assert (report.requeued_stale, report.sent, report.messages) == (6, 6, 6)
    assert out.getvalue().count("→ чат") == 6
    with session_scope(pg_engine) as session:
        statuses = session.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status")).all()
    assert statuses == [("sent", 6)]
