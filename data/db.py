"""Engines, sessions and schema migrations for SQLite (the default) and PostgreSQL.

Everything that depends on the backend (pragmas, drivers, the exact-decimal aggregate) is set up
here once, so the store functions are written against one dialect-neutral API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from typing import cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from data.errors import DatabaseError
from data.errors import DatabaseUrlError
from data.errors import MigrationError
from data.types import DecimalSum

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another writer's lock before failing (crawler vs. import vs. bot)."""


def mask_url(url: str) -> str:
    """Hide a password in a database URL (``postgresql://u:secret@h/db`` -> ``u:***@h``).

    Used wherever a URL reaches a message or a log, including the errors raised here.
    """
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


def normalize_url(url: str) -> sa.URL:
    """Parse ``url`` and pin PostgreSQL to psycopg 3 (plain ``postgresql://`` would pick psycopg2)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # a bad port is a ValueError
        raise DatabaseUrlError(f"database URL {mask_url(url)!r} is not valid: {exc}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise DatabaseUrlError(f"database URL uses driver {driver!r}; Tenderwatch uses psycopg 3")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed
    raise DatabaseUrlError(f"database backend {backend!r} is not supported (use sqlite:/// or postgresql://)")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for a memory database, a server, or a URL that is no URL."""
    try:
        parsed = normalize_url(url)
    except DatabaseUrlError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created and WAL + foreign keys are on."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    # No "insertmanyvalues": psycopg re-parses such long multi-row statements in Python on every
    # batch; its own executemany pipelines one prepared statement (2-3x faster here, see
    # benchmarks/bench_store.py). The store reads back inserted ids itself (data.store).
    return sa.create_engine(parsed, echo=echo, pool_pre_ping=True, use_insertmanyvalues=False)


def _sqlite_engine(url: sa.URL, *, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the bot read while the crawler writes; NORMAL sync is safe with WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
    dbapi_connection.create_aggregate("decimal_sum", 1, DecimalSum)


def database_failure(exc: SQLAlchemyError) -> str:
    """The driver's reason for a database error, in one line, without the SQL or its parameters.

    ``str()`` of a SQLAlchemy error appends ``[SQL: ...]`` and ``[parameters: ...]``: the
    statement buries the cause, and the parameters may carry scraped text or a chat's data.
    """
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc).split("\n[SQL:", 1)[0]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    reason = "; ".join(lines) if lines else type(orig or exc).__name__
    return reason[:300]


_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
"""PostgreSQL error classes of a database that cannot take the work: connection exceptions,
insufficient resources (disk full, out of memory), operator intervention (shutdown)."""
_UNAVAILABLE_SQLSTATES = frozenset({"42501", "25006"})
"""Insufficient privilege (a role without write grants), read-only transaction (a standby)."""
_UNAVAILABLE_SQLITE = re.compile(
    r"readonly database|disk is full|disk i/o error|unable to open database|database is locked", re.I
)


def database_unavailable(exc: SQLAlchemyError) -> bool:
    """Whether the error is the database's state (read-only, full, no grants, gone), not the data's.

    A batch that fails for such a reason fails the same way for each of its notices: retrying
    them one by one only multiplies the same error.
    """
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    return bool(_UNAVAILABLE_SQLITE.search(str(orig or exc)))


def rows_changed(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (SQLModel types ``Session.execute`` as returning a
    plain ``Result``; for these statements it is a ``CursorResult``, which counts them)."""
    return cast("sa.CursorResult[Any]", result).rowcount or 0


def upsert_into(bind: sa.Connection | Session, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the bind's dialect, which has ``on_conflict_do_nothing`` / ``_do_update``: the
    one way a row keyed by a unique column is written when another process may write it too."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def where(engine: Engine) -> str:
    """The engine's URL for messages, password hidden."""
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def database_errors(engine: Engine) -> Iterator[None]:
    """Turn a raw SQLAlchemy error into a ``DatabaseError`` naming the database and the cause."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise database_error(engine, exc) from exc


def database_error(engine: Engine, exc: SQLAlchemyError) -> DatabaseError:
    """The one wording of a database failure: the database (password hidden) and the driver's reason."""
    return DatabaseError(f"database {where(engine)}: {database_failure(exc)}")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back (and re-raises) otherwise.

    Database failures leave it as ``DatabaseError`` (one line, no SQL), so every caller reports
    a full disk or a read-only file the same way.
    """
    with database_errors(engine):
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


MIGRATION_LOCK_KEY = 0x7465_6E64_6572
"""PostgreSQL advisory-lock key ("tender") that serializes schema upgrades across processes."""


def upgrade(url_or_engine: str | Engine, *, revision: str = "head") -> str:
    """Create or upgrade the schema to ``revision``; safe to run repeatedly. Returns the revision reached.

    Safe to run from several processes at once (crawl workers starting together on a new
    database): PostgreSQL takes a transaction-scoped advisory lock first, SQLite an immediate
    write lock, so one process migrates and the others find the schema done when they get in.
    """
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        target = head_revision() if revision == "head" else revision
        reached = current_revision(engine) or ""
        if reached != target:  # at the target already: nothing to lock, and a read-only copy still opens
            with engine.begin() as connection:
                _lock_for_migration(connection)
                command.upgrade(alembic_config(connection), revision)
            reached = current_revision(engine) or ""
    except SQLAlchemyError as exc:
        raise MigrationError(f"migrating {where(engine)} failed: {database_failure(exc)}") from exc
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    log.info("database %s at revision %s", where(engine), reached)
    return reached


def _lock_for_migration(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # pysqlite opens its transaction lazily, at the first write; take the write lock up front,
        # or two processes both see "no alembic_version" and both create the schema.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_writable(engine: Engine) -> None:
    """Raise ``DatabaseError`` unless this process may write to the schema's tables.

    A read-only SQLite file, a full disk or a PostgreSQL role without write grants all pass a
    schema check that finds nothing to do; a no-op write, rolled back, finds them. ``WHERE
    false`` changes nothing but still needs the write lock (SQLite) and the grant (PostgreSQL).
    """
    with database_errors(engine), engine.connect() as connection:
        try:
            for table in ("alembic_version", "notices", "outbox", "crawl_runs"):
                connection.execute(sa.text(f"UPDATE {table} SET {_any_column(table)} WHERE 1 = 0"))
        finally:
            connection.rollback()


def _any_column(table: str) -> str:
    column = "version_num" if table == "alembic_version" else "id"
    return f"{column} = {column}"
