"""hardening: the audit trail's hash chain, records that refuse UPDATE/DELETE/TRUNCATE, units' folded name key

- ``audit_links``: each audit event's place in the hash chain (app/core/audit_chain.py). After upgrading, run
  ``flask --app app audit seal`` once to link the events written before this migration.
- PostgreSQL: ``audit_events``, ``audit_links``, ``responses`` and ``final_reports`` refuse UPDATE, DELETE and
  TRUNCATE (0001 and 0002 refused only some of them). SQLite has no TRUNCATE; its UPDATE/DELETE triggers follow.
- ``units.name_key``: the name folded (NFKC + casefold), unique: "åby skola" is "Åby skola" on both databases.

Revision ID: 0010_hardening
Revises: 0008_form_drafts
Create Date: 2026-11-30 07:15:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0010_hardening'
down_revision = '0008_form_drafts'
branch_labels = None
depends_on = None

RECORDS = ("audit_events", "audit_links", "responses", "final_reports")
# audit_events refuses DELETE since 0001 (its UPDATE OR DELETE trigger); the others get a DELETE trigger here.
REFUSE_DELETE = ("audit_links", "responses", "final_reports")


def _fold(value):
    # The same as app.core.input.fold at the time of writing (migrations import no application code).
    return unicodedata.normalize("NFKC", " ".join((value or "").split())).casefold()


def upgrade():
    op.create_table('audit_links',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_links_event_id_audit_events'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_links')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_links_event_id'))
    )

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
    units = sa.table('units', sa.column('id', sa.Uuid()), sa.column('name', sa.String()), sa.column('name_key', sa.String()))
    connection = op.get_bind()
    for unit_id, name in list(connection.execute(sa.select(units.c.id, units.c.name))):
        connection.execute(units.update().where(units.c.id == unit_id).values(name_key=_fold(name)))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_units_name_key'), ['name_key'])

    _make_records_immutable()


def downgrade():
    _drop_record_triggers()
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_units_name_key'), type_='unique')
        batch_op.drop_column('name_key')
    op.drop_table('audit_links')


def _make_records_immutable():
    """Rows of the records are written once and never changed or removed, not even by the table's owner
    through a TRUNCATE; only a superuser who disables the triggers can (and that is not the application's role)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION records_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is a record: its rows are never changed or removed (%)', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in REFUSE_DELETE:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION records_immutable()"
            )
        for table in RECORDS:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION records_immutable()"
            )
        op.execute(
            "CREATE TRIGGER audit_links_no_update BEFORE UPDATE ON audit_links "
            "FOR EACH ROW EXECUTE FUNCTION records_immutable()"
        )
    else:
        for table in REFUSE_DELETE:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is a record: its rows are never removed'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_links_no_update BEFORE UPDATE ON audit_links "
            "BEGIN SELECT RAISE(ABORT, 'audit_links is a record: its rows are never changed'); END"
        )


def _drop_record_triggers():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in REFUSE_DELETE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        for table in RECORDS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_links_no_update ON audit_links")
        op.execute("DROP FUNCTION IF EXISTS records_immutable()")
    else:
        for table in REFUSE_DELETE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_links_no_update")
