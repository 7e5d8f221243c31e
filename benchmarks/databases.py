"""Throwaway databases for the benchmarks: a temporary SQLite file, and a PostgreSQL database
created and dropped on the server that ``TENDERWATCH_TEST_POSTGRES_URL`` names (an admin URL)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from data.db import normalize_url

POSTGRES_ENV = "TENDERWATCH_TEST_POSTGRES_URL"


@contextmanager
def sqlite_db() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="tw_bench_") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_db() -> Iterator[str]:
    admin_url = normalize_url(os.environ[POSTGRES_ENV])
    name = f"tw_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
