"""Records hold (issue 13 item 5): the audit trail's hash chain on both databases, and on PostgreSQL the records
refuse UPDATE, DELETE and TRUNCATE, tried as a role that does not own the tables (as the app should run)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from app.core import audit_chain
from app.core.models import AuditEvent
from tests.conftest import APP_ROLE, TEST_DB


def _behind_the_records(db, owner_database_url: str, statement: str, params: dict | None = None) -> None:
    """What only the database's superuser (never the app's role) can do: write past the records' triggers.
    Owner: on PostgreSQL ``session_replication_role`` is the superuser's, so this runs on the owner's connection."""
    if db.engine.dialect.name == "postgresql":
        engine = create_engine(owner_database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text(statement), params or {})
        finally:
            engine.dispose()
        db.session.expire_all()
    else:
        for trigger in ("audit_events_no_update", "audit_links_no_delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        db.session.execute(text(statement), params or {})
        db.session.commit()


def test_committed_events_form_an_intact_chain(db, make_unit, make_user):
    make_unit("Åby skola")
    make_user("reviewer")
    result = audit_chain.verify(db.session())
    assert result.ok, result.problems
    assert result.checked == db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert result.checked >= 2


def test_a_rolled_back_savepoint_leaves_no_link(db, make_unit):
    from app.units.models import Unit

    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.add(Unit(name="Tillfällig"))
        db.session.flush()
        raise RuntimeError("undo")
    make_unit("Kvar")
    assert audit_chain.verify(db.session()).ok


def test_the_cli_says_the_chain_is_intact(app, make_unit):
    make_unit("Älvsjö förskola")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output


def test_a_changed_event_is_found(app, db, make_unit, owner_database_url):
    unit = make_unit("Östra gymnasiet")
    _behind_the_records(
        db,
        owner_database_url,
        "UPDATE audit_events SET actor_label = 'someone else' WHERE object_id = :id",
        {"id": str(unit.id)},
    )
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "differs from what was recorded" in result.output


def test_an_event_slipped_in_outside_the_application_is_found(db, make_unit):
    make_unit("Norra skolan")
    db.session.connection().execute(
        text(
            "INSERT INTO audit_events (id, occurred_at, action, object_type, object_id, changes, via) "
            "VALUES (:id, CURRENT_TIMESTAMP, 'delete', 'unit', 'x', '{}', 'system')"
        ),
        {"id": "0" * 32 if db.engine.dialect.name == "sqlite" else "00000000-0000-0000-0000-000000000000"},
    )
    db.session.info.pop(audit_chain.PENDING_KEY, None)  # as if another client wrote it
    db.session.commit()
    result = audit_chain.verify(db.session())
    assert "1 events are not in the chain" in "; ".join(result.problems)


def test_seal_links_events_written_before_the_chain(db, make_unit, app, owner_database_url):
    make_unit("Västra skolan")
    _behind_the_records(db, owner_database_url, "DELETE FROM audit_links")
    assert not audit_chain.verify(db.session()).ok
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0, result.output
    assert audit_chain.verify(db.session()).ok


# ---- PostgreSQL: immutability as a role that does not own the tables ------------------------------------------


@pytest.fixture
def app_role_url(database_url) -> str:
    """The URL the app under test connects with on PostgreSQL: ``APP_ROLE``, granted by ``flask database
    grant-app`` in tests/conftest.py (the rights production gives), owning nothing."""
    if TEST_DB != "postgres":
        pytest.skip("the records' triggers and roles are PostgreSQL's (TEST_DB=postgres)")
    return database_url


@pytest.fixture
def records(make_visit, make_user, db):
    """A final visit (its final report) with the unit's response, and their audit events."""
    from datetime import date, timedelta

    from app.visits import services

    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    services.submit_response(visit.id, actor=member, overall="Vi instämmer.")
    db.session.commit()
    services.transition(visit.id, actor=visit.lead, to="final", today=date.today() + timedelta(days=20))
    db.session.commit()
    return visit


@pytest.fixture
def submitted_self_assessment(make_visit, make_user, db):
    """A planned visit whose unit submitted its self-assessment (an incoming document, DESIGN.md 4.5)."""
    from app.learning import services
    from app.learning.services.self_assessment import answer_key

    visit = make_visit("planned")
    member = make_user("unit_member", units=[visit.unit])
    answers = {
        answer_key(a.id, i): (3, "Vi följer upp varje månad.")
        for a in visit.template_version.areas
        for i in range(len(a.question_list))
    }
    services.save_self_assessment(visit.id, actor=member, answers=answers, submit=True)
    db.session.commit()
    return visit


