"""Delivery regions read from a notice's words, with where they were read.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 00:00:00

Issue 14 item 4: a head office buying for a branch names the place only in the title or a
position («для филиала … в г. Новосибирске»). The match run stores the regions it read there and
used in place of the card's, one row per (notice, region); a new table only.
"""

import sqlalchemy as sa
from alembic import op

import data.types

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    op.create_table(
        "notice_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("words", sa.String(length=256), nullable=False),
        sa.Column("found_at", data.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_places_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_places")),
        sa.UniqueConstraint("notice_id", "region", name=op.f("uq_notice_places_notice_id_region")),
    )


def downgrade() -> None:
    op.drop_table("notice_places")
