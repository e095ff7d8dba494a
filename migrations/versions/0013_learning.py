"""learning: good examples of the library and the Swedish full-text search (app.core.fulltext)

Revision ID: 0013_learning
Revises: 0008_form_drafts
Create Date: 2026-11-30 08:10:00

PostgreSQL: a GIN index over to_tsvector('swedish', body). SQLite: an FTS5 table of the bodies' Swedish stems,
made here by hand (Alembic's comparison leaves it out, see app.core.fulltext.include_object).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_learning'
down_revision = '0008_form_drafts'
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


def downgrade():
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
