"""learning: good examples, the Swedish full-text search (app.core.fulltext), the unit's self-assessment, feedback on the supervision

Revision ID: 0013_learning
Revises: 0014_planning
Create Date: 2026-11-30 08:10:00

PostgreSQL: a GIN index over to_tsvector('swedish', body). SQLite: an FTS5 table of the bodies' Swedish stems,
made here by hand (Alembic's comparison leaves it out, see app.core.fulltext.include_object).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_learning'
down_revision = "0014_planning"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fulltext_documents',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('doc_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulltext_documents')),
    sa.UniqueConstraint('kind', 'doc_id', name=op.f('uq_fulltext_documents_kind_doc_id'))
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_fulltext_documents_swedish ON fulltext_documents "
            "USING gin (to_tsvector('swedish'::regconfig, body))"
        )
    else:
        op.execute("CREATE VIRTUAL TABLE fulltext_fts USING fts5(kind UNINDEXED, doc_id UNINDEXED, body)")

    op.create_table('good_examples',
    sa.Column('finding_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'consented', 'declined', 'withdrawn', name='examplestatus', native_enum=False, length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_good_examples_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_good_examples_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_good_examples_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_good_examples_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_good_examples_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_good_examples')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_good_examples_finding_id'))
    )
    with op.batch_alter_table('good_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_good_examples_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_good_examples_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_good_examples_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_good_examples_year'), ['year'], unique=False)

    op.create_table('self_assessment_drafts',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_self_assessment_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_self_assessment_drafts_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_assessment_drafts')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_self_assessment_drafts_visit_id'))
    )
    op.create_table('self_assessments',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_self_assessments_submitted_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_self_assessments_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_self_assessments_visit_id_visits'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_assessments')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_self_assessments_visit_id'))
    )
    with op.batch_alter_table('self_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_assessments_unit_id'), ['unit_id'], unique=False)

    op.create_table('self_assessment_answers',
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('review_area_id', sa.Uuid(), nullable=True),
    sa.Column('area_position', sa.Integer(), nullable=False),
    sa.Column('area_title', sa.Text(), nullable=False),
    sa.Column('question_index', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['self_assessments.id'], name=op.f('fk_self_assessment_answers_assessment_id_self_assessments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_area_id'], ['review_areas.id'], name=op.f('fk_self_assessment_answers_review_area_id_review_areas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_assessment_answers'))
    )
    with op.batch_alter_table('self_assessment_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_assessment_answers_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_assessment_answers_review_area_id'), ['review_area_id'], unique=False)
    _make_self_assessments_immutable()

    op.create_table('supervision_feedback',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('useful', sa.Integer(), nullable=False),
    sa.Column('respectful', sa.Integer(), nullable=False),
    sa.Column('clear', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_feedback_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_supervision_feedback_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_supervision_feedback_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_feedback')),
    sa.UniqueConstraint('visit_id', 'user_id', name=op.f('uq_supervision_feedback_visit_id_user_id'))
    )
    with op.batch_alter_table('supervision_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_feedback_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_feedback_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_feedback_visit_id'), ['visit_id'], unique=False)


# The unit's submitted self-assessment is an incoming document (DESIGN.md 4.5): its rows are never changed or
# removed. TRUNCATE is left alone, as for the audit trail: the test suite empties every table between tests.
IMMUTABLE_TABLES = ("self_assessments", "self_assessment_answers")


def _make_self_assessments_immutable():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION self_assessments_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows are never changed once written', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in IMMUTABLE_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION self_assessments_immutable()"
            )
    else:
        for table in IMMUTABLE_TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed once written'); END"
                )


def _drop_self_assessment_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for table in IMMUTABLE_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute("DROP FUNCTION IF EXISTS self_assessments_immutable()")
    else:
        for table in IMMUTABLE_TABLES:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def downgrade():
    with op.batch_alter_table('supervision_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_feedback_visit_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_feedback_user_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_feedback_unit_id'))
    op.drop_table('supervision_feedback')
    _drop_self_assessment_triggers()
    with op.batch_alter_table('self_assessment_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_assessment_answers_review_area_id'))
        batch_op.drop_index(batch_op.f('ix_self_assessment_answers_assessment_id'))
    op.drop_table('self_assessment_answers')
    with op.batch_alter_table('self_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_assessments_unit_id'))
    op.drop_table('self_assessments')
    op.drop_table('self_assessment_drafts')
    with op.batch_alter_table('good_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_good_examples_year'))
        batch_op.drop_index(batch_op.f('ix_good_examples_visit_id'))
        batch_op.drop_index(batch_op.f('ix_good_examples_unit_id'))
        batch_op.drop_index(batch_op.f('ix_good_examples_status'))
    op.drop_table('good_examples')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_fulltext_documents_swedish")
    else:
        op.execute("DROP TABLE IF EXISTS fulltext_fts")
    op.drop_table('fulltext_documents')
