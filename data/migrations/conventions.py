"""The schema's conventions, spelled out once for the migrations instead of once per table: every
table's integer ``id`` primary key, and the constraint and index names of ``data.models``'s
naming convention.

Migrations are history: a database upgraded years ago ran them as they read then. These functions
must keep returning what they return today; a new convention would get new functions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def primary_key(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def reference(table: str, column: str, target: str) -> list[sa.schema.SchemaItem]:
    """A required ``column`` that refers to ``target.id``: deleting the target row deletes this one."""
    name = op.f(f"fk_{table}_{column}_{target}")
    return [
        sa.Column(column, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete="CASCADE"),
    ]


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def create_index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def create_table(table: str, *items: sa.schema.SchemaItem) -> None:
    """``op.create_table`` with the key every table has: an integer ``id``, first, as its primary key."""
    op.create_table(table, sa.Column("id", sa.Integer(), nullable=False), *items, primary_key(table))
