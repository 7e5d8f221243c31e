"""Entries of the register of unfair suppliers (РНП).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 00:00:00

Issue 10 item 6: the register's entries as the EIS's search of it lists them (registry number,
register, INN, name, inclusion, update and planned exclusion dates, status, ЕРУЗ number), one row
per entry, so customer and competitor views can say whether a supplier is in it; and when each INN
was last looked up (`unfair_checks`). New tables only.
"""

import sqlalchemy as sa
from alembic import op

import data.types
from data.migrations.conventions import create_index
from data.migrations.conventions import create_table
from data.migrations.conventions import unique

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    """``unfair_checks`` tells an INN looked up and not listed (a check row, no entry) from an INN
    never looked up (neither)."""
    create_table(
        "unfair_suppliers",
        sa.Column("registry_number", sa.String(length=32), nullable=False),
        sa.Column("listed_under", sa.String(length=32), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("included_on", sa.Date()),
        sa.Column("updated_on", sa.Date()),
        sa.Column("exclusion_planned_on", sa.Date()),
        sa.Column("status", sa.String(length=32)),
        sa.Column("eruz_number", sa.String(length=32)),
        sa.Column("reason", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("source", sa.String(length=32)),
        sa.Column("first_seen_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("unfair_suppliers", "registry_number"),
    )
    create_index("unfair_suppliers", "inn")
    create_table(
        "unfair_checks",
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("checked_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        unique("unfair_checks", "inn"),
    )


def downgrade() -> None:
    op.drop_table("unfair_checks")
    op.drop_index(op.f("ix_unfair_suppliers_inn"), table_name="unfair_suppliers")
    op.drop_table("unfair_suppliers")
