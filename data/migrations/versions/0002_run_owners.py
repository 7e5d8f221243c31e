"""Owners and signs of life: who runs a crawl and holds an outbox claim, so a dead one is noticed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 00:00:00

* ``crawl_runs.owner`` / ``heartbeat_at``: a run whose process is gone (or silent for long) is
  closed instead of staying "running" for ever; ``listing_complete``: whether the crawl read its
  listing to the end (a crawl that did not is partial, and admins hear when that repeats).
* ``outbox.claim_owner``: the notifier process holding a claim, so a restart takes back at once
  the claims of a process that is gone instead of waiting for the lease.
"""

import sqlalchemy as sa
from alembic import op

import data.types

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(160)))
        batch_op.add_column(sa.Column("heartbeat_at", data.types.UTCDateTime(timezone=True)))
        batch_op.add_column(sa.Column("listing_complete", sa.Boolean()))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_owner", sa.String(160)))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claim_owner")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("listing_complete")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("owner")
