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

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.create_table(
        "near_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("keyword", sa.String(length=256), nullable=False),
        sa.Column("word", sa.String(length=128), nullable=False),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_near_misses_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_near_misses_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_near_misses")),
        sa.UniqueConstraint("notice_id", "profile_id", name=op.f("uq_near_misses_notice_id_profile_id")),
    )
    op.create_index(op.f("ix_near_misses_created_at"), "near_misses", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_near_misses_created_at"), table_name="near_misses")
    op.drop_table("near_misses")
