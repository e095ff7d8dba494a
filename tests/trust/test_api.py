"""The trust endpoints of API.md: indicators, readings (one or a batch), boundaries and their agreement, breaches,
restoring baseline and the trust history; problem+json errors, Idempotency-Key."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import func, select

from app.trust.models import Reading

CLOCK = time_machine.travel("2026-06-15 10:00:00+02:00", tick=False)


@pytest.fixture(autouse=True)
def clock():
    with CLOCK as traveller:
        yield traveller


@pytest.fixture
def setup(db, make_unit, make_user, make_indicator, make_visit, api_token):
    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    people = {
        "member": make_user("unit_member", units=[unit], name="Elin Enhet"),
        "reviewer": make_user("reviewer", name="Rita Reviewer"),
        "coordinator": make_user("coordinator", name="Cora Coordinator"),
    }
    indicator = make_indicator("larm")
    headers = {role: api_token(person) for role, person in people.items()}
    return unit, people, indicator, headers


def agree(client, unit, headers, **terms):
    body = {"kind": "indicator", "indicator": "larm", "comparator": "<", "threshold": 90, "periods": 2}
    body.update(terms)
    body.setdefault("rationale", "Larm ska besvaras snabbt.")
    proposed = client.post(f"/api/v1/units/{unit.id}/boundaries", json=body, headers=headers["reviewer"])
    assert proposed.status_code == 201, proposed.json
    accepted = client.post(f"/api/v1/boundary-versions/{proposed.json['id']}/accept", headers=headers["member"])
    assert accepted.status_code == 200, accepted.json
    return accepted.json


def test_indicators_are_listed_for_everyone_and_added_by_coordinators(client, setup):
    _unit, _people, _indicator, headers = setup
    body = {"key": "fall", "name_sv": "Antal fall per 1000 vårddygn", "name_en": "Falls per 1,000 care days"}
    assert client.post("/api/v1/indicators", json=body, headers=headers["reviewer"]).status_code == 403
    created = client.post("/api/v1/indicators", json=body, headers=headers["coordinator"])
    assert created.status_code == 201
    listed = client.get("/api/v1/indicators", headers=headers["member"]).json
    assert [i["key"] for i in listed["items"]] == ["fall", "larm"]
    assert listed["total"] == 2


def test_a_duplicate_indicator_key_is_a_422_naming_the_field(client, setup):
    _unit, _people, _indicator, headers = setup
    body = {"key": "larm", "name_sv": "Larm", "name_en": "Alarms"}
    response = client.post("/api/v1/indicators", json=body, headers=headers["coordinator"])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"key": ["Det finns redan en indikator med den här nyckeln."]}


def test_a_coordinator_changes_an_indicators_names_but_not_its_key(client, setup):
    _unit, _people, indicator, headers = setup
    response = client.patch(
        f"/api/v1/indicators/{indicator.id}",
        json={"name_en": "Alarms answered in time"},
        headers=headers["coordinator"],
    )
    assert response.status_code == 200
    assert (response.json["key"], response.json["name_en"]) == ("larm", "Alarms answered in time")


def test_one_reading_is_stored_and_the_breaches_it_opened_are_answered(client, setup, enqueued):
    unit, _people, _indicator, headers = setup
    agree(client, unit, headers)
    first = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"indicator": "larm", "period": "2026-04", "value": 85},
        headers=headers["member"],
    )
    assert first.status_code == 201
    assert first.json["breaches"] == []
    second = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"indicator": "larm", "period": "2026-05", "value": "84,5"},
        headers=headers["member"],
    )
    assert second.status_code == 201
    [breach] = second.json["breaches"]
    assert breach["title"] == "Andel larm besvarade inom 10 minuter"
    assert breach["evidence"]["readings"] == [["2026-05", 84.5], ["2026-04", 85.0]]
    assert second.json["readings"][0]["value"] == 84.5


def test_a_batch_is_stored_all_or_nothing_with_errors_per_item(client, db, setup):
    unit, _people, _indicator, headers = setup
    response = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={
            "readings": [
                {"indicator": "larm", "period": "2026-03", "value": 91},
                {"indicator": "larm", "period": "2026-3", "value": 92},
                {"indicator": "nope", "period": "2026-04", "value": "x"},
            ]
        },
        headers=headers["member"],
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"readings[1].period", "readings[2].indicator", "readings[2].value"}
    assert db.session.scalar(select(func.count()).select_from(Reading)) == 0

    ok = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"readings": [{"indicator": "larm", "period": f"2026-0{m}", "value": 90 + m} for m in range(1, 6)]},
        headers=headers["reviewer"],
    )
    assert (ok.status_code, ok.json["created"]) == (201, 5)


def test_readings_are_listed_filtered_by_indicator_and_period(client, setup):
    unit, _people, _indicator, headers = setup
    client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"readings": [{"indicator": "larm", "period": f"2026-0{m}", "value": 90 + m} for m in range(1, 6)]},
        headers=headers["member"],
    )
    response = client.get(
        f"/api/v1/units/{unit.id}/readings?indicator=larm&from=2026-02&to=2026-04", headers=headers["member"]
    )
    assert response.status_code == 200
    assert [r["period"] for r in response.json["items"]] == ["2026-04", "2026-03", "2026-02"]
    assert client.get(f"/api/v1/units/{unit.id}/readings?indicator=okand", headers=headers["member"]).status_code == 422


def test_a_repeated_readings_post_with_the_same_idempotency_key_changes_nothing_more(client, db, setup):
    from app.core.models import AuditEvent

    unit, _people, _indicator, headers = setup
    body = {"indicator": "larm", "period": "2026-04", "value": 85}
    keyed = {**headers["member"], "Idempotency-Key": "k1"}
    first = client.post(f"/api/v1/units/{unit.id}/readings", json=body, headers=keyed)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    again = client.post(f"/api/v1/units/{unit.id}/readings", json=body, headers=keyed)

    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_boundaries_list_every_version_with_its_agreement(client, setup):
    unit, _people, _indicator, headers = setup
    version = agree(client, unit, headers)
    change = client.post(
        f"/api/v1/units/{unit.id}/boundaries",
        json={
            "boundary_id": version["boundary_id"],
            "threshold": 85,
            "indicator": "larm",
            "comparator": "<",
            "periods": 2,
            "rationale": "Mer realistiskt nattetid.",
        },
        headers=headers["member"],
    )
    assert change.status_code == 201
    listed = client.get(f"/api/v1/units/{unit.id}/boundaries", headers=headers["member"]).json
    [boundary] = listed["items"]
    assert boundary["state"] == "active"
    assert boundary["active_version_id"] == version["id"]
    assert boundary["pending_version_id"] == change.json["id"]
    assert [(v["number"], v["status"], v["proposed_by_side"]) for v in boundary["versions"]] == [
        (1, "active", "supervisor"),
        (2, "proposed", "unit"),
    ]
    assert boundary["versions"][0]["accepted_by"]["name"] == "Elin Enhet"
    assert boundary["versions"][0]["sentence"].startswith("Vi bevakar indikatorn")


def test_the_proposing_side_gets_403_and_a_decided_proposal_409(client, setup):
    unit, _people, _indicator, headers = setup
    proposed = client.post(
        f"/api/v1/units/{unit.id}/boundaries",
        json={"kind": "serious_deviation", "rationale": "Allvarliga brister följs upp."},
        headers=headers["reviewer"],
    ).json
    assert (
        client.post(f"/api/v1/boundary-versions/{proposed['id']}/accept", headers=headers["coordinator"]).status_code
        == 403
    )
    rejected = client.post(
        f"/api/v1/boundary-versions/{proposed['id']}/reject", json={"reason": "Inte nu."}, headers=headers["member"]
    )
    assert (rejected.status_code, rejected.json["rejection_reason"]) == (200, "Inte nu.")
    again = client.post(f"/api/v1/boundary-versions/{proposed['id']}/accept", headers=headers["member"])
    assert again.status_code == 409
    assert "väntar inte längre på svar" in again.json["detail"]


def test_proposing_beyond_the_limit_is_a_409_with_the_rule(app, client, setup):
    unit, _people, _indicator, headers = setup
    app.config["MAX_ACTIVE_BOUNDARIES"] = 1
    agree(client, unit, headers)
    response = client.post(
        f"/api/v1/units/{unit.id}/boundaries",
        json={"kind": "serious_deviation", "rationale": "Allvarliga brister följs upp."},
        headers=headers["reviewer"],
    )
    assert response.status_code == 409
    assert "högst 1 förtroendegränser" in response.json["detail"]


def test_breaches_are_listed_closed_by_a_reviewer_and_baseline_restored_by_a_coordinator(
    client, setup, enqueued, clock
):
    unit, _people, _indicator, headers = setup
    agree(client, unit, headers)
    client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"readings": [{"indicator": "larm", "period": p, "value": 80} for p in ("2026-04", "2026-05")]},
        headers=headers["member"],
    )
    [breach] = client.get(f"/api/v1/units/{unit.id}/breaches?status=open", headers=headers["member"]).json["items"]
    restore = {"reason": "Allt är bra igen."}

    refused = client.post(f"/api/v1/units/{unit.id}/restore-baseline", json=restore, headers=headers["coordinator"])
    assert refused.status_code == 409
    assert (
        client.post(
            f"/api/v1/breaches/{breach['id']}/close", json={"note": "Sett över."}, headers=headers["member"]
        ).status_code
        == 403
    )
    no_note = client.post(f"/api/v1/breaches/{breach['id']}/close", json={}, headers=headers["reviewer"])
    assert (no_note.status_code, list(no_note.json["errors"])) == (422, ["note"])
    closed = client.post(
        f"/api/v1/breaches/{breach['id']}/close",
        json={"note": "Larmrutinen nattetid är ändrad."},
        headers=headers["reviewer"],
    )
    assert (closed.status_code, closed.json["is_open"], closed.json["closed_by"]["name"]) == (
        200,
        False,
        "Rita Reviewer",
    )
    assert (
        client.post(f"/api/v1/units/{unit.id}/restore-baseline", json=restore, headers=headers["reviewer"]).status_code
        == 403
    )
    clock.shift(3600)
    restored = client.post(f"/api/v1/units/{unit.id}/restore-baseline", json=restore, headers=headers["coordinator"])
    assert restored.status_code == 200
    assert client.get(f"/api/v1/units/{unit.id}", headers=headers["member"]).json["trust_level"] == "baseline"

    history = client.get(f"/api/v1/units/{unit.id}/trust-history", headers=headers["member"]).json
    assert [(h["to_level"], h["reason"], (h["actor"] or {}).get("name")) for h in history["items"]] == [
        ("baseline", "Allt är bra igen.", "Cora Coordinator"),
        ("closer_review", "Förtroendegränsen ”Andel larm besvarade inom 10 minuter” överskreds.", None),
    ]


def test_the_openapi_document_describes_the_trust_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/indicators",
        "/api/v1/units/{unit_id}/readings",
        "/api/v1/units/{unit_id}/boundaries",
        "/api/v1/boundary-versions/{boundary_version_id}/accept",
        "/api/v1/boundary-versions/{boundary_version_id}/reject",
        "/api/v1/units/{unit_id}/breaches",
        "/api/v1/breaches/{breach_id}/close",
        "/api/v1/units/{unit_id}/restore-baseline",
        "/api/v1/units/{unit_id}/trust-history",
    ):
        assert path in paths, path
