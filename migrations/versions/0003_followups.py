"""follow-ups and reminders: follow-ups, their done reports' evidence, the reminder outbox, calendar feeds

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
    op.create_table('follow_ups',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('finding_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_id', sa.Uuid(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'agreed', 'done_reported', 'verified', 'cancelled', name='followupstatus', native_enum=False, length=20), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=True),
    sa.Column('proposed_by_side', sa.Enum('supervisor', 'unit', name='side', native_enum=False), nullable=False),
    sa.Column('supervisor_accepted_by_id', sa.Uuid(), nullable=True),
    sa.Column('supervisor_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_accepted_by_id', sa.Uuid(), nullable=True),
    sa.Column('unit_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_description', sa.Text(), nullable=True),
    sa.Column('done_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_reported_by_id', sa.Uuid(), nullable=True),
    sa.Column('reopen_note', sa.Text(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Uuid(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_follow_ups_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['done_reported_by_id'], ['users.id'], name=op.f('fk_follow_ups_done_reported_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_follow_ups_finding_id_findings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_follow_ups_owner_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_follow_ups_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_follow_ups_reviewer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supervisor_accepted_by_id'], ['users.id'], name=op.f('fk_follow_ups_supervisor_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_accepted_by_id'], ['users.id'], name=op.f('fk_follow_ups_unit_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_follow_ups_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_follow_ups_verified_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_follow_ups_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_follow_ups_unit_status_due', ['unit_id', 'status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_visit_id'), ['visit_id'], unique=False)

    op.create_table('follow_up_evidence',
    sa.Column('follow_up_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('photo', 'document', name='evidencekind', native_enum=False, length=10), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=80), nullable=False),
    sa.Column('thumbnail_name', sa.String(length=80), nullable=True),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_evidence_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_follow_up_evidence_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_evidence')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_follow_up_evidence_storage_name'))
    )
    with op.batch_alter_table('follow_up_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_evidence_follow_up_id'), ['follow_up_id'], unique=False)

    # The outbox: one row per reminder identity, written in the transaction of the change that causes it.
    op.create_table('reminders',
    sa.Column('follow_up_id', sa.Uuid(), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('send_on', sa.Date(), nullable=False),
    sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'queued', 'sending', 'sent', 'skipped', 'obsolete', 'failed', name='reminderstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_to', sa.JSON(), nullable=False),
    sa.Column('failed_to', sa.JSON(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('(follow_up_id IS NULL) <> (visit_id IS NULL)', name=op.f('ck_reminders_one_subject')),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_reminders_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_reminders_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('follow_up_id', 'kind', 'due_date', name=op.f('uq_reminders_follow_up_id_kind_due_date')),
    sa.UniqueConstraint('visit_id', 'kind', 'due_date', name=op.f('uq_reminders_visit_id_kind_due_date'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_follow_up_id'), ['follow_up_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_status'), ['status'], unique=False)
        batch_op.create_index('ix_reminders_unsent', ['status', 'send_after', 'lease_until'], unique=False, postgresql_where=sa.text("status IN ('pending', 'queued', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'sending')"))
        batch_op.create_index(batch_op.f('ix_reminders_visit_id'), ['visit_id'], unique=False)

    op.create_table('reminder_sweeps',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reminder_sweeps'))
    )

    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))

    op.drop_table('calendar_feeds')
    op.drop_table('reminder_sweeps')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_visit_id'))
        batch_op.drop_index('ix_reminders_unsent', postgresql_where=sa.text("status IN ('pending', 'queued', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'sending')"))
        batch_op.drop_index(batch_op.f('ix_reminders_status'))
        batch_op.drop_index(batch_op.f('ix_reminders_follow_up_id'))

    op.drop_table('reminders')
    with op.batch_alter_table('follow_up_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_evidence_follow_up_id'))

    op.drop_table('follow_up_evidence')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_visit_id'))
        batch_op.drop_index('ix_follow_ups_unit_status_due')
        batch_op.drop_index(batch_op.f('ix_follow_ups_unit_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_status'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_owner_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_finding_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_due_date'))

    op.drop_table('follow_ups')
