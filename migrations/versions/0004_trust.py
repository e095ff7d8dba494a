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
    op.create_table('indicators',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name_sv', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit_of_measure', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('key', name=op.f('uq_indicators_key'))
    )
    op.create_table('boundaries',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('indicator', 'serious_deviation', 'overdue_follow_up', name='boundarykind', native_enum=False, length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_boundaries_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundaries'))
    )
    with op.batch_alter_table('boundaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boundaries_unit_id'), ['unit_id'], unique=False)

    op.create_table('readings',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('indicator_id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reported_by_id', sa.Uuid(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_readings_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_readings_reported_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_readings_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readings')),
    sa.UniqueConstraint('unit_id', 'indicator_id', 'period', name=op.f('uq_readings_unit_id_indicator_id_period'))
    )
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readings_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readings_reported_by_id'), ['reported_by_id'], unique=False)

    op.create_table('boundary_versions',
    sa.Column('boundary_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'active', 'superseded', 'ended', 'rejected', 'withdrawn', name='versionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('ends_boundary', sa.Boolean(), nullable=False),
    sa.Column('indicator_id', sa.Uuid(), nullable=True),
    sa.Column('comparator', sa.Enum('gt', 'ge', 'lt', 'le', name='comparator', native_enum=False), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=True),
    sa.Column('proposed_by_side', sa.Enum('supervisor', 'unit', name='side', native_enum=False), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_by_id', sa.Uuid(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejected_by_id', sa.Uuid(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Uuid(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_boundary_versions_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['boundary_id'], ['boundaries.id'], name=op.f('fk_boundary_versions_boundary_id_boundaries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_boundary_versions_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_boundary_versions_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['users.id'], name=op.f('fk_boundary_versions_rejected_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_boundary_versions_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary_versions')),
    sa.UniqueConstraint('boundary_id', 'number', name=op.f('uq_boundary_versions_boundary_id_number'))
    )
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boundary_versions_accepted_by_id'), ['accepted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_boundary_versions_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_boundary_versions_proposed_by_id'), ['proposed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_boundary_versions_rejected_by_id'), ['rejected_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_boundary_versions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_boundary_versions_withdrawn_by_id'), ['withdrawn_by_id'], unique=False)
        batch_op.create_index('uq_boundary_versions_active', ['boundary_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.create_index('uq_boundary_versions_proposed', ['boundary_id'], unique=True, sqlite_where=sa.text("status = 'proposed'"), postgresql_where=sa.text("status = 'proposed'"))

    op.create_table('breaches',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('boundary_id', sa.Uuid(), nullable=False),
    sa.Column('boundary_version_id', sa.Uuid(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('trigger_keys', sa.JSON(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('condition_cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Uuid(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['boundary_id'], ['boundaries.id'], name=op.f('fk_breaches_boundary_id_boundaries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['boundary_version_id'], ['boundary_versions.id'], name=op.f('fk_breaches_boundary_version_id_boundary_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_breaches_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_breaches_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_breaches_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breaches'))
    )
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breaches_boundary_id'), ['boundary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breaches_boundary_version_id'), ['boundary_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breaches_closed_by_id'), ['closed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breaches_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breaches_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index('uq_breaches_open_version', ['boundary_version_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('trust_changes',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('from_level', sa.Enum('baseline', 'closer_review', name='trustlevel', native_enum=False, length=20), nullable=False),
    sa.Column('to_level', sa.Enum('baseline', 'closer_review', name='trustlevel', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('breach_id', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_trust_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['breach_id'], ['breaches.id'], name=op.f('fk_trust_changes_breach_id_breaches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_trust_changes_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_changes'))
    )
    with op.batch_alter_table('trust_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_changes_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_changes_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_changes_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_changes_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trust_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_changes_unit_id'))
        batch_op.drop_index(batch_op.f('ix_trust_changes_changed_at'))
        batch_op.drop_index(batch_op.f('ix_trust_changes_breach_id'))
        batch_op.drop_index(batch_op.f('ix_trust_changes_actor_id'))

    op.drop_table('trust_changes')
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.drop_index('uq_breaches_open_version', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_breaches_visit_id'))
        batch_op.drop_index(batch_op.f('ix_breaches_unit_id'))
        batch_op.drop_index(batch_op.f('ix_breaches_closed_by_id'))
        batch_op.drop_index(batch_op.f('ix_breaches_boundary_version_id'))
        batch_op.drop_index(batch_op.f('ix_breaches_boundary_id'))

    op.drop_table('breaches')
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_boundary_versions_proposed', sqlite_where=sa.text("status = 'proposed'"), postgresql_where=sa.text("status = 'proposed'"))
        batch_op.drop_index('uq_boundary_versions_active', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_withdrawn_by_id'))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_status'))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_rejected_by_id'))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_proposed_by_id'))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_boundary_versions_accepted_by_id'))

    op.drop_table('boundary_versions')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readings_reported_by_id'))
        batch_op.drop_index(batch_op.f('ix_readings_indicator_id'))

    op.drop_table('readings')
    with op.batch_alter_table('boundaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boundaries_unit_id'))

    op.drop_table('boundaries')
    op.drop_table('indicators')
