"""notices: what the other side did, waiting for the person's next batched e-mail (DESIGN.md 4.2)

Revision ID: 0018_notices
Revises: 0013_learning
Create Date: 2026-11-30 10:05:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_notices'
down_revision = "0019_report_fields"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dialogue_notices',
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dialogue_notices_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['batch_id'], ['dialogue_notification_batches.id'], name=op.f('fk_dialogue_notices_batch_id_dialogue_notification_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_dialogue_notices_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_notices'))
    )
    op.create_index('ix_dialogue_notices_waiting', 'dialogue_notices', ['batch_id', 'recipient_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_dialogue_notices_waiting', table_name='dialogue_notices')
    op.drop_table('dialogue_notices')
