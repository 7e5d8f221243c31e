"""Initial schema: notices and their history, crawl runs, profiles, matches, chats, outbox, decisions.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import data.types
from data.migrations.conventions import create_index
from data.migrations.conventions import create_table
from data.migrations.conventions import reference
from data.migrations.conventions import unique

# data.types.JSONData (JSON; JSONB on PostgreSQL) as it was when this was written: a migration must not
# change when the model's type does.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    create_table(
        "allowed_users",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.BigInteger()),
        sa.Column("added_at", data.types.UTCDateTime(), nullable=False),
        unique("allowed_users", "user_id"),
    )
    create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("migrated_to_chat_id", sa.BigInteger()),
        sa.Column("added_by", sa.BigInteger()),
        sa.Column("paused_profiles", JSON, nullable=False),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("chats", "chat_id"),
    )
    create_table(
        "crawl_runs",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("arguments", JSON, nullable=False),
        sa.Column("started_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", data.types.UTCDateTime()),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("notices_new", sa.Integer(), nullable=False),
        sa.Column("notices_changed", sa.Integer(), nullable=False),
        sa.Column("notices_unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("errors_by_kind", JSON, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.CheckConstraint(
            "outcome IN ('running', 'ok', 'partial', 'failed')", name=op.f("ck_crawl_runs_outcome_allowed")
        ),
    )
    create_index("crawl_runs", "source", "started_at")

    create_table(
        "crawl_state",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("search_key", sa.String(length=255), nullable=False),
        sa.Column("high_water", data.types.UTCDateTime()),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("crawl_state", "source", "search_key"),
    )
    create_table(
        "notices",
        sa.Column("law", sa.String(length=8), nullable=False),
        sa.Column("reg_number", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("method_code", sa.String()),
        sa.Column("method", sa.String()),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String()),
        sa.Column("customer_name", sa.Text()),
        sa.Column("customer_inn", sa.String(length=12)),
        sa.Column("customer_region", sa.String(length=2)),
        sa.Column("delivery_places", JSON, nullable=False),
        sa.Column("delivery_regions", JSON, nullable=False),
        sa.Column("nmck", data.types.ExactDecimal()),
        sa.Column("currency", sa.String(length=8)),
        sa.Column(
            "okpd2",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ktru", JSON, nullable=False),
        sa.Column("published_at", data.types.UTCDateTime()),
        sa.Column("updated_at", data.types.UTCDateTime()),
        sa.Column("submission_deadline", data.types.UTCDateTime()),
        sa.Column("auction_date", sa.Date()),
        sa.Column("bid_security", data.types.ExactDecimal()),
        sa.Column("bid_security_percent", data.types.ExactDecimal()),
        sa.Column("contract_security", data.types.ExactDecimal()),
        sa.Column("contract_security_percent", data.types.ExactDecimal()),
        sa.Column("smp_only", sa.Boolean(), nullable=False),
        sa.Column("preferences", JSON, nullable=False),
        sa.Column("etp_name", sa.String()),
        sa.Column("etp_url", sa.String()),
        sa.Column("ikz", sa.String(length=64)),
        sa.Column("url", sa.Text()),
        sa.Column("source", sa.String()),
        sa.Column("completeness", sa.String(length=8), nullable=False),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("first_seen_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", data.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "completeness IN ('card', 'listing')", name=op.f("ck_notices_completeness_allowed")
        ),
        unique("notices", "law", "reg_number"),
    )
    create_index("notices", "customer_inn")
    create_index("notices", "customer_region")
    create_index("notices", "kind")
    create_index("notices", "published_at")
    create_index("notices", "submission_deadline")
    create_index("notices", "updated_at")

    create_table(
        "profiles",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("origin IN ('settings', 'db')", name=op.f("ck_profiles_origin_allowed")),
        unique("profiles", "name"),
    )
    create_table(
        "decisions",
        *reference("decisions", "notice_id", "notices"),
        *reference("decisions", "chat_id", "chats"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String()),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("decided_at", data.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("action IN ('take', 'skip')", name=op.f("ck_decisions_action_allowed")),
        unique("decisions", "notice_id", "chat_id", "user_id"),
    )
    create_index("decisions", "action", "decided_at")

    create_table(
        "matches",
        *reference("matches", "notice_id", "notices"),
        *reference("matches", "profile_id", "profiles"),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("near_miss", JSON, nullable=False),
        sa.Column("notice_version", sa.Integer()),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("matches", "notice_id", "profile_id"),
    )
    create_index("matches", "profile_id", "matched")

    create_table(
        "notice_changes",
        *reference("notice_changes", "notice_id", "notices"),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", JSON),
        sa.Column("new_value", JSON),
        sa.Column("old_version", sa.Integer()),
        sa.Column("new_version", sa.Integer()),
        sa.Column("changed_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String()),
    )
    create_index("notice_changes", "notice_id", "changed_at")

    create_table(
        "notice_items",
        *reference("notice_items", "notice_id", "notices"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("okpd2", sa.String()),
        sa.Column("ktru", sa.String()),
        sa.Column("quantity", data.types.ExactDecimal()),
        sa.Column("unit", sa.String()),
        sa.Column("price", data.types.ExactDecimal()),
        sa.Column("sum", data.types.ExactDecimal()),
        unique("notice_items", "notice_id", "position"),
    )
    create_index("notice_items", "okpd2")

    create_table(
        "outbox",
        *reference("outbox", "notice_id", "notices"),
        *reference("outbox", "chat_id", "chats"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", data.types.UTCDateTime()),
        sa.Column("claimed_at", data.types.UTCDateTime()),
        sa.Column("claim_token", sa.String(length=64)),
        sa.Column("sent_at", data.types.UTCDateTime()),
        sa.Column("message_id", sa.BigInteger()),
        sa.Column("last_error", sa.Text()),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('alert', 'change', 'reminder', 'digest')", name=op.f("ck_outbox_kind_allowed")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'failed', 'parked')",
            name=op.f("ck_outbox_status_allowed"),
        ),
        unique("outbox", "notice_id", "chat_id", "kind", "event_key"),
    )
    create_index("outbox", "chat_id", "status", "not_before")
    create_index("outbox", "status", "not_before")


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_status_not_before"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_chat_id_status_not_before"), table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_notice_items_okpd2"), table_name="notice_items")

    op.drop_table("notice_items")
    op.drop_index(op.f("ix_notice_changes_notice_id_changed_at"), table_name="notice_changes")

    op.drop_table("notice_changes")
    op.drop_index(op.f("ix_matches_profile_id_matched"), table_name="matches")

    op.drop_table("matches")
    op.drop_index(op.f("ix_decisions_action_decided_at"), table_name="decisions")

    op.drop_table("decisions")
    op.drop_table("profiles")
    op.drop_index(op.f("ix_notices_updated_at"), table_name="notices")
    op.drop_index(op.f("ix_notices_submission_deadline"), table_name="notices")
    op.drop_index(op.f("ix_notices_published_at"), table_name="notices")
    op.drop_index(op.f("ix_notices_kind"), table_name="notices")
    op.drop_index(op.f("ix_notices_customer_region"), table_name="notices")
    op.drop_index(op.f("ix_notices_customer_inn"), table_name="notices")

    op.drop_table("notices")
    op.drop_table("crawl_state")
    op.drop_index(op.f("ix_crawl_runs_source_started_at"), table_name="crawl_runs")

    op.drop_table("crawl_runs")
    op.drop_table("chats")
    op.drop_table("allowed_users")
