"""The command line of API.md."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.units.models import Unit


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_units_create_prints_the_id(app, db):
    result = run(app, "units", "create", "Skolan", "--kind", "school", "--email", "info@skolan.se")
    assert result.exit_code == 0, result.output
    unit = db.session.scalar(select(Unit))
    assert result.output.strip() == str(unit.id)
    assert (unit.kind.value, unit.contact_email) == ("school", "info@skolan.se")


def test_a_bad_kind_is_a_one_line_error(app):
    result = run(app, "units", "create", "Skolan", "--kind", "castle")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "kind" in result.output


def test_users_create_without_password_prints_a_set_password_link(app, db, make_unit):
    unit = make_unit("Skolan")
    result = run(
        app, "users", "create", "Anna@Example.se", "--name", "Anna", "--role", "unit_member", "--unit", "Skolan"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "/set-password/" in lines[-1]
    person = db.session.scalar(select(User))
    assert person.email == "anna@example.se"
    assert person.unit_ids == {unit.id}
    assert person.password_hash is None


def test_users_create_with_a_unit_id_and_password(app, db, make_unit, client):
    unit = make_unit("Skolan")
    result = run(
        app,
        "users",
        "create",
        "b@example.se",
        "--name",
        "B",
        "--role",
        "unit_member",
        "--unit",
        str(unit.id),
        "--password",
        "ett bra långt lösenord",
    )
    assert result.exit_code == 0, result.output
    assert "/set-password/" not in result.output


def test_users_create_refuses_a_common_password(app, db):
    result = run(
        app, "users", "create", "c@example.se", "--name", "C", "--role", "reviewer", "--password", "123456789012"
    )
    assert result.exit_code == 1
    assert "password" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_with_an_unknown_unit_fails_and_creates_nothing(app, db):
    result = run(app, "users", "create", "d@example.se", "--name", "D", "--role", "unit_member", "--unit", "Finns inte")
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_tokens_create_prints_a_working_token_on_the_last_line(app, client, make_user):
    person = make_user("reviewer")
    result = run(app, "tokens", "create", person.email, "--label", "Import")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_demo_data_is_idempotent(app, db):
    from app.core.models import AuditEvent

    first = run(app, "demo-data")
    assert first.exit_code == 0, first.output
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, User, AuditEvent)]
    second = run(app, "demo-data")
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, User, AuditEvent)] == counts
    assert counts[0] >= 3
    roles = {r for u in db.session.scalars(select(User)) for r in u.roles}
    assert {r.value for r in roles} == {"coordinator", "reviewer", "unit_member"}


def test_every_command_has_help(app):
    for args in (["units", "create"], ["users", "create"], ["tokens", "create"], ["demo-data"]):
        result = run(app, *args, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.output
