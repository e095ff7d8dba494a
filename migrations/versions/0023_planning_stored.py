"""planning stored and one full-text mechanism: each unit's interval, reason code and next visit due in unit_plans
(filled here from the data); the library's documents searched like the rest (PostgreSQL GIN ix_<table>_fulltext,
SQLite FTS5 <table>_fts with triggers)

Revision ID: 0023_planning_stored
Revises: 0013_learning
Create Date: 2026-11-30 10:30:00

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.core.fulltext import Source, drop_sqlite, install_sqlite, postgres_index_sql


# revision identifiers, used by Alembic.
revision = "0023_planning_stored"
down_revision = "0021_self_assessment_truncate"
branch_labels = None
depends_on = None

# As of this revision (app.core.fulltext.SOURCES may grow later, with a migration of its own).
DOCUMENTS = Source("fulltext_documents", "{body}")
SEARCH_SOURCES = [
    Source("units", "{name}"),
    Source("visits", "{case_number} || ' ' || coalesce({aim}, '')"),
    Source("findings", "{text}"),
    Source("follow_ups", "{title} || ' ' || coalesce({description}, '')"),
    Source("dialogue_messages", "{text}"),
]
OLD_POSTGRES_INDEX = "ix_fulltext_documents_swedish"


def upgrade():
    plans = op.create_table(
        "unit_plans",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("interval_reason", sa.String(length=30), nullable=False),
        sa.Column("interval_since", sa.Date(), nullable=True),
        sa.Column("next_visit_due", sa.Date(), nullable=False),
        sa.Column("changes_on", sa.Date(), nullable=True),
        sa.Column("later_interval_months", sa.Integer(), nullable=True),
        sa.Column("later_interval_reason", sa.String(length=30), nullable=True),
        sa.Column("later_next_visit_due", sa.Date(), nullable=True),
        sa.Column("last_visit_date", sa.Date(), nullable=True),
        sa.Column("last_lead_id", sa.Uuid(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_lead_id"], ["users.id"], name=op.f("fk_unit_plans_last_lead_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_plans_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_plans")),
    )
    with op.batch_alter_table("unit_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_plans_last_lead_id"), ["last_lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_plans_last_visit_date"), ["last_visit_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_plans_next_visit_due"), ["next_visit_due"], unique=False)

    # Every existing unit's plan, by the rule of DESIGN.md 4.7 with today's settings (reading columns only).
    from app.core.models import local_today, utcnow
    from app.planning.services import compute

    bind = op.get_bind()
    with Session(bind=bind) as session:
        values = compute(session, None, local_today())
    now = utcnow()
    rows = [{"unit_id": unit_id, "computed_at": now, **columns} for unit_id, columns in values.items()]
    for start in range(0, len(rows), 1000):
        op.bulk_insert(plans, rows[start : start + 1000])

    # One full-text mechanism: the library's documents are a source like the search's tables.
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {OLD_POSTGRES_INDEX}")
        op.execute(postgres_index_sql(DOCUMENTS)[1])
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS fulltext_fts")
        install_sqlite(bind, [DOCUMENTS])
        # Rowids and triggers as the migrations before may have left them: reinstall the search's sources too.
        install_sqlite(bind, SEARCH_SOURCES, rebuild=True)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {postgres_index_sql(DOCUMENTS)[0]}")
        op.execute(
            f"CREATE INDEX {OLD_POSTGRES_INDEX} ON fulltext_documents "
            "USING gin (to_tsvector('swedish'::regconfig, body))"
        )
    elif bind.dialect.name == "sqlite":
        import snowballstemmer

        from app.core.fulltext import words

        drop_sqlite(bind, [DOCUMENTS])
        op.execute("CREATE VIRTUAL TABLE fulltext_fts USING fts5(kind UNINDEXED, doc_id UNINDEXED, body)")
        stemmer = snowballstemmer.stemmer("swedish")
        for kind, doc_id, body in bind.exec_driver_sql("SELECT kind, doc_id, body FROM fulltext_documents").all():
            bind.exec_driver_sql(
                "INSERT INTO fulltext_fts (kind, doc_id, body) VALUES (?, ?, ?)",
                (kind, doc_id, " ".join(stemmer.stemWord(w) for w in words(body))),
            )
    with op.batch_alter_table("unit_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_plans_next_visit_due"))
        batch_op.drop_index(batch_op.f("ix_unit_plans_last_visit_date"))
        batch_op.drop_index(batch_op.f("ix_unit_plans_last_lead_id"))
    op.drop_table("unit_plans")
