"""speed: reminders counted per status by triggers (one small row per status), an index for the keyset pages of
the audit trail (issue 17)

Revision ID: 0024_speed
Revises: 0013_learning
Create Date: 2026-11-30 10:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024_speed"
down_revision = "0023_planning_stored"
branch_labels = None
depends_on = None

STATUSES = ("pending", "queued", "sending", "sent", "skipped", "obsolete", "failed")

# PostgreSQL: statement-level triggers over the transition tables, one grouped upsert per statement (a row-level
# trigger would update the same counter row once per reminder: a bulk statement of 200,000 rows then writes 200,000
# versions of one row in one transaction, which PostgreSQL's MVCC makes quadratic).
POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION reminder_status_counts_add() RETURNS trigger AS $$
    BEGIN
        INSERT INTO reminder_status_counts AS c (status, total)
        SELECT status, count(*) FROM new_rows GROUP BY status
        ON CONFLICT (status) DO UPDATE SET total = c.total + EXCLUDED.total;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION reminder_status_counts_remove() RETURNS trigger AS $$
    BEGIN
        UPDATE reminder_status_counts AS c SET total = c.total - gone.n
        FROM (SELECT status, count(*) AS n FROM old_rows GROUP BY status) AS gone
        WHERE c.status = gone.status;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION reminder_status_counts_move() RETURNS trigger AS $$
    BEGIN
        WITH moved AS (
            SELECT o.status AS was, n.status AS now FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.status IS DISTINCT FROM n.status
        ), delta AS (
            SELECT status, sum(d) AS d FROM (
                SELECT was AS status, -1 AS d FROM moved UNION ALL SELECT now, 1 FROM moved
            ) AS parts GROUP BY status
        )
        INSERT INTO reminder_status_counts AS c (status, total)
        SELECT status, d FROM delta
        ON CONFLICT (status) DO UPDATE SET total = c.total + EXCLUDED.total;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
]
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER reminder_status_counts_insert AFTER INSERT ON reminders REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION reminder_status_counts_add()",
    "CREATE TRIGGER reminder_status_counts_delete AFTER DELETE ON reminders REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION reminder_status_counts_remove()",
    "CREATE TRIGGER reminder_status_counts_update AFTER UPDATE ON reminders "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION reminder_status_counts_move()",
]

SQLITE_TRIGGERS = [
    """CREATE TRIGGER reminder_status_counts_insert AFTER INSERT ON reminders BEGIN
         INSERT OR IGNORE INTO reminder_status_counts (status, total) VALUES (NEW.status, 0);
         UPDATE reminder_status_counts SET total = total + 1 WHERE status = NEW.status;
       END""",
    """CREATE TRIGGER reminder_status_counts_update AFTER UPDATE OF status ON reminders
       WHEN OLD.status IS NOT NEW.status BEGIN
         UPDATE reminder_status_counts SET total = total - 1 WHERE status = OLD.status;
         INSERT OR IGNORE INTO reminder_status_counts (status, total) VALUES (NEW.status, 0);
         UPDATE reminder_status_counts SET total = total + 1 WHERE status = NEW.status;
       END""",
    """CREATE TRIGGER reminder_status_counts_delete AFTER DELETE ON reminders BEGIN
         UPDATE reminder_status_counts SET total = total - 1 WHERE status = OLD.status;
       END""",
]


def upgrade():
    op.create_table(
        "reminder_status_counts",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_reminder_status_counts")),
    )
    op.execute(
        "INSERT INTO reminder_status_counts (status, total) SELECT status, count(*) FROM reminders GROUP BY status"
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in [*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS]:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_occurred_at_id", ["occurred_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_occurred_at_id")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS reminder_status_counts_{name} ON reminders")
        for name in ("add", "remove", "move"):
            op.execute(f"DROP FUNCTION IF EXISTS reminder_status_counts_{name}()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS reminder_status_counts_{name}")
    op.drop_table("reminder_status_counts")
