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
from data.migrations.conventions import create_table
from data.migrations.conventions import reference
from data.migrations.conventions import unique

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    create_table(
        "notice_places",
        *reference("notice_places", "notice_id", "notices"),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("words", sa.String(length=256), nullable=False),
        sa.Column("found_at", data.types.UTCDateTime(), nullable=False),
        unique("notice_places", "notice_id", "region"),
    )


def downgrade() -> None:
    op.drop_table("notice_places")
