"""notice answered: a waiting notice a later move of the recipient's own side answered (DESIGN.md 4.2)

Revision ID: 0027_notice_answered
Revises: 0027_deep_pages
Create Date: 2026-11-30 13:55:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_notice_answered"
down_revision = "0027_deep_pages"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("dialogue_notices", sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("dialogue_notices") as batch:
        batch.drop_column("answered_at")
