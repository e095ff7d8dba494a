"""The role the application serves as on PostgreSQL (DESIGN.md 4.6): it reads and writes rows and owns nothing.

The records (audit trail and its links, responses, self-assessments, final reports) refuse UPDATE, DELETE and
TRUNCATE through triggers; a table's owner (or a superuser) could set those triggers aside, so the owner migrates
and the application connects as another role with only the rights below. ``flask --app app database grant-app
ROLE`` (app/cli.py) gives them; the PostgreSQL test pass (tests/conftest.py) runs every test through a role granted
by this very function, so a table or sequence the grants miss fails the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"  # never TRUNCATE, never REFERENCES or TRIGGER
SEQUENCE_RIGHTS = "USAGE, SELECT"
MIGRATION_TABLE = "alembic_version"  # the app may read which revision it runs on, never write it


class AppRoleError(Exception):
    """The role cannot be the application's: unknown, a superuser, the migrating role itself, or an owner."""


@dataclass(frozen=True)
class Granted:
    """What ``grant_app_role`` did: the schema it granted on and the statements it ran, in order."""

    schema: str
    statements: tuple[str, ...]


def grant_app_role(connection: Connection, role: str) -> Granted:
    """Give ``role`` what the application needs on the connection's current schema and nothing more.

    Runs as the owner of the tables (the role that migrates), in the caller's transaction: USAGE on the schema;
    SELECT, INSERT, UPDATE, DELETE on every table (SELECT only on ``alembic_version``); USAGE, SELECT on every
    sequence; and the same by default on the tables and sequences the owner creates later (future migrations).
    Idempotent: run it again after every upgrade.

    Raises ``AppRoleError`` when the database is not PostgreSQL, the role does not exist, is a superuser, can
    bypass row security, is the connection's own role, or owns a table of the schema — any of which could set the
    records' triggers aside (DESIGN.md 4.6).
    """
    if connection.dialect.name != "postgresql":
        raise AppRoleError("only PostgreSQL has roles; on SQLite the application is the file's only user")
    found = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is None:
        raise AppRoleError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '…')")
    if found.rolsuper or found.rolbypassrls:
        raise AppRoleError(f"{role!r} is a superuser (or bypasses row security): it could set the records aside")
    if role == connection.scalar(text("SELECT current_user")):
        raise AppRoleError(f"{role!r} is the role that migrates and owns the tables: serve as another role")
    schema = connection.scalar(text("SELECT current_schema()"))
    if schema is None:
        raise AppRoleError("no current schema: set the connection's search_path")
    owned = connection.scalar(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = :schema AND tableowner = :role"),
        {"schema": schema, "role": role},
    )
    if owned:
        raise AppRoleError(f"{role!r} owns {owned} tables of {schema!r}: it could set the records' triggers aside")
    quote = connection.dialect.identifier_preparer.quote
    r, s = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT {SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {TABLE_RIGHTS} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {SEQUENCE_RIGHTS} ON SEQUENCES TO {r}",
    ]
    if connection.scalar(text("SELECT to_regclass(:name)"), {"name": f"{schema}.{MIGRATION_TABLE}"}) is not None:
        statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {s}.{quote(MIGRATION_TABLE)} FROM {r}")
    for statement in statements:
        connection.execute(text(statement))
    return Granted(schema=schema, statements=tuple(statements))
