"""Near misses by meaning: notices a profile nearly matched, kept apart from the matches.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 00:00:00

Issue 14 item 3: a notice whose title lies close to a profile's keyword in the word vectors while
every other condition holds. One row per (notice, profile), replaced when the notice is matched
again; a new table only.
"""

import sqlalchemy as sa
from alembic import op

import data.types
from data.migrations.conventions import create_index
from data.migrations.conventions import create_table
from data.migrations.conventions import reference
from data.migrations.conventions import unique

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    create_table(
        "near_misses",
        *reference("near_misses", "notice_id", "notices"),
        *reference("near_misses", "profile_id", "profiles"),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("keyword", sa.String(256), nullable=False),
        sa.Column("word", sa.String(128), nullable=False),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("near_misses", "notice_id", "profile_id"),
    )
    create_index("near_misses", "created_at")


def downgrade() -> None:
    op.drop_index(op.f("ix_near_misses_created_at"), table_name="near_misses")
    op.drop_table("near_misses")