@pytest.mark.parametrize("table", ["self_assessments", "self_assessment_answers"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"],
)
def test_the_app_role_cannot_change_or_remove_a_self_assessment(
    app_role_url, submitted_self_assessment, table, statement
):
    column = {"self_assessments": "received_at", "self_assessment_answers": "text"}[table]
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0  # noqa: S608 - a fixed list
            with pytest.raises(DBAPIError):
                conn.execute(text(statement.format(table=table, column=column)))
            conn.rollback()
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0  # noqa: S608 - a fixed list
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", ["audit_events", "audit_links", "responses", "final_reports"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"],
)
def test_the_app_role_cannot_change_or_remove_a_record(app_role_url, records, table, statement):
    column = {"audit_events": "action", "audit_links": "hash", "responses": "text", "final_reports": "sha256"}[table]
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0  # noqa: S608 - a fixed list
            with pytest.raises(DBAPIError):
                conn.execute(text(statement.format(table=table, column=column)))
            conn.rollback()
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0  # noqa: S608 - a fixed list
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", ["audit_events", "responses", "final_reports"])
def test_the_app_role_cannot_set_the_triggers_aside(app_role_url, table):
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="must be owner"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
    finally:
        engine.dispose()


def test_the_app_runs_as_the_app_role(app_config, make_app, app_role_url, make_unit):
    """The application needs nothing a table owner has: it reads, writes and chains as the app role."""
    app = make_app({**app_config, "SQLALCHEMY_DATABASE_URI": app_role_url})
    make_unit("Åby skola")
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(text("SELECT current_user")) == APP_ROLE
        assert audit_chain.verify(db.session()).ok
        app.test_cli_runner().invoke(args=["units", "create", "Älvsjö skola"])
        assert audit_chain.verify(db.session()).ok


def test_the_app_under_test_connects_as_a_role_that_owns_nothing(db):
    """The PostgreSQL pass runs as production should (DESIGN.md 4.6): the app's connection is no superuser, owns
    no table, may not TRUNCATE or create anything, and may not write the migrations' table."""
    if TEST_DB != "postgres":
        pytest.skip("roles are PostgreSQL's (TEST_DB=postgres)")
    me = db.session.execute(
        text("SELECT current_user AS name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
             "WHERE rolname = current_user")
    ).one()  # fmt: skip
    assert me.name == APP_ROLE
    assert not (me.rolsuper or me.rolbypassrls or me.rolcreaterole or me.rolcreatedb)
    tables = db.session.execute(
        text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    assert len(tables) > 20
    assert APP_ROLE not in {t.tableowner for t in tables}, "the app owns a table"
    rights = db.session.execute(
        text(
            "SELECT tablename, has_table_privilege(current_user, tablename, 'SELECT, INSERT, UPDATE, DELETE') AS rw,"
            " has_table_privilege(current_user, tablename, 'TRUNCATE, REFERENCES, TRIGGER') AS more"
            " FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )
    ).all()
    assert all(r.rw for r in rights), [r.tablename for r in rights if not r.rw]
    assert not any(r.more for r in rights), [r.tablename for r in rights if r.more]
    assert not db.session.scalar(text("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')"))
    assert db.session.scalar(text("SELECT has_table_privilege(current_user, 'alembic_version', 'SELECT')"))
    assert not db.session.scalar(text("SELECT has_table_privilege(current_user, 'alembic_version', 'UPDATE')"))


def test_grant_app_refuses_a_role_that_could_set_the_records_aside(app, db):
    """``flask database grant-app`` (the command that granted the app's role of this very run) gives rows only to
    a role that exists and could not set the records' triggers aside."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["database", "grant-app", "tillsyn_no_such_role"])
    assert result.exit_code == 1
    if TEST_DB != "postgres":
        assert "only PostgreSQL has roles" in result.output
        return
    assert "no role 'tillsyn_no_such_role'" in result.output
    superuser = db.session.scalar(text("SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY oid LIMIT 1"))
    result = runner.invoke(args=["database", "grant-app", superuser])
    assert result.exit_code == 1
    assert "is a superuser" in result.output
    result = runner.invoke(args=["database", "grant-app", APP_ROLE])  # run as itself
    assert result.exit_code == 1
    assert "is the role that migrates" in result.output


def test_a_table_a_later_migration_creates_is_the_app_roles_to_read_and_write(db, owner_database_url):
    """``grant-app`` also grants by default what the owner creates later, so an upgrade cannot leave the app
    without rights on a new table or sequence (still no TRUNCATE)."""
    if TEST_DB != "postgres":
        pytest.skip("roles are PostgreSQL's (TEST_DB=postgres)")
    table = f"later_{uuid.uuid4().hex[:8]}"
    # Owner: as a migration would, the owner creates a table (the app's role may not create in the schema).
    owner = create_engine(owner_database_url)
    try:
        with owner.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (id serial PRIMARY KEY, note text)"))
        db.session.execute(text(f"INSERT INTO {table} (note) VALUES ('ny')"))  # noqa: S608 - a fixed name
        assert db.session.scalar(text(f"SELECT note FROM {table}")) == "ny"  # noqa: S608 - a fixed name
        assert not db.session.scalar(text("SELECT has_table_privilege(current_user, :t, 'TRUNCATE')"), {"t": table})
        db.session.rollback()
    finally:
        db.session.rollback()
        with owner.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        owner.dispose()
