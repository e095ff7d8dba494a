"""``actions`` in the API's answers: what the caller may do with the object now, from the same predicates the
pages ask (app/<domain>/policy.py), and each name in the OpenAPI document."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

API = "/api/v1"


def test_a_visit_lists_the_moves_its_lead_may_make_and_a_unit_member_none(client, make_visit, make_user, api_token):
    visit = make_visit("draft")
    lead = client.get(f"{API}/visits/{visit.id}", headers=api_token(visit.lead)).json["actions"]
    moves = ["transition:in_progress", "transition:sent_for_comment", "transition:final"]
    assert lead == ["update", *moves, "add_finding", "write_summary"]
    reviewer = client.get(f"{API}/visits/{visit.id}", headers=api_token(make_user("reviewer"))).json["actions"]
    assert reviewer == []


def test_a_unit_member_may_respond_until_the_comment_deadline_and_not_after(client, make_visit, make_user, api_token):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    headers = api_token(member)
    assert client.get(f"{API}/visits/{visit.id}", headers=headers).json["actions"] == ["respond"]
    finding = client.get(f"{API}/findings/{visit.findings[0].id}", headers=headers).json
    assert finding["actions"] == ["respond"]
    with time_machine.travel(visit.comment_deadline + timedelta(days=2)):
        assert client.get(f"{API}/visits/{visit.id}", headers=headers).json["actions"] == []
        refused = client.post(f"{API}/visits/{visit.id}/response", json={"text": "Sent."}, headers=headers)
        assert refused.status_code == 409


def test_a_findings_team_may_change_it_while_the_visit_is_in_progress(client, make_visit, api_token):
    visit = make_visit("in_progress")
    finding = client.get(f"{API}/findings/{visit.findings[0].id}", headers=api_token(visit.lead)).json
    assert finding["actions"] == ["update", "delete", "add_evidence"]


@pytest.mark.parametrize(
    ("status", "who", "expected"),
    [
        ("proposed", "owner", ["accept", "update", "cancel"]),
        ("proposed", "reviewer", ["update", "cancel"]),
        ("agreed", "owner", ["update", "report_done"]),
        ("agreed", "reviewer", ["update", "cancel"]),
        ("done_reported", "reviewer", ["verify", "reopen", "cancel"]),
        ("done_reported", "owner", []),
        ("verified", "coordinator", []),
    ],
)
def test_a_follow_up_lists_the_workflow_steps_the_caller_may_take(
    status, who, expected, people, make_follow_up, client, api_token
):
    follow_up = make_follow_up(status)
    person = {"owner": people.owner, "reviewer": people.reviewer, "coordinator": people.coordinator}[who]
    answer = client.get(f"{API}/follow-ups/{follow_up.id}", headers=api_token(person)).json
    assert answer["actions"] == expected


def test_a_proposal_lists_accept_and_reject_for_the_other_party_and_withdraw_for_the_proposer(
    make_unit, make_user, make_indicator, client, api_token, db
):
    from app.trust import services

    unit = make_unit("Ekbacken")
    member = make_user("unit_member", units=[unit])
    reviewer = make_user("reviewer")
    indicator = make_indicator("larm")
    services.propose_boundary(
        unit.id,
        actor=reviewer,
        kind="indicator",
        indicator=indicator.key,
        comparator="<",
        threshold=90,
        periods=3,
        days=None,
        rationale="Larm som inte besvaras i tid är en risk.",
    )
    db.session.commit()

    def actions(person):  # type: ignore[no-untyped-def]
        [boundary] = client.get(f"{API}/units/{unit.id}/boundaries", headers=api_token(person)).json["items"]
        return boundary["versions"][0]["actions"]

    assert actions(member) == ["accept", "reject"]
    assert actions(reviewer) == ["withdraw"]


def test_a_breach_may_be_closed_by_a_reviewer_not_by_the_unit(
    make_unit, make_user, make_indicator, make_boundary, report, client, api_token
):
    unit = make_unit("Ekbacken")
    member = make_user("unit_member", units=[unit])
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=1, acceptor=member)
    report(unit, indicator, {"2029-10": 50.0}, today=date(2029, 11, 5))

    def actions(person):  # type: ignore[no-untyped-def]
        [breach] = client.get(f"{API}/units/{unit.id}/breaches", headers=api_token(person)).json["items"]
        return breach["actions"]

    assert actions(make_user("reviewer")) == ["close"]
    assert actions(member) == []


def test_the_openapi_document_names_every_action(client):
    schemas = client.get(f"{API}/openapi.json").json["components"]["schemas"]
    for name in ("Visit", "Finding", "FollowUp", "BoundaryVersion", "Breach"):
        actions = schemas[name]["properties"]["actions"]
        assert actions["type"] == "array" and actions["items"]["enum"], name
    assert "respond" in schemas["Visit"]["properties"]["actions"]["items"]["enum"]
