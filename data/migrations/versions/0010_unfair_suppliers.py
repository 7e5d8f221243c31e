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

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    op.create_table(
        "unfair_suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unfair_suppliers")),
        sa.UniqueConstraint("registry_number", name=op.f("uq_unfair_suppliers_registry_number")),
    )
    op.create_index(op.f("ix_unfair_suppliers_inn"), "unfair_suppliers", ["inn"], unique=False)
    op.create_table(
        "unfair_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("checked_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unfair_checks")),
        sa.UniqueConstraint("inn", name=op.f("uq_unfair_checks_inn")),
    )


def downgrade() -> None:
    op.drop_table("unfair_checks")
    op.drop_index(op.f("ix_unfair_suppliers_inn"), table_name="unfair_suppliers")
    op.drop_table("unfair_suppliers")
