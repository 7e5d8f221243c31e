"""The outbox carries near misses: the daily «Возможно, интересно» digest of the chats.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 00:00:00

Issue 14 item 3: near misses (``near_misses``) go to the profiles' chats once a day as one digest,
through the outbox like every other message (exactly once, parked on an unknown delivery). Only the
CHECK constraint of ``outbox.kind`` changes (SQLite rebuilds the table in batch mode).
"""

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"

BEFORE = "kind IN ('alert', 'change', 'reminder', 'digest')"
AFTER = "kind IN ('alert', 'change', 'reminder', 'digest', 'near_miss')"


def _kinds(allowed: str) -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_kind_allowed"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_kind_allowed"), allowed)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE kind = 'near_miss'")
    _kinds(BEFORE)
