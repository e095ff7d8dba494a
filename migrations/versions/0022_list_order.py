"""list order: indexes for the follow-ups' and people's lists in their default order (issue 16)

Revision ID: 0022_list_order
Revises: 0013_learning
Create Date: 2026-11-30 10:25:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0022_list_order"
down_revision = "0024_speed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_follow_ups_due_order", ["due_date", "created_at", "id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_name_key_id", ["name_key", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_name_key_id")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_due_order")
