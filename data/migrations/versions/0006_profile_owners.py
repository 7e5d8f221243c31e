"""Profiles people make in the bot belong to them: who made it, so only they see and change it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 00:00:00

Personal filters (issue 17 item 2) are ``origin = "db"`` profiles with their Telegram user id
here; settings profiles and earlier bot profiles keep None (nobody's own, managed by admins).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    """Nullable: profiles made before this, and every profile of ``settings.toml``, belong to
    nobody and stay the admins' to change."""
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("owner_user_id")
