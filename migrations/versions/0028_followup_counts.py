"""follow-up counts: per person, bucket and due date, kept by the app's session hooks (issue 17)

The start pages' follow-up counts and the default follow-ups list's total read a person's few rows here instead of
counting every open follow-up (app.followups.counts). The table starts empty: a person without their ``known`` row
is counted directly, as before, until ``flask followups recount`` fills it (run it once after this migration).

Revision ID: 0028_followup_counts
Revises: 0027_notice_answered
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_followup_counts"
down_revision = "0027_notice_answered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follow_up_counts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "bucket", "due_date", name=op.f("pk_follow_up_counts")),
    )
    with op.batch_alter_table("follow_up_counts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_up_counts_empty",
            ["user_id"],
            unique=False,
            postgresql_where=sa.text("total = 0"),
            sqlite_where=sa.text("total = 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up_counts", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_follow_up_counts_empty", postgresql_where=sa.text("total = 0"), sqlite_where=sa.text("total = 0")
        )
    op.drop_table("follow_up_counts")
