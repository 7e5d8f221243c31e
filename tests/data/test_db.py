"""Engines, sessions, migrations and the exact column types, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from data.db import current_revision
from data.db import head_revision
from data.db import make_engine
from data.db import normalize_url
from data.db import session_scope
from data.db import upgrade
from data.errors import DatabaseUrlError
from data.models import NoticeItemRow
from data.models import NoticeRow
from data.store import notice_id_of

notices = NoticeRow.__table__
items = NoticeItemRow.__table__


def insert_notice(conn: sa.Connection, reg_number: str = "1", **values) -> int:
    row = {"law": "44-FZ", "reg_number": reg_number, "first_seen_at": datetime.now(UTC)}
    row["changed_at"] = row["first_seen_at"]
    return conn.execute(notices.insert().values(**row, **values).returning(notices.c.id)).scalar_one()


# --- URLs and engines -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/tw", "postgresql+psycopg://u:p@h:5432/tw"),
        ("postgres://u@h/tw", "postgresql+psycopg://u@h/tw"),
        ("postgresql+psycopg://u@h/tw", "postgresql+psycopg://u@h/tw"),
        ("sqlite:///var/tenderwatch.db", "sqlite:///var/tenderwatch.db"),
    ],
)
def test_normalize_url_pins_psycopg3(url: str, expected: str) -> None:
    assert normalize_url(url).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/tw", "database backend 'mysql' is not supported"),
        ("postgresql+psycopg2://u@h/tw", "driver 'psycopg2'; Tenderwatch uses psycopg 3"),
        ("not a url", "database URL 'not a url' is not valid"),
    ],
)
def test_unsupported_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError, match=message):
        normalize_url(url)


def test_sqlite_engine_creates_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "tw.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    assert path.parent.is_dir()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


def test_upgrade_from_url_works_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'tw.db'}"
    assert upgrade(url) == head_revision() == "0010"
    assert upgrade(url) == "0010"
    engine = make_engine(url)
    assert current_revision(engine) == "0010"
    assert set(sa.inspect(engine).get_table_names()) == {t.name for t in SQLModel.metadata.sorted_tables} | {
        "alembic_version"
    }
    engine.dispose()


# --- on both backends -------------------------------------------------------------------------


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert upgrade(engine) == "0010"  # idempotent on an up-to-date database
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diffs == []


def test_session_scope_commits_or_rolls_back(engine: Engine) -> None:
    with session_scope(engine) as session:
        insert_notice(session.connection(), "kept")
    with pytest.raises(RuntimeError, match="boom"), session_scope(engine) as session:
        insert_notice(session.connection(), "dropped")
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert notice_id_of(session, law="44-FZ", reg_number="kept") == 1
        assert notice_id_of(session, law="44-FZ", reg_number="dropped") is None


@pytest.mark.parametrize("amount", ["388050008.20", "0.5", "0.01", "123456789012345.6789", "0"])
def test_money_round_trips_exactly(engine: Engine, amount: str) -> None:
    with engine.begin() as conn:
        notice_id = insert_notice(conn, nmck=Decimal(amount), bid_security_percent=Decimal(amount))
        stored = conn.execute(sa.select(notices.c.nmck).where(notices.c.id == notice_id)).scalar_one()
    assert isinstance(stored, Decimal)
    assert str(stored) == amount


def test_money_refuses_float(engine: Engine) -> None:
    with (
        pytest.raises(StatementError, match=r"money/quantity must be Decimal, got float 0\.1"),
        engine.begin() as conn,
    ):
        insert_notice(conn, nmck=0.1)


def test_datetimes_are_aware_in_and_out(engine: Engine) -> None:
    moscow = datetime(2025, 3, 11, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    with engine.begin() as conn:
        notice_id = insert_notice(conn, submission_deadline=moscow)
        stored = conn.execute(
            sa.select(notices.c.submission_deadline).where(notices.c.id == notice_id)
        ).scalar_one()
        ordered = (
            conn.execute(
                sa.select(notices.c.id).where(
                    notices.c.submission_deadline > datetime(2025, 3, 11, 5, 59, tzinfo=UTC)
                )
            )
            .scalars()
            .all()
        )
    assert stored == datetime(2025, 3, 11, 6, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC
    assert ordered == [notice_id]


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with (
        pytest.raises(StatementError, match=r"naive datetime 2025-03-11T09:00:00 refused"),
        engine.begin() as conn,
    ):
        insert_notice(conn, published_at=datetime(2025, 3, 11, 9, 0))


def test_foreign_keys_are_enforced_and_cascade(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(items.insert().values(notice_id=999, position=1, name="x"))
    with engine.begin() as conn:
        notice_id = insert_notice(conn)
        conn.execute(items.insert().values(notice_id=notice_id, position=1, name="x"))
        conn.execute(notices.delete().where(notices.c.id == notice_id))
        assert conn.execute(sa.select(sa.func.count()).select_from(items)).scalar_one() == 0


def test_unique_notice_key_is_enforced_by_the_database(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_notice(conn, "dup")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_notice(conn, "dup")


def test_an_unparsable_url_is_reported_without_its_password():
    with pytest.raises(DatabaseUrlError) as exc:
        normalize_url("postgresql://tw:s3cret@db:notaport/tw")
    assert "s3cret" not in str(exc.value)
    assert "tw:***@db:notaport/tw" in str(exc.value)


def test_migration_0003_takes_updated_day_only_from_the_old_notes(tmp_path) -> None:
    """Rows stored before 0003 said «updated_at is a day» in a note; the column now says it."""
    from alembic import command

    from data.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    now = "2026-12-03 00:00:00.000000"
    with engine.begin() as conn:
        for reg, notes in (("1", '["the source gives dates only: published/…"]'), ("2", "[]")):
            conn.execute(
                sa.text(
                    "INSERT INTO notices (reg_number, law, kind, title, smp_only, completeness, notes, "
                    "okpd2, ktru, delivery_places, delivery_regions, preferences, first_seen_at, changed_at) "
                    "VALUES (:reg, '44-FZ', 'auction', 't', 0, 'listing', :notes, '[]', '[]', '[]', '[]', "
                    "'[]', :now, :now)"
                ),
                {"reg": reg, "notes": notes, "now": now},
            )
    assert upgrade(engine, revision="0003") == "0003"
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT reg_number, updated_day_only FROM notices ORDER BY reg_number"))
        assert [tuple(r) for r in rows] == [("1", 1), ("2", 0)]
    engine.dispose()
