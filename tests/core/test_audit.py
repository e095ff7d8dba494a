"""The audit trail: every change through the UI, the API and the CLI, in the same transaction, append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.core.models import AuditEvent
from app.units.models import Unit


def _events(db, object_type=None):
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.occurred_at)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return db.session.scalars(query).all()


def test_unit_created_in_the_ui_is_audited_with_actor_and_address(browser, make_user, db):
    coordinator = make_user("coordinator")
    browser.login(coordinator)
    response = browser.post("/units/new", {"name": "Nya skolan", "kind": "school", "contact_email": "rektor@skolan.se"})
    assert response.status_code == 302
    [event] = _events(db, "unit")
    assert event.action == "create"
    assert event.actor_id == coordinator.id
    assert event.via == "web"
    assert event.client_address == "127.0.0.1"
    assert event.changes["name"] == [None, "Nya skolan"]
    assert event.occurred_at.tzinfo is not None


def test_unit_edit_records_before_and_after(browser, make_user, make_unit, db):
    coordinator = make_user("coordinator")
    unit = make_unit("Gamla namnet")
    browser.login(coordinator)
    browser.post(f"/units/{unit.id}/edit", {"name": "Nya namnet", "kind": "school", "contact_email": ""})
    update = [e for e in _events(db, "unit") if e.action == "update"]
    assert len(update) == 1
    assert update[0].changes == {"name": ["Gamla namnet", "Nya namnet"]}


def test_unit_history_shows_on_the_unit_page(browser, make_user, make_unit, db):
    coordinator = make_user("coordinator", name="Cecilia Coordinator")
    unit = make_unit("Gamla namnet")
    browser.login(coordinator)
    browser.post(f"/units/{unit.id}/edit", {"name": "Nya namnet", "kind": "school", "contact_email": ""})
    page = browser.get(f"/units/{unit.id}").text
    assert "Cecilia Coordinator ändrade uppgifterna för enheten Nya namnet." in page
    assert "<del>Gamla namnet</del>" in page


def test_changes_through_the_api_are_audited(client, make_user, api_token, db):
    coordinator = make_user("coordinator")
    response = client.post("/api/v1/units", json={"name": "API-enheten"}, headers=api_token(coordinator))
    assert response.status_code == 201
    [event] = _events(db, "unit")
    assert (event.actor_id, event.via) == (coordinator.id, "api")


def test_changes_through_the_cli_are_audited(app, db):
    result = app.test_cli_runner().invoke(args=["units", "create", "CLI-enheten", "--kind", "school"])
    assert result.exit_code == 0, result.output
    [event] = _events(db, "unit")
    assert (event.actor_id, event.actor_label, event.via) == (None, "cli", "cli")


def test_password_hashes_never_reach_the_trail(browser, make_user, db):
    coordinator = make_user("coordinator")
    browser.login(coordinator)
    browser.post(
        "/profile/password",
        {
            "current_password": "correct horse battery staple",
            "password": "ett helt nytt lösenord",
            "confirm": "ett helt nytt lösenord",
        },
    )
    [event] = [e for e in _events(db, "user") if e.action == "update"]
    assert event.changes == {"password_hash": ["***", "***"]}


def test_a_rolled_back_change_leaves_no_event(app, db):
    db.session.add(Unit(name="Ångrad"))
    db.session.flush()
    db.session.rollback()
    assert _events(db) == []


def test_the_orm_refuses_to_change_an_event(app, db, make_unit):
    make_unit("Något")
    [event] = _events(db)
    event.action = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_events(app, db, make_unit, statement):
    make_unit("Något")
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert len(_events(db)) == 1
