"""Issue items 5, 7 and 11: a database that refuses writes, and workers racing the migration.

Every command that writes is run as a real ``tenderwatch`` process against a database it may
read but not write: a read-only SQLite file and a PostgreSQL role with SELECT grants only (a
full disk fails the same way, as a driver error on the first write). Each must print one line
that names the database and the cause, with no traceback and no SQL, exit 1 (not the usage
code 2), and leave what is stored as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import head_revision
from data.db import make_engine
from data.db import normalize_url
from data.db import upgrade
from data.models import NoticeRow
from data.models import OutboxRow
from tests.conftest import PROJECT_ROOT
from tests.conftest import SAMPLES_DIR
from tests.crawler.crawl_helpers import NOW
from tests.data.conftest import POSTGRES_ENV
from tests.faults.ledger import record

ADMIN_CHAT = 990001
COMMANDS = ("init", "import", "match", "notify", "crawl", "serve")


def tenderwatch(args: list[str], db_url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TENDERWATCH_DATABASE__URL": db_url,
        "TENDERWATCH_SETTINGS": str(PROJECT_ROOT / "settings.toml"),
        "TENDERWATCH_TELEGRAM__TOKEN": "",
        "TENDERWATCH_TELEGRAM__DEFAULT_CHATS": f"[{ADMIN_CHAT}]",
        "TENDERWATCH_CRAWLER__DOWNLOAD_DELAY": "0",
        "TENDERWATCH_CRAWLER__AUTOTHROTTLE": "false",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "tenderwatch.cli", *args],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            notices = conn.scalar(sa.select(sa.func.count()).select_from(NoticeRow))
            rows = conn.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
    finally:
        engine.dispose()
    return int(notices or 0), int(rows or 0)


def _prepare(writer_url: str, cwd: Path) -> None:
    """A database with notices and matches in it, as a running install has (written with full rights)."""
    samples = [p for p in sorted(SAMPLES_DIR.glob("44fz_*.xml"))][:4]
    if not samples:
        pytest.skip(f"real EIS samples not found in {SAMPLES_DIR}")
    assert tenderwatch(["init"], writer_url, cwd).returncode == 0
    assert tenderwatch(["import", *map(str, samples)], writer_url, cwd).returncode == 0
    assert tenderwatch(["match", "--all"], writer_url, cwd).returncode == 0


def _args(command: str, replay_url: str) -> list[str]:
    return {
        "init": ["init"],
        "import": ["import", str(SAMPLES_DIR / "223fz_purchaseNotice_31603913641.xml")],
        "match": ["match", "--all"],
        "notify": ["notify"],
        "crawl": ["crawl", "eis"],
        "serve": ["serve", "--for", "5"],
    }[command]


def _problem(command: str, done: subprocess.CompletedProcess[str]) -> str | None:
    """What is wrong with how ``command`` failed, or None: exit 1, one line naming the database and
    the cause, no traceback, no SQL."""
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if done.returncode != 1 or "Traceback" in output or "[SQL" in output or len(errors) != 1:
        return f"{command}: exit {done.returncode}\n{output[-2000:]}"
    if "database" not in errors[0] or not re.search(r"read-?only|permission denied", errors[0]):
        return f"{command}: the error does not name the database and the cause: {errors[0]}"
    return None


def _check_commands(reader_url: str, writer_url: str, cwd: Path, backend: str) -> None:
    before = _counts(writer_url)
    with start_replay(build_snapshot(seed=3, count=20, now=NOW)) as replay, ThreadPoolExecutor(3) as pool:
        done = pool.map(
            lambda command: tenderwatch(
                _args(command, replay.url), reader_url, cwd, TENDERWATCH_CRAWLER__BASE_URL=replay.url
            ),
            COMMANDS,
        )
        problems = [p for p in map(_problem, COMMANDS, done) if p]
    after = _counts(writer_url)
    record(
        5,
        f"{backend}: write refused, every writing command",
        unit="commands",
        tried=len(COMMANDS),
        survived=len(COMMANDS) - len(problems),
        lost=(before[0] - after[0]) + (before[1] - after[1]),
    )
    assert problems == [], "\n\n".join(problems)
    assert after == before


@pytest.mark.slow
def test_every_writing_command_on_a_read_only_sqlite_file(tmp_path):
    path = tmp_path / "tw.db"
    writer = f"sqlite:///{path}"
    _prepare(writer, tmp_path)
    # As root a chmod does not stop writes; the read-only open mode fails them the same way.
    _check_commands(f"sqlite:///file:{path}?mode=ro&uri=true", writer, tmp_path, "SQLite read-only file")


@contextmanager
def postgres_database() -> Iterator[str]:
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} not set: the PostgreSQL fault cases need a server")
    admin = sa.create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"tw_fault_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield normalize_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def select_only_role(url: str) -> Iterator[str]:
    """A login role that may read every table of the database and write none."""
    role = f"tw_reader_{secrets.token_hex(4)}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    database = sa.make_url(url).database
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        yield sa.make_url(url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_every_writing_command_with_a_postgres_role_without_write_grants(tmp_path):
    with postgres_database() as writer:
        upgrade(writer)
        _prepare(writer, tmp_path)
        with select_only_role(writer) as reader:
            _check_commands(reader, writer, tmp_path, "PostgreSQL role with SELECT only")


# --- item 7: workers starting together on a new database ------------------------------------------


def _migrate(url: str, results: multiprocessing.Queue) -> None:
    try:
        results.put(upgrade(url))
    except Exception as exc:  # what the audit saw: UniqueViolation on alembic_version
        results.put(f"{type(exc).__name__}: {exc}")


def _race(url: str, workers: int = 4) -> list[str]:
    results: multiprocessing.Queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=_migrate, args=(url, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    return [results.get(timeout=5) for _ in processes]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_workers_starting_together_on_a_new_database_all_migrate(tmp_path, backend):
    rounds, workers, failed = 3, 4, []
    for attempt in range(rounds):
        if backend == "sqlite":
            failed += [
                r
                for r in _race(f"sqlite:///{tmp_path / f'new{attempt}.db'}", workers)
                if r != head_revision()
            ]
        else:
            with postgres_database() as url:
                failed += [r for r in _race(url, workers) if r != head_revision()]
    case = record(
        7,
        f"{backend}: {workers} workers migrating a new database at once",
        unit="workers",
        tried=rounds * workers,
        survived=rounds * workers - len(failed),
        lost=len(failed),
    )
    assert case.lost == 0, failed
