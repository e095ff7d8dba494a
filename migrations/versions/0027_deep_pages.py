"""deep pages: indexes for the keyset pages of the follow-ups' list in each of its sorts and the people's list by
status (issue 17)

Revision ID: 0027_deep_pages
Revises: 0026_fulltext_vector
Create Date: 2026-11-30 13:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0027_deep_pages"
down_revision = "0026_fulltext_vector"
branch_labels = None
depends_on = None

FOLLOW_UP_ORDERS = {
    "ix_follow_ups_title_order": ["title", "due_date", "created_at", "id"],
    "ix_follow_ups_status_order": ["status", "due_date", "created_at", "id"],
    "ix_follow_ups_unit_order": ["unit_id", "due_date", "created_at", "id"],
    "ix_follow_ups_owner_order": ["owner_id", "due_date", "created_at", "id"],
}


def upgrade():
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        for name, columns in FOLLOW_UP_ORDERS.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_status_order", ["is_active_account", "name_key", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_status_order")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        for name in reversed(FOLLOW_UP_ORDERS):
            batch_op.drop_index(name)
