"""The follow-ups in the JSON API (API.md): the same services and rules as the browser, problem+json for
refusals, pagination, Idempotency-Key, and the calendar feed's place in it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from app.followups.models import FollowUp


def body(people, **overrides):
    return {
        "title": "Rutin för nattlarm",
        "description": "Ta fram en rutin.",
        "owner_id": str(people.owner.id),
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
        **overrides,
    }


def test_the_unit_proposes_and_the_review_team_accepts(people, client, api_token):
    unit_headers = api_token(people.colleague)
    created = client.post(
        f"/api/v1/units/{people.unit.id}/follow-ups", json=body(people, owner_id=None), headers=unit_headers
    )
    assert created.status_code == 201
    item = created.json
    assert (item["status"], item["proposed_by_side"], item["owner_id"]) == (
        "proposed",
        "unit",
        str(people.colleague.id),
    )
    assert item["unit_accepted_at"] is not None and item["supervisor_accepted_at"] is None

    accepted = client.post(f"/api/v1/follow-ups/{item['id']}/accept", headers=api_token(people.reviewer))

    assert accepted.status_code == 200
    assert (accepted.json["status"], accepted.json["overdue"]) == ("agreed", False)


def test_missing_fields_are_a_422_naming_each_field(people, client, api_token):
    response = client.post(
        f"/api/v1/units/{people.unit.id}/follow-ups", json={"title": ""}, headers=api_token(people.reviewer)
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"title", "description", "due_date", "owner"}


def test_a_due_date_in_the_past_is_a_422(people, client, api_token):
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/units/{people.unit.id}/follow-ups",
        json=body(people, due_date=yesterday),
        headers=api_token(people.reviewer),
    )
    assert response.status_code == 422
    assert "due_date" in response.json["errors"]


def test_a_rule_that_forbids_the_action_is_a_409_with_the_rule(people, make_follow_up, client, api_token):
    follow_up = make_follow_up("proposed")
    response = client.post(f"/api/v1/follow-ups/{follow_up.id}/accept", headers=api_token(people.coordinator))
    assert response.status_code == 409
    assert "redan godtagit" in response.json["detail"]


def test_the_wrong_side_is_a_403(people, make_follow_up, client, api_token):
    follow_up = make_follow_up("agreed")
    response = client.post(
        f"/api/v1/follow-ups/{follow_up.id}/report-done",
        json={"description": "Klart."},
        headers=api_token(people.reviewer),
    )
    assert response.status_code == 403


def test_another_units_follow_up_is_a_404(people, make_follow_up, make_unit, make_user, client, api_token):
    stranger = make_user("unit_member", units=[make_unit("Annan")])
    follow_up = make_follow_up("agreed")
    headers = api_token(stranger)
    assert client.get(f"/api/v1/follow-ups/{follow_up.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/units/{people.unit.id}/follow-ups", headers=headers).status_code == 404
    assert client.get("/api/v1/follow-ups?status=all", headers=headers).json["total"] == 0


def test_the_whole_workflow_through_the_api(people, make_follow_up, client, api_token):
    follow_up = make_follow_up("agreed")
    unit, reviewer = api_token(people.owner), api_token(people.reviewer)
    url = f"/api/v1/follow-ups/{follow_up.id}"
    new_due = (follow_up.due_date + timedelta(days=7)).isoformat()
    assert client.patch(url, json={"due_date": new_due}, headers=reviewer).json["due_date"] == new_due
    assert client.post(f"{url}/report-done", json={"description": ""}, headers=unit).status_code == 422
    assert client.post(f"{url}/report-done", json={"description": "Klart."}, headers=unit).json["status"] == (
        "done_reported"
    )
    assert client.post(f"{url}/reopen", json={"note": "Inte riktigt."}, headers=reviewer).json["status"] == "agreed"
    client.post(f"{url}/report-done", json={"description": "Nu klart."}, headers=unit)
    assert client.post(f"{url}/verify", json={"note": "x"}, headers=reviewer).status_code == 422
    verified = client.post(f"{url}/verify", json={"note": "Kontrollerat på plats."}, headers=reviewer)
    assert (verified.json["status"], verified.json["verification_note"]) == ("verified", "Kontrollerat på plats.")
    assert client.post(f"{url}/cancel", json={"reason": "Igen."}, headers=reviewer).status_code == 409


def test_a_repeated_create_with_the_same_idempotency_key_creates_one(people, client, api_token, db):
    headers = {**api_token(people.reviewer), "Idempotency-Key": "abc-123"}
    first = client.post(f"/api/v1/units/{people.unit.id}/follow-ups", json=body(people), headers=headers)
    second = client.post(f"/api/v1/units/{people.unit.id}/follow-ups", json=body(people), headers=headers)
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_a_repeated_create_with_the_clients_id_creates_one(people, client, api_token, db):
    headers = api_token(people.reviewer)
    client_id = str(uuid.uuid4())
    for _ in range(2):
        response = client.post(
            f"/api/v1/units/{people.unit.id}/follow-ups", json=body(people, id=client_id), headers=headers
        )
        assert response.json["id"] == client_id
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_the_unit_list_is_paginated_and_sorted_by_due_date(people, make_follow_up, client, api_token):
    for days in (30, 10, 20):
        make_follow_up("agreed", due_date=date.today() + timedelta(days=days), title=f"Åtgärd {days}")
    headers = api_token(people.owner)
    first = client.get(f"/api/v1/units/{people.unit.id}/follow-ups?per_page=2", headers=headers).json
    assert (first["total"], [i["title"] for i in first["items"]]) == (3, ["Åtgärd 10", "Åtgärd 20"])
    latest = client.get(f"/api/v1/units/{people.unit.id}/follow-ups?sort=-due&per_page=1", headers=headers).json
    assert [i["title"] for i in latest["items"]] == ["Åtgärd 30"]
    assert client.get("/api/v1/follow-ups?status=nonsense", headers=headers).status_code == 422


def test_the_openapi_document_describes_the_follow_up_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/units/{unit_id}/follow-ups",
        "/api/v1/follow-ups/{follow_up_id}",
        "/api/v1/follow-ups/{follow_up_id}/accept",
        "/api/v1/follow-ups/{follow_up_id}/report-done",
        "/api/v1/follow-ups/{follow_up_id}/verify",
        "/api/v1/follow-ups/{follow_up_id}/reopen",
        "/api/v1/follow-ups/{follow_up_id}/cancel",
    ):
        assert path in paths, path
