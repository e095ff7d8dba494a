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

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION reminder_status_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE reminder_status_counts SET total = total - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO reminder_status_counts (status, total) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET total = reminder_status_counts.total + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

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
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER reminder_status_counts_change AFTER INSERT OR DELETE OR UPDATE OF status ON reminders "
            "FOR EACH ROW EXECUTE FUNCTION reminder_status_counts_keep()"
        )
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_occurred_at_id", ["occurred_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_occurred_at_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reminder_status_counts_change ON reminders")
        op.execute("DROP FUNCTION IF EXISTS reminder_status_counts_keep()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS reminder_status_counts_{name}")
    op.drop_table("reminder_status_counts")
