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
    op.create_table('dialogue_threads',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('finding_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_dialogue_threads_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dialogue_threads_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_dialogue_threads_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_threads')),
    sa.UniqueConstraint('key', name=op.f('uq_dialogue_threads_key'))
    )
    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_threads_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_visit_id'), ['visit_id'], unique=False)

    op.create_table('dialogue_messages',
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('author_side', sa.Enum('supervisor', 'unit', name='side', native_enum=False, length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('is_internal', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_dialogue_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_dialogue_messages_thread_id_dialogue_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_messages'))
    )
    with op.batch_alter_table('dialogue_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_messages_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_dialogue_messages_thread_created', ['thread_id', 'created_at'], unique=False)

    op.create_table('dialogue_attachments',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('photo', 'document', name='evidencekind', native_enum=False, length=10), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=80), nullable=False),
    sa.Column('thumbnail_name', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['dialogue_messages.id'], name=op.f('fk_dialogue_attachments_message_id_dialogue_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_attachments')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_dialogue_attachments_storage_name'))
    )
    with op.batch_alter_table('dialogue_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_attachments_message_id'), ['message_id'], unique=False)

    op.create_table('dialogue_thread_reads',
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_dialogue_thread_reads_thread_id_dialogue_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_thread_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_thread_reads')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_dialogue_thread_reads_thread_id_user_id'))
    )
    with op.batch_alter_table('dialogue_thread_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_thread_reads_user_id'), ['user_id'], unique=False)

    op.create_table('dialogue_notification_settings',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('mode', sa.Enum('immediate', 'daily', 'off', name='notificationmode', native_enum=False, length=10), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_notification_settings')),
    sa.UniqueConstraint('user_id', name=op.f('uq_dialogue_notification_settings_user_id'))
    )
    op.create_table('dialogue_notification_batches',
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('is_digest', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'skipped', name='batchstatus', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_dialogue_notification_batches_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_notification_batches'))
    )
    with op.batch_alter_table('dialogue_notification_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_notification_batches_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_notification_batches_status'), ['status'], unique=False)

    op.create_table('dialogue_notifications',
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['dialogue_notification_batches.id'], name=op.f('fk_dialogue_notifications_batch_id_dialogue_notification_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['dialogue_messages.id'], name=op.f('fk_dialogue_notifications_message_id_dialogue_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_dialogue_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_notifications')),
    sa.UniqueConstraint('recipient_id', 'message_id', name=op.f('uq_dialogue_notifications_recipient_id_message_id'))
    )
    with op.batch_alter_table('dialogue_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_notifications_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_dialogue_notifications_waiting', ['batch_id', 'recipient_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dialogue_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_notifications_waiting')
        batch_op.drop_index(batch_op.f('ix_dialogue_notifications_message_id'))

    op.drop_table('dialogue_notifications')
    with op.batch_alter_table('dialogue_notification_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_notification_batches_status'))
        batch_op.drop_index(batch_op.f('ix_dialogue_notification_batches_recipient_id'))

    op.drop_table('dialogue_notification_batches')
    op.drop_table('dialogue_notification_settings')
    with op.batch_alter_table('dialogue_thread_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_thread_reads_user_id'))

    op.drop_table('dialogue_thread_reads')
    with op.batch_alter_table('dialogue_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_attachments_message_id'))

    op.drop_table('dialogue_attachments')
    with op.batch_alter_table('dialogue_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_messages_thread_created')
        batch_op.drop_index(batch_op.f('ix_dialogue_messages_author_id'))

    op.drop_table('dialogue_messages')
    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_visit_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_unit_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_finding_id'))

    op.drop_table('dialogue_threads')
