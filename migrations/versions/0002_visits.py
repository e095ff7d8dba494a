"""visits: templates with versions, visits, team, case counters, findings, evidence, responses, final reports

Revision ID: 0002_visits
Revises: 0001_foundation
Create Date: 2026-11-22 22:55:33.705513

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_visits'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_counters'))
    )
    op.create_table('templates',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates'))
    )
    op.create_table('template_versions',
    sa.Column('template_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_template_versions_template_id_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions')),
    sa.UniqueConstraint('template_id', 'number', name=op.f('uq_template_versions_template_id_number'))
    )
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_versions_template_id'), ['template_id'], unique=False)

    op.create_table('review_areas',
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['template_versions.id'], name=op.f('fk_review_areas_version_id_template_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_areas'))
    )
    with op.batch_alter_table('review_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_areas_version_id'), ['version_id'], unique=False)

    op.create_table('visits',
    sa.Column('case_number', sa.String(length=30), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('template_version_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.Enum('planned', 'follow_up', 'closer_review', name='visitpurpose', native_enum=False, length=30), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'draft', 'sent_for_comment', 'final', 'closed', name='visitstatus', native_enum=False, length=30), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=True),
    sa.Column('aim', sa.Text(), nullable=False),
    sa.Column('comment_deadline', sa.Date(), nullable=True),
    sa.Column('sent_for_comment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('kommunicering_waiver', sa.Text(), nullable=True),
    sa.Column('previous_visit_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['previous_visit_id'], ['visits.id'], name=op.f('fk_visits_previous_visit_id_visits'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'], name=op.f('fk_visits_template_version_id_template_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_visits_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('case_number', name=op.f('uq_visits_case_number'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_previous_visit_id'), ['previous_visit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_template_version_id'), ['template_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visit_date'), ['visit_date'], unique=False)

    op.create_table('final_reports',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_final_reports_visit_id_visits'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_final_reports')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_final_reports_visit_id'))
    )
    op.create_table('findings',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('review_area_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.Enum('strength', 'development', 'deviation', name='findingkind', native_enum=False, length=30), nullable=False),
    sa.Column('severity', sa.Enum('minor', 'serious', name='severity', native_enum=False, length=10), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_findings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_area_id'], ['review_areas.id'], name=op.f('fk_findings_review_area_id_review_areas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_findings_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_review_area_id'), ['review_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_team_members',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('is_lead', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_team_members_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_team_members_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_team_members')),
    sa.UniqueConstraint('visit_id', 'user_id', name=op.f('uq_visit_team_members_visit_id_user_id'))
    )
    with op.batch_alter_table('visit_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_team_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_team_members_visit_id'), ['visit_id'], unique=False)

    op.create_table('evidence',
    sa.Column('finding_id', sa.Uuid(), nullable=False),
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
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_evidence_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_evidence_storage_name'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_finding_id'), ['finding_id'], unique=False)

    op.create_table('responses',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('finding_id', sa.Uuid(), nullable=True),
    sa.Column('stance', sa.Enum('agree', 'partly', 'disagree', name='stance', native_enum=False, length=10), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_responses_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_responses_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_responses_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index('ix_responses_visit_finding', ['visit_id', 'finding_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_visit_id'), ['visit_id'], unique=False)

    _make_documents_immutable()


# The unit's responses are incoming documents and the final report is what the archive keeps: a row of
# either is never changed once written (DESIGN.md 4.1). A correction is a new response.
IMMUTABLE_TABLES = ("responses", "final_reports")


def _make_documents_immutable():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION documents_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows are never changed once written', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in IMMUTABLE_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION documents_immutable()"
            )
    else:
        for table in IMMUTABLE_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed once written'); END"
            )


def _drop_document_triggers():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in IMMUTABLE_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS documents_immutable()")


def downgrade():
    _drop_document_triggers()
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_visit_id'))
        batch_op.drop_index('ix_responses_visit_finding')
        batch_op.drop_index(batch_op.f('ix_responses_finding_id'))

    op.drop_table('responses')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_finding_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('visit_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_team_members_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_team_members_user_id'))

    op.drop_table('visit_team_members')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_visit_id'))
        batch_op.drop_index(batch_op.f('ix_findings_review_area_id'))
        batch_op.drop_index(batch_op.f('ix_findings_created_by_id'))

    op.drop_table('findings')
    op.drop_table('final_reports')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_visit_date'))
        batch_op.drop_index(batch_op.f('ix_visits_unit_id'))
        batch_op.drop_index(batch_op.f('ix_visits_template_version_id'))
        batch_op.drop_index(batch_op.f('ix_visits_status'))
        batch_op.drop_index(batch_op.f('ix_visits_previous_visit_id'))

    op.drop_table('visits')
    with op.batch_alter_table('review_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_areas_version_id'))

    op.drop_table('review_areas')
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_versions_template_id'))

    op.drop_table('template_versions')
    op.drop_table('templates')
    op.drop_table('case_counters')
