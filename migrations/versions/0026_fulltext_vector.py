"""full-text search on PostgreSQL: a stored Swedish tsvector per source, matched and ranked without re-parsing

Each searched table gets ``swedish_vector tsvector GENERATED ALWAYS AS (to_tsvector('swedish', <text>)) STORED``
and its GIN index ``ix_<table>_fulltext`` moves from the expression onto that column, so ``ts_rank`` reads the
stored vector instead of parsing every matched row's text again (issue 16, Deliver 5; app.core.fulltext).
PostgreSQL only: on SQLite the FTS5 tables already store their index and nothing changes. The column and the
index are outside the models (app.core.fulltext.include_object leaves them out of ``flask db check``).

Revision ID: 0026_fulltext_vector
Revises: 0025_unit_municipality
"""

from alembic import op

from app.core.fulltext import Source, drop_postgres_vector_sql, postgres_vector_sql

revision = "0026_fulltext_vector"
down_revision = "0025_unit_municipality"
branch_labels = None
depends_on = None

# As of this revision (the column's name too).
COLUMN = "swedish_vector"
# As of this revision (app.core.fulltext.SOURCES may grow later, with a migration of its own).
SOURCES = [
    Source("units", "{name}"),
    Source("visits", "{case_number} || ' ' || coalesce({aim}, '')"),
    Source("findings", "{text}"),
    Source("follow_ups", "{title} || ' ' || coalesce({description}, '')"),
    Source("dialogue_messages", "{text}"),
    Source("fulltext_documents", "{body}"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for source in SOURCES:
        for statement in postgres_vector_sql(source, COLUMN):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for source in SOURCES:
        for statement in drop_postgres_vector_sql(source, COLUMN):
            op.execute(statement)
