"""The JSON API foundation of API.md: tokens, problem+json, pagination, Idempotency-Key, OpenAPI."""

from __future__ import annotations

from sqlalchemy import func, select

from app.units.models import Unit


def test_no_token_is_a_401_problem(client):
    response = client.get("/api/v1/units")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 401
    assert {"type", "title", "status", "detail"} <= set(body)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_a_401(client):
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer tl_nonsense"}).status_code == 401


def test_a_revoked_token_stops_working(client, make_user, api_token, db):
    from app.auth import services
    from app.auth.models import ApiToken

    person = make_user("reviewer")
    headers = api_token(person)
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == person.id))
    services.revoke_api_token(token.id, actor=person)
    db.session.commit()
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_a_session_cookie_does_not_authenticate_the_api(browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.get("/api/v1/units").status_code == 401


def test_unit_list_is_paginated(client, make_user, make_unit, api_token):
    for i in range(5):
        make_unit(f"Enhet {i}")
    response = client.get("/api/v1/units?per_page=2&page=2", headers=api_token(make_user("reviewer")))
    assert response.status_code == 200
    body = response.json
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, 5)
    assert [u["name"] for u in body["items"]] == ["Enhet 2", "Enhet 3"]
    assert body["items"][0]["trust_level"] == "baseline"


def test_per_page_over_200_is_a_422_with_the_field_named(client, make_user, api_token):
    response = client.get("/api/v1/units?per_page=500", headers=api_token(make_user("reviewer")))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "per_page" in response.json["errors"]


def test_unit_member_lists_only_own_units(client, make_user, make_unit, api_token):
    own, _other = make_unit("Egen"), make_unit("Annan")
    member = make_user("unit_member", units=[own])
    response = client.get("/api/v1/units", headers=api_token(member))
    assert [u["name"] for u in response.json["items"]] == ["Egen"]


def test_another_units_object_is_a_404_problem(client, make_user, make_unit, api_token):
    own, other = make_unit("Egen"), make_unit("Annan")
    member = make_user("unit_member", units=[own])
    response = client.get(f"/api/v1/units/{other.id}", headers=api_token(member))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_invalid_input_is_a_422_with_per_field_errors(client, make_user, api_token):
    response = client.post(
        "/api/v1/units",
        json={"name": "", "contact_email": "inte-en-adress"},
        headers=api_token(make_user("coordinator")),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"name", "contact_email"}


def test_a_duplicate_name_is_a_422_from_the_service(client, make_user, make_unit, api_token):
    make_unit("Finns redan")
    response = client.post("/api/v1/units", json={"name": "finns redan"}, headers=api_token(make_user("coordinator")))
    assert response.status_code == 422
    assert "name" in response.json["errors"]


def test_a_role_that_may_not_write_gets_403(client, make_user, api_token):
    response = client.post("/api/v1/units", json={"name": "X"}, headers=api_token(make_user("reviewer")))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_repeating_a_write_with_the_same_idempotency_key_changes_nothing_more(client, make_user, api_token, db):
    headers = {**api_token(make_user("coordinator")), "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/units", json={"name": "En gång"}, headers=headers)
    second = client.post("/api/v1/units", json={"name": "En gång"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_the_same_key_with_another_body_is_refused(client, make_user, api_token):
    headers = {**api_token(make_user("coordinator")), "Idempotency-Key": "k-1"}
    client.post("/api/v1/units", json={"name": "Första"}, headers=headers)
    response = client.post("/api/v1/units", json={"name": "Andra"}, headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]


def test_keys_are_per_person(client, make_user, api_token, db):
    body = {"name": "Samma nyckel"}
    client.post("/api/v1/units", json=body, headers={**api_token(make_user("coordinator")), "Idempotency-Key": "same"})
    other = client.post(
        "/api/v1/units",
        json={"name": "Annan enhet"},
        headers={**api_token(make_user("coordinator")), "Idempotency-Key": "same"},
    )
    assert other.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 2


def test_openapi_document_is_generated_from_the_code(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/units", "/api/v1/units/{unit_id}"} <= set(spec["paths"])
    get_units = spec["paths"]["/api/v1/units"]["get"]
    assert {p["name"] for p in get_units["parameters"]} >= {"page", "per_page"}
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_a_client_generated_id_makes_a_create_idempotent(client, make_user, api_token, db):
    import uuid

    headers = api_token(make_user("coordinator"))
    chosen = str(uuid.uuid4())
    first = client.post("/api/v1/units", json={"id": chosen, "name": "Med eget id"}, headers=headers)
    again = client.post("/api/v1/units", json={"id": chosen, "name": "Med eget id"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"] == chosen
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1
