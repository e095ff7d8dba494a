"""report: the template's purpose and legal basis, the lead's summary of a visit and who finalised it, photo captions (DESIGN.md 4.1)

Revision ID: 0019_report_fields
Revises: 0013_learning
Create Date: 2026-11-30 10:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_report_fields'
down_revision = '0013_learning'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('legal_basis', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('finalised_by_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_visits_finalised_by_id_users'), 'users', ['finalised_by_id'], ['id'], ondelete='SET NULL'
        )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caption', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('caption')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visits_finalised_by_id_users'), type_='foreignkey')
        batch_op.drop_column('finalised_by_id')
        batch_op.drop_column('summary')
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.drop_column('legal_basis')
        batch_op.drop_column('purpose')
