"""Whether a notice's update time is a day: an explicit column instead of a note's wording.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 00:00:00

The crawler compared updates by day when a stored note said so in words; ``updated_day_only``
says it as data. Existing rows get it from those notes.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"

DAY_ONLY_NOTES = (
    "updated_at is the listing's update date",
    "the source gives dates only",
)
"""The beginnings of the two notes that meant it (crawler.spiders.base, crawler.parsers.common)."""


def upgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_day_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    notices = sa.table("notices", sa.column("notes", sa.Text), sa.column("updated_day_only", sa.Boolean))
    notes = sa.cast(notices.c.notes, sa.Text)
    op.execute(
        notices.update()
        .where(sa.or_(*(notes.contains(text) for text in DAY_ONLY_NOTES)))
        .values(updated_day_only=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("updated_day_only")
