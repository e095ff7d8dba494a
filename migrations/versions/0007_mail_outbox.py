"""mail outbox: every e-mail is a row written with its cause, sent by one task, found again by the sweep

Revision ID: 0007_mail_outbox
Revises: 0009_login_methods
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_mail_outbox'
down_revision = '0009_login_methods'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_emails',
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_emails_message_id'))
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_emails_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_emails_unsent', ['status', 'lease_until'], unique=False, postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_unsent', postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))
        batch_op.drop_index(batch_op.f('ix_outbox_emails_created_at'))

    op.drop_table('outbox_emails')
