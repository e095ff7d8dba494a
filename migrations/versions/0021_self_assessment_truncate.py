"""self-assessments hold like responses: a submitted self-assessment refuses TRUNCATE too (PostgreSQL)

Revision ID: 0021_self_assessment_truncate
Revises: 0013_learning
Create Date: 2026-11-30 10:10:00

0013 made the rows of ``self_assessments`` and ``self_assessment_answers`` refuse UPDATE and DELETE (both
databases). As for responses and final reports (0010), a TRUNCATE -- which fires no row trigger -- is refused
as well, on PostgreSQL, by a statement trigger calling 0010's ``records_immutable()``. Only a superuser who sets
the triggers aside (``session_replication_role = replica``, as the test suite's cleanup does) can empty them.
SQLite has no TRUNCATE: nothing to do there.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0021_self_assessment_truncate"
down_revision = "0018_notices"
branch_labels = None
depends_on = None

TABLES = ("self_assessments", "self_assessment_answers")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION records_immutable()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
