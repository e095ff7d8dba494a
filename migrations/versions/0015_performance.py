"""performance: per-person unread counts, indexes for the long lists and the trust sweep (issue 17)

Revision ID: 0015_performance
Revises: 0016_readings_ranges
Create Date: 2026-11-30 08:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_performance'
down_revision = '0016_readings_ranges'
branch_labels = None
depends_on = None


def upgrade():
    # No rows yet: people are counted live (dialogue.services.unread_total) until `flask messages count-unread`
    # stores everyone's count; new people, messages and read marks keep their rows from then on.
    op.create_table('dialogue_unread_counts',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_unread_counts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_dialogue_unread_counts'))
    )

    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_public_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_dialogue_threads_last_message_at'), ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_last_public_at'), ['last_public_at'], unique=False)
    op.execute(
        "UPDATE dialogue_threads SET "
        "last_message_at = (SELECT max(m.created_at) FROM dialogue_messages m WHERE m.thread_id = dialogue_threads.id), "
        "last_public_at = (SELECT max(m.created_at) FROM dialogue_messages m "
        "WHERE m.thread_id = dialogue_threads.id AND m.is_internal = false)"
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_status_send_after', ['status', 'send_after', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_status_send_after')
    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_last_public_at'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_last_message_at'))
        batch_op.drop_column('last_public_at')
        batch_op.drop_column('last_message_at')
    op.drop_table('dialogue_unread_counts')
