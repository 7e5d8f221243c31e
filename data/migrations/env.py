"""Alembic environment: runs against the connection ``data.db.upgrade`` hands over, or a URL.

From the command line (``alembic -c data/migrations/alembic.ini ...``) the URL comes from
``TENDERWATCH_DATABASE__URL`` (default: the SQLite file under var/), so developers can
autogenerate a revision without any extra configuration.
"""

from __future__ import annotations

import os
from typing import Any
from typing import Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import data.models  # noqa: F401 - registers every table on the metadata
from data.db import make_engine

target_metadata = SQLModel.metadata
DEFAULT_URL = "sqlite:///var/tenderwatch.db"


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render SQLModel's AutoString as the plain ``sa.String`` it is, so revisions don't import sqlmodel."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String({obj.length or ''})"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need table copies
        compare_type=True,
        user_module_prefix="data.types.",
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "TENDERWATCH_DATABASE__URL", DEFAULT_URL
    )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
