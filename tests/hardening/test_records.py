"""Records hold (issue 13 item 5): the audit trail's hash chain on both databases, and on PostgreSQL the records
refuse UPDATE, DELETE and TRUNCATE, tried as a role that does not own the tables (as the app should run)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from app.core import audit_chain
from app.core.models import AuditEvent
from tests.conftest import TEST_DB

APP_ROLE = "tillsyn_app_test"


def _set_triggers_aside(db) -> None:
    """What only the database's superuser (never the app's role) can do: write past the records' triggers."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for trigger in ("audit_events_no_update", "audit_links_no_delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))


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


def test_a_changed_event_is_found(app, db, make_unit):
    unit = make_unit("Östra gymnasiet")
    _set_triggers_aside(db)
    db.session.execute(
        text("UPDATE audit_events SET actor_label = 'someone else' WHERE object_id = :id"), {"id": str(unit.id)}
    )
    db.session.commit()
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


def test_seal_links_events_written_before_the_chain(db, make_unit, app):
    make_unit("Västra skolan")
    _set_triggers_aside(db)
    db.session.execute(text("DELETE FROM audit_links"))
    db.session.commit()
    assert not audit_chain.verify(db.session()).ok
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0, result.output
    assert audit_chain.verify(db.session()).ok


# ---- PostgreSQL: immutability as a role that does not own the tables ------------------------------------------


@pytest.fixture
def app_role_url(app, db) -> Iterator[str]:
    """A login role with the rights the application needs (read and write rows) and not more: it owns nothing."""
    if TEST_DB != "postgres":
        pytest.skip("the records' triggers and roles are PostgreSQL's (TEST_DB=postgres)")
    with db.engine.begin() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
        if not exists:
            conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"))
    parts = urlsplit(str(db.engine.url.render_as_string(hide_password=False)))
    host = parts.netloc.split("@", 1)[-1]
    yield urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}"))


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
