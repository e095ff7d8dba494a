"""planning and search: unit address, owner and organisation number; Swedish full-text indexes (PostgreSQL GIN, SQLite FTS5) for units, visits, findings,
follow-ups and messages

Revision ID: 0014_planning
Revises: 0012_two_parties
Create Date: 2026-11-30 08:10:00

"""
from alembic import op
import sqlalchemy as sa

from app.core.fulltext import Source, drop_sqlite, install_sqlite, postgres_index_sql


# revision identifiers, used by Alembic.
revision = '0014_planning'
down_revision = '0012_two_parties'
branch_labels = None
depends_on = None

# As of this revision (app.core.fulltext.SOURCES may grow later, with a migration of its own).
SOURCES = [
    Source("units", "{name}"),
    Source("visits", "{case_number} || ' ' || coalesce({aim}, '')"),
    Source("findings", "{text}"),
    Source("follow_ups", "{title} || ' ' || coalesce({description}, '')"),
    Source("dialogue_messages", "{text}"),
]


def upgrade():
    # Plain ADD COLUMN (no batch on SQLite): a batch copy of units would renumber the rowids the search index uses.
    op.add_column('units', sa.Column('address', sa.String(length=300), nullable=True))
    op.add_column('units', sa.Column('owner', sa.String(length=200), nullable=True))
    op.add_column('units', sa.Column('organisation_number', sa.String(length=11), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for source in SOURCES:
            op.execute(postgres_index_sql(source)[1])
    elif bind.dialect.name == "sqlite":
        install_sqlite(bind, SOURCES)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for source in SOURCES:
            op.execute(f"DROP INDEX IF EXISTS {postgres_index_sql(source)[0]}")
    elif bind.dialect.name == "sqlite":
        drop_sqlite(bind, SOURCES)
    # SQLite ≥ 3.35 drops a column in place.
    op.drop_column('units', 'organisation_number')
    op.drop_column('units', 'owner')
    op.drop_column('units', 'address')
