"""dialogue: threads, messages, read state, notification preferences and batches

Revision ID: 0005_dialogue
Revises: 0004_trust
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_dialogue'
down_revision = '0004_trust'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
