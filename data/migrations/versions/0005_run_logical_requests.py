"""The crawl's own error-rate denominator on its run row, so ``report crawls`` shows the same rate.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00

A crawl judges itself on errors per request it asked for (retries not counted); the run row kept
only every request sent, retries included, so ``report crawls`` showed a lower rate than the
crawl's own line (issue 17 item 6). Runs recorded before keep None and are shown as before.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logical_requests", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("logical_requests")
