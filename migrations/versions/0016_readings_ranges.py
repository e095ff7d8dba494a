"""readings: indicators' allowed range and unit kinds, withdrawn readings; users' folded name key

- ``indicators.min_value``/``max_value`` (inclusive, NULL = no bound) and ``unit_kinds`` (comma-separated
  UnitKind values, empty = every kind): readings outside the range or from another kind of unit are refused.
- ``readings.withdrawn_at``/``withdrawn_by_id``/``withdrawal_reason``: a wrong reading taken back, kept in the
  history, counted nowhere.
- ``users.name_key``: the name folded (NFKC + casefold) so the people list finds "Åsa" by "åsa" on SQLite too.

Revision ID: 0016_readings_ranges
Revises: 0010_hardening
Create Date: 2026-11-30 08:20:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa



revision = '0016_readings_ranges'
down_revision = '0010_hardening'
branch_labels = None
depends_on = None


def _fold(value):
    # The same as app.core.input.fold at the time of writing.
    return unicodedata.normalize("NFKC", " ".join((value or "").split())).casefold()


def upgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('max_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('unit_kinds', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_readings_withdrawn_by_id_users'), 'users', ['withdrawn_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=False, server_default=''))
    users = sa.table('users', sa.column('id', sa.Uuid()), sa.column('name', sa.String()), sa.column('name_key', sa.String()))
    connection = op.get_bind()
    for user_id, name in list(connection.execute(sa.select(users.c.id, users.c.name))):
        connection.execute(users.update().where(users.c.id == user_id).values(name_key=_fold(name)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=200), server_default=None)
        batch_op.create_index(batch_op.f('ix_users_name_key'), ['name_key'], unique=False)
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.alter_column('unit_kinds', existing_type=sa.String(length=200), server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_name_key'))
        batch_op.drop_column('name_key')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_readings_withdrawn_by_id_users'), type_='foreignkey')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('unit_kinds')
        batch_op.drop_column('max_value')
        batch_op.drop_column('min_value')
