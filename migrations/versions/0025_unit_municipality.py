"""units: the municipality a unit is in, shown with a good example that does not name its unit (DESIGN.md 4.5)

Revision ID: 0025_unit_municipality
Revises: 0022_list_order
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_unit_municipality"
down_revision = "0022_list_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy on SQLite, so the full-text triggers on units stay as they are).
    op.add_column("units", sa.Column("municipality", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("municipality")
