"""two parties: cancelled visits and drafts withdrawn for revision, the authority's comment on a
response (DESIGN.md 4.1)

Revision ID: 0012_two_parties
Revises: 0015_performance
Create Date: 2026-11-30 08:20:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_two_parties"
down_revision = "0015_performance"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    # A table of its own: the unit's response is an incoming document whose row never changes (0002's trigger),
    # and SQLite's batch mode would copy the table and lose that trigger.
    op.create_table(
        "response_comments",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_response_comments_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"], ["users.id"], name=op.f("fk_response_comments_written_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_comments")),
        sa.UniqueConstraint("response_id", name=op.f("uq_response_comments_response_id")),
    )
    with op.batch_alter_table("response_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_comments_written_by_id"), ["written_by_id"], unique=False)


def downgrade():
    with op.batch_alter_table("response_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_comments_written_by_id"))
    op.drop_table("response_comments")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("cancel_reason")
