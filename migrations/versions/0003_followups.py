"""follow-ups and reminders

Revision ID: 0003_followups
Revises: 0002_visits
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_followups'
down_revision = '0002_visits'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
