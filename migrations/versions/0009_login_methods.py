"""login methods: OpenID Connect identities, the personal identity number's keyed hash, SAML ids, session method

Revision ID: 0009_login_methods
Revises: 0006_accessibility
Create Date: 2026-11-30 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_login_methods'
down_revision = '0006_accessibility'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('linked_identities',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=60), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_linked_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_identities')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_linked_identities_issuer_subject'))
    )
    with op.batch_alter_table('linked_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_identities_user_id'), ['user_id'], unique=False)

    op.create_table('saml_message_ids',
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_saml_message_ids'))
    )
    with op.batch_alter_table('saml_message_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_message_ids_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_number_hmac', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_personal_number_hmac'), ['personal_number_hmac'])

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=60), nullable=False, server_default='password'))


def downgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('method')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_personal_number_hmac'), type_='unique')
        batch_op.drop_column('personal_number_hmac')

    with op.batch_alter_table('saml_message_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_message_ids_expires_at'))

    op.drop_table('saml_message_ids')
    with op.batch_alter_table('linked_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_identities_user_id'))

    op.drop_table('linked_identities')
