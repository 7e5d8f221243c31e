"""Results: protocols with their applications, contracts, suppliers, and one outcome row per purchase.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 00:00:00

Issue 10: the EIS's result documents. ``protocols``/``protocol_bids`` and ``contracts`` keep the
documents as last stored (a newer version replaces); ``suppliers`` the companies they name;
``purchase_results`` sums each purchase up (outcome, winner, final price, discount) with the
columns of its notice the segment statistics group by. None refers to ``notices``: a result may
arrive before its notice and is linked by number.
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

revision: str = "0004"
down_revision: str | None = "0003"

OUTCOMES = "outcome IN ('winner', 'single_application', 'no_applications', 'all_rejected', 'offers')"


def _common() -> list[sa.schema.SchemaItem]:
    """The bookkeeping columns of the stored documents (``protocols`` and ``contracts``)."""
    return [
        sa.Column("url", sa.Text()),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("source", sa.String()),
        sa.Column("first_seen_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", data.types.UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    create_table(
        "protocols",
        sa.Column("law", sa.String(8), nullable=False),
        sa.Column("purchase_number", sa.String(64), nullable=False),
        sa.Column("document", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.String(64)),
        sa.Column("version", sa.Integer()),
        sa.Column("published_at", data.types.UTCDateTime()),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text()),
        *_common(),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_protocols_outcome_allowed")),
        unique("protocols", "law", "purchase_number", "document"),
    )
    create_table(
        "protocol_bids",
        *reference("protocol_bids", "protocol_id", "protocols"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("app_number", sa.String(64)),
        sa.Column("participant_inn", sa.String(12)),
        sa.Column("participant_name", sa.Text()),
        sa.Column("price", data.types.ExactDecimal()),
        sa.Column("admitted", sa.Boolean()),
        sa.Column("rank", sa.Integer()),
        unique("protocol_bids", "protocol_id", "position"),
    )
    create_index("protocol_bids", "participant_inn")
    create_table(
        "contracts",
        sa.Column("law", sa.String(8), nullable=False),
        sa.Column("reg_number", sa.String(64), nullable=False),
        sa.Column("purchase_number", sa.String(64)),
        sa.Column("version", sa.Integer()),
        sa.Column("signed_on", sa.Date()),
        sa.Column("published_at", data.types.UTCDateTime()),
        sa.Column("price", data.types.ExactDecimal()),
        sa.Column("currency", sa.String(8)),
        sa.Column("customer_inn", sa.String(12)),
        sa.Column("customer_name", sa.Text()),
        sa.Column("supplier_inn", sa.String(12)),
        sa.Column("supplier_name", sa.Text()),
        *_common(),
        unique("contracts", "law", "reg_number"),
    )
    for column in ("customer_inn", "purchase_number", "supplier_inn"):
        create_index("contracts", column)
    create_table(
        "suppliers",
        sa.Column("inn", sa.String(12), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("region", sa.String(2)),
        sa.Column("first_seen_at", data.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        unique("suppliers", "inn"),
    )
    create_table(
        "purchase_results",
        sa.Column("law", sa.String(8), nullable=False),
        sa.Column("purchase_number", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("applications", sa.Integer()),
        sa.Column("admitted", sa.Integer()),
        sa.Column("winner_price", data.types.ExactDecimal()),
        sa.Column("winner_inn", sa.String(12)),
        sa.Column("winner_name", sa.Text()),
        sa.Column("runner_up_price", data.types.ExactDecimal()),
        sa.Column("contract_reg_number", sa.String(64)),
        sa.Column("contract_price", data.types.ExactDecimal()),
        sa.Column("final_price", data.types.ExactDecimal()),
        sa.Column("discount_bp", sa.Integer()),
        sa.Column("decided_at", data.types.UTCDateTime()),
        sa.Column("nmck", data.types.ExactDecimal()),
        sa.Column("okpd2", sa.String(32)),
        sa.Column("region", sa.String(2)),
        sa.Column("kind", sa.String(32)),
        sa.Column("nmck_band", sa.Integer()),
        sa.Column("customer_inn", sa.String(12)),
        sa.Column("notice_linked", sa.Boolean(), nullable=False),
        sa.Column("updated_at", data.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_purchase_results_outcome_allowed")),
        unique("purchase_results", "law", "purchase_number"),
    )
    for column in ("customer_inn", "notice_linked", "winner_inn"):
        create_index("purchase_results", column)
    # a segment's equality coordinates: the simulator's segment queries read a slice, not the table
    create_index("purchase_results", "kind", "nmck_band", "region")


def downgrade() -> None:
    for table in ("purchase_results", "suppliers", "contracts", "protocol_bids", "protocols"):
        op.drop_table(table)
