"""A unit member reads the audit trail of their own unit's objects that they may see — follow-ups, boundaries,
readings — through the API and on the pages alike, and nothing of another unit (DESIGN.md 4.6, last bullet).
The domains register which of their object types a unit reads (app.core.audit.register_audit_type)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

API = "/api/v1"


def _times(html: str) -> list[datetime]:
    """The moments of the events a page's timeline lists."""
    section = html[html.index('class="timeline"') :]
    return [datetime.fromisoformat(t) for t in re.findall(r'<time datetime="([^"]+)"', section)]


def _api_trail(client: Any, headers: dict[str, str], object_type: str, object_id: Any) -> Any:
    return client.get(f"{API}/audit?object_type={object_type}&object_id={object_id}&per_page=200", headers=headers)


def test_a_unit_member_reads_their_own_follow_ups_history_through_the_api_and_the_page(
    people, make_follow_up, client, api_token, new_browser
):
    follow_up = make_follow_up("done_reported")
    response = _api_trail(client, api_token(people.owner), "follow_up", follow_up.id)
    assert response.status_code == 200
    items = response.json["items"]
    assert {e["object_type"] for e in items} <= {"follow_up", "follow_up_evidence"}
    assert [e["action"] for e in items][:1] == ["create"] and len(items) >= 3
    browser = new_browser()
    browser.login(people.owner)
    page = browser.get(f"/follow-ups/{follow_up.id}").text
    assert _times(page) == [datetime.fromisoformat(e["occurred_at"]) for e in items]


@pytest.fixture
def trust_objects(make_unit, make_user, make_indicator, make_boundary, report, db) -> Any:
    from app.trust.models import Reading

    unit = make_unit("Ekbacken")
    member = make_user("unit_member", units=[unit], name="Maja Medlem")
    indicator = make_indicator("larm")
    version = make_boundary(unit, indicator=indicator, acceptor=member)
    report(unit, indicator, {"2029-10": 95.0})
    reading = db.session.scalar(select(Reading).where(Reading.unit_id == unit.id))
    return unit, member, version, reading


@pytest.mark.parametrize("object_type", ["boundary", "boundary_version", "reading"])
def test_a_unit_member_reads_their_own_boundarys_and_readings_history_through_the_api_and_the_unit_page(
    object_type, trust_objects, client, api_token, new_browser
):
    unit, member, version, reading = trust_objects
    object_id = {"boundary": version.boundary_id, "boundary_version": version.id, "reading": reading.id}[object_type]
    response = _api_trail(client, api_token(member), object_type, object_id)
    assert response.status_code == 200
    items = response.json["items"]
    assert items and items[0]["object_type"] == object_type and items[0]["action"] == "create"
    browser = new_browser()
    browser.login(member)
    shown = set(_times(browser.get(f"/units/{unit.id}").text))
    assert {datetime.fromisoformat(e["occurred_at"]) for e in items} <= shown


@pytest.mark.parametrize("object_type", ["follow_up", "boundary", "boundary_version", "reading", "breach"])
def test_a_unit_member_gets_404_for_the_history_of_another_units_trust_and_follow_ups(
    object_type, trust_objects, people, make_follow_up, make_unit, make_user, client, api_token, db
):
    _unit, _member, version, reading = trust_objects
    follow_up = make_follow_up("agreed")
    ids = {
        "follow_up": follow_up.id,
        "boundary": version.boundary_id,
        "boundary_version": version.id,
        "reading": reading.id,
        "breach": version.boundary_id,  # no breach exists: the answer must not differ from another unit's
    }
    stranger = make_user("unit_member", units=[make_unit("Solrosen")])
    response = _api_trail(client, api_token(stranger), object_type, ids[object_type])
    assert response.status_code == 404


def test_a_unit_members_whole_trail_holds_their_follow_ups_and_trust_but_no_other_units(
    trust_objects, people, make_follow_up, make_indicator, make_boundary, client, api_token
):
    _other_unit, _member, other_version, _reading = trust_objects
    follow_up = make_follow_up("agreed")
    own_version = make_boundary(people.unit, indicator=make_indicator("fall"), acceptor=people.owner)
    items = client.get(f"{API}/audit?per_page=200", headers=api_token(people.owner)).json["items"]
    ids = {e["object_id"] for e in items}
    assert {str(follow_up.id), str(own_version.boundary_id), str(own_version.id)} <= ids
    assert {e["unit_id"] for e in items} == {str(people.unit.id)}
    assert str(other_version.id) not in ids


def test_a_follow_up_the_team_prepares_before_kommunicering_stays_out_of_the_units_trail(
    people, make_visit, client, api_token, new_browser, db
):
    from app.followups import services
    from app.visits import services as visit_services

    draft = make_visit("draft", unit=people.unit, lead=people.lead)
    prepared = services.propose(
        actor=people.lead,
        unit_id=people.unit.id,
        title="Rutin för nattlarm",
        description="Ta fram en rutin.",
        due_date=date.today() + timedelta(days=30),
        owner_id=people.owner.id,
        visit_id=draft.id,
    )
    db.session.commit()
    headers = api_token(people.owner)
    assert _api_trail(client, headers, "follow_up", prepared.id).status_code == 404
    whole = client.get(f"{API}/audit?per_page=200", headers=headers).json["items"]
    assert str(prepared.id) not in {e["object_id"] for e in whole}
    unit_trail = _api_trail(client, headers, "unit", people.unit.id).json["items"]
    assert str(prepared.id) not in {e["object_id"] for e in unit_trail}
    visit_services.transition(draft.id, actor=people.lead, to="sent_for_comment")
    db.session.commit()
    assert _api_trail(client, headers, "follow_up", prepared.id).status_code == 200
