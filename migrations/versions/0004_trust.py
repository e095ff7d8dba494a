"""conditional trust: indicators, readings, boundaries, breaches, trust history

Revision ID: 0004_trust
Revises: 0003_followups
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_trust'
down_revision = '0003_followups'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
