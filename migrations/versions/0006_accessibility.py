"""accessibility: reports of accessibility problems sent from the accessibility statement

Revision ID: 0006_accessibility
Revises: 0005_dialogue
Create Date: 2026-11-27 03:50:03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_accessibility'
down_revision = '0005_dialogue'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accessibility_reports',
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('page', sa.String(length=500), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Uuid(), nullable=True),
    sa.Column('handled_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_accessibility_reports_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_accessibility_reports_reporter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_reports'))
    )
    with op.batch_alter_table('accessibility_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accessibility_reports_handled_at'), ['handled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessibility_reports_handled_by_id'), ['handled_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessibility_reports_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessibility_reports_reporter_id'), ['reporter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accessibility_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accessibility_reports_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_accessibility_reports_received_at'))
        batch_op.drop_index(batch_op.f('ix_accessibility_reports_handled_by_id'))
        batch_op.drop_index(batch_op.f('ix_accessibility_reports_handled_at'))

    op.drop_table('accessibility_reports')
