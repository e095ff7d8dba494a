"""POST /api/v1/sync answers a bad item on its own (DESIGN.md 4.8): the rest of the batch is applied."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.visits.models import Finding

API = "/api/v1"


def op(name: str, **args: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "op": name,
        "args": {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in args.items()},
    }


@pytest.fixture
def as_(api_token):
    return api_token


def findings(db) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Finding.text).order_by(Finding.created_at)))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"kind": "strength", "text": "Bra\x00 rutin."}, "args.text"),
        ({"kind": "strength", "text": "Ensamt surrogat \ud800."}, "args.text"),
        ({"kind": "strength", "text": ["en lista"]}, "args.text"),
        ({"kind": "strength", "text": "Bra.", "severity": {"nested": 1}}, "args.severity"),
        ({"kind": "strength", "text": "Bra.", "review_area": "\x00"}, "args.review_area"),
    ],
)
def test_a_bad_item_is_a_422_for_that_item_and_the_rest_is_applied(args, field, client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    batch = {
        "on_error": "continue",
        "operations": [
            op("add_finding", visit_id=visit.id, kind="strength", text="Före."),
            op("add_finding", visit_id=visit.id, **args),
            op("add_finding", visit_id=visit.id, kind="strength", text="Efter."),
        ],
    }
    response = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead))
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert field in results[1]["problem"]["errors"]
    assert findings(db) == ["Före.", "Efter."]


def test_a_nul_in_an_operation_id_is_a_422_naming_it(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    bad = {"id": "a\x00b", "op": "add_finding", "args": {"visit_id": str(visit.id)}}
    response = client.post(f"{API}/sync", json={"operations": [bad]}, headers=as_(visit.lead))
    assert response.status_code == 422
    assert "operations.0.id" in response.json["errors"]


def test_a_bad_item_stops_the_rest_by_default_but_is_still_its_own_422(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    batch = {
        "operations": [
            op("add_finding", visit_id=visit.id, kind="strength", text="Nul\x00."),
            op("add_finding", visit_id=visit.id, kind="strength", text="Efter."),
        ]
    }
    response = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead))
    assert [r["status"] for r in response.json["results"]] == [422, 424]
    assert findings(db) == []
