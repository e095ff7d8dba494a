"""The visits API of API.md: visits, findings, evidence, transitions, responses, the report, templates, the
audit trail and the tablet's offline queue; what a unit member may see of it; idempotent writes."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.core import access
from app.visits import services
from app.visits.models import Evidence, Finding, Response, Visit, VisitStatus
from tests.test_access_matrix import database_fingerprint

API = "/api/v1"
WAIVER = "Enheten har i telefonsamtal avstått från att yttra sig över rapporten."


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Tablet Maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 19.0, 48.0)
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "steelblue").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def fetch(client, url: str, headers: dict[str, str]) -> Any:
    """A GET whose (possibly streamed) file is read and closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def as_(api_token):
    """Headers for a person's token, made once per person."""
    made: dict[Any, dict[str, str]] = {}

    def headers(person: Any, **extra: str) -> dict[str, str]:
        if person.id not in made:
            made[person.id] = api_token(person)
        return {**made[person.id], **extra}

    return headers


@pytest.fixture
def draft(make_visit):
    visit = make_visit(
        "draft",
        findings=(("strength", None, "Hemlig styrka i utkastet."), ("deviation", "minor", "Hemlig brist.")),
    )
    services.update_plan(
        visit.id,
        actor=access.OPERATOR,  # type: ignore[arg-type]
        visit_date=visit.visit_date,
        lead_id=visit.lead.id,
        member_ids=[],
        aim="Hemligt syfte i utkastet.",
    )
    from app.extensions import db

    db.session.commit()
    return visit


# ---- reading visits -------------------------------------------------------------------------------


def test_a_reviewer_reads_a_visit_with_its_review_areas(client, make_visit, make_user, as_):
    visit = make_visit("in_progress")
    body = client.get(f"{API}/visits/{visit.id}", headers=as_(make_user("reviewer"))).json
    assert body["case_number"] == visit.case_number
    assert body["status"] == "in_progress"
    assert body["team"] == [{"user_id": str(visit.lead.id), "name": "Lena Lead", "is_lead": True}]
    assert body["template"]["version_id"] == str(visit.template_version_id)
    assert [a["title"] for a in body["review_areas"]] == ["Trygghet och säkerhet", "Bemötande och delaktighet"]
    assert body["review_areas"][0]["questions"][0] == "Hur arbetar ni med riskbedömningar?"


def test_before_kommunicering_a_unit_member_sees_only_date_team_status_and_case_number(client, draft, make_user, as_):
    member = make_user("unit_member", units=[draft.unit])
    response = client.get(f"{API}/visits/{draft.id}", headers=as_(member))
    assert response.status_code == 200
    fields = {"id", "case_number", "unit", "unit_id", "status", "visit_date", "team", "actions"}
    # and why it was cancelled or taken back for revision, when it was (DESIGN.md 4.1: shown to both parties)
    fields |= {"cancel_reason", "cancelled_at", "withdrawal_reason", "withdrawn_at"}
    assert set(response.json) == fields
    assert response.json["actions"] == []  # nothing the unit may do with a draft
    listed = client.get(f"{API}/visits", headers=as_(member))
    assert set(listed.json["items"][0]) == set(response.json)
    for answer in (response, listed):
        assert "Hemlig" not in answer.get_data(as_text=True)


def test_from_kommunicering_on_the_unit_member_sees_the_whole_visit(client, make_visit, make_user, as_):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    body = client.get(f"{API}/visits/{visit.id}", headers=as_(member)).json
    assert body["comment_deadline"] == visit.comment_deadline.isoformat()
    assert "review_areas" in body and "aim" in body


@pytest.mark.parametrize(
    "path",
    [
        "/visits/{visit}/findings",
        "/findings/{finding}",
        "/evidence/{evidence}",
        "/evidence/{evidence}/thumbnail",
        "/visits/{visit}/report.pdf",
        "/visits/{visit}/responses",
    ],
)
def test_a_unit_member_gets_404_for_a_drafts_content(path, client, draft, make_user, as_, db):
    from app.visits import evidence

    item = evidence.store_upload(draft.findings[0].id, actor=draft.lead, filename="a.jpg", data=jpeg_with_gps())
    db.session.commit()
    member = make_user("unit_member", units=[draft.unit])
    url = API + path.format(visit=draft.id, finding=draft.findings[0].id, evidence=item.id)
    response = fetch(client, url, as_(member))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert fetch(client, url, as_(draft.lead)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/visits/{visit}"),
        ("PATCH", "/visits/{visit}"),
        ("GET", "/visits/{visit}/findings"),
        ("POST", "/visits/{visit}/findings"),
        ("POST", "/visits/{visit}/transition"),
        ("POST", "/visits/{visit}/response"),
        ("POST", "/visits/{visit}/follow-up"),
        ("GET", "/visits/{visit}/report.pdf"),
        ("GET", "/visits/{visit}/responses"),
        ("GET", "/findings/{finding}"),
        ("PATCH", "/findings/{finding}"),
        ("DELETE", "/findings/{finding}"),
        ("POST", "/findings/{finding}/response"),
        ("POST", "/findings/{finding}/evidence"),
        ("GET", "/evidence/{evidence}"),
        ("DELETE", "/evidence/{evidence}"),
    ],
)
def test_everything_of_another_unit_is_a_404_whatever_the_body(
    method, path, client, make_visit, make_user, make_unit, as_, db
):
    from app.visits import evidence

    visit = make_visit("draft")
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="a.jpg", data=jpeg_with_gps())
    services.transition(visit.id, actor=visit.lead, to="sent_for_comment")
    db.session.commit()
    stranger = make_user("unit_member", units=[make_unit()])
    url = API + path.format(visit=visit.id, finding=visit.findings[0].id, evidence=item.id)
    headers = as_(stranger)
    before = database_fingerprint()
    response = client.open(url, method=method, json={"to": "final", "text": "x"}, headers=headers)
    assert response.status_code == 404
    assert database_fingerprint() == before


def test_the_list_holds_only_the_unit_members_own_units_visits(client, make_visit, make_user, as_):
    own = make_visit("planned")
    make_visit("planned", lead=own.lead)
    member = make_user("unit_member", units=[own.unit])
    body = client.get(f"{API}/visits", headers=as_(member)).json
    assert [v["id"] for v in body["items"]] == [str(own.id)]
    assert body["total"] == 1


def test_a_page_size_over_the_limit_is_refused_in_the_callers_language(client, make_user, as_):
    response = client.get(f"{API}/visits?per_page=500", headers=as_(make_user("reviewer")))
    assert response.status_code == 422
    assert response.json["errors"]["per_page"] == ["Ange ett tal från 1 till 200."]


def test_the_list_filters_by_status_unit_and_reviewer(client, make_visit, make_user, as_):
    me = make_user("reviewer")
    mine = make_visit("planned", lead=me)
    theirs = make_visit("draft", unit=mine.unit)
    headers = as_(me)

    def ids(query: str) -> set[str]:
        return {v["id"] for v in client.get(f"{API}/visits?{query}", headers=headers).json["items"]}

    assert ids("reviewer=me") == {str(mine.id)}
    assert ids(f"reviewer={theirs.lead.id}") == {str(theirs.id)}
    assert ids("status=draft") == {str(theirs.id)}
    assert ids(f"unit={mine.unit_id}") == {str(mine.id), str(theirs.id)}


@pytest.mark.parametrize(
    ("query", "field"), [("status=archived", "status"), ("reviewer=nobody", "reviewer"), ("unit=x", "unit")]
)
def test_a_bad_filter_is_a_422_naming_it(query, field, client, make_user, as_):
    response = client.get(f"{API}/visits?{query}", headers=as_(make_user("reviewer")))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_the_list_is_paginated_and_its_queries_do_not_grow(count_queries, app, client, make_visit, make_user, as_):
    from app.extensions import db as _db

    lead = make_user("reviewer")
    for _ in range(3):
        make_visit("planned", lead=lead)
    headers = as_(make_user("coordinator"))
    with app.app_context():
        engine = _db.engine

    def queries() -> int:
        client.get(f"{API}/visits", headers=headers)  # the token's first use is bookkeeping of its own
        with count_queries(engine) as counter:
            assert client.get(f"{API}/visits?per_page=50", headers=headers).status_code == 200
        return counter.count

    few = queries()
    for _ in range(5):
        make_visit("draft", lead=lead)
    assert queries() == few
    page = client.get(f"{API}/visits?per_page=3&page=2", headers=headers).json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 3, 8, 3)


# ---- planning -------------------------------------------------------------------------------------


@pytest.fixture
def plan(make_unit, make_user, make_template):
    unit, lead, template = make_unit("Solrosen"), make_user("reviewer", name="Greta Granskare"), make_template()
    return {
        "unit_id": str(unit.id),
        "template_id": str(template.id),
        "lead_id": str(lead.id),
        "visit_date": "2026-10-05",
        "aim": "Ordinarie tillsyn.",
    }, lead


def test_a_reviewer_plans_a_visit_through_the_api(client, plan, as_, db):
    body, lead = plan
    response = client.post(f"{API}/visits", json=body, headers=as_(lead))
    assert response.status_code == 201
    assert response.json["case_number"] == "TS-2026-0001"
    assert response.json["status"] == "planned"
    assert response.json["team"][0]["is_lead"] is True


def test_a_repeated_create_with_a_client_id_returns_the_first_visit(client, plan, as_, db):
    body, lead = plan
    body = {**body, "id": str(uuid.uuid4())}
    first = client.post(f"{API}/visits", json=body, headers=as_(lead))
    again = client.post(f"{API}/visits", json=body, headers=as_(lead))
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert count(db, Visit) == 1


def test_two_tablets_creating_the_same_visit_at_once_make_one_visit(postgres_app):
    """PostgreSQL: the same create (client id) sent twice at the same moment, as a retry racing the original."""
    import threading

    from app.auth import services as auth_services
    from app.auth.models import Role, User, UserRole
    from app.extensions import db as pg_db
    from app.units.models import Unit

    with postgres_app.app_context():
        unit = Unit(name="Samtidiga enheten")
        lead = User(email="lead@example.se", name="Lena Lead", role_rows=[UserRole(role=Role.reviewer)])
        pg_db.session.add_all([unit, lead])
        pg_db.session.flush()
        template = services.create_template(actor=access.OPERATOR, name="Mall", areas="Område\n- Fråga?")  # type: ignore[arg-type]
        _token, raw = auth_services.create_api_token(actor=lead, label="surfplatta")
        pg_db.session.commit()
        body = {
            "id": str(uuid.uuid4()),
            "unit_id": str(unit.id),
            "template_id": str(template.id),
            "lead_id": str(lead.id),
            "visit_date": "2026-10-05",
        }
    start = threading.Barrier(2)
    statuses: list[int] = []

    def send() -> None:
        client = postgres_app.test_client()
        start.wait(timeout=30)
        statuses.append(client.post(f"{API}/visits", json=body, headers={"Authorization": f"Bearer {raw}"}).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) in ([201, 201], [201, 409])
    with postgres_app.app_context():
        assert pg_db.session.scalars(select(Visit.case_number)).all() == ["TS-2026-0001"]
        again = postgres_app.test_client().post(f"{API}/visits", json=body, headers={"Authorization": f"Bearer {raw}"})
        assert (again.status_code, again.json["id"]) == (201, body["id"])
        pg_db.session.remove()


def test_a_repeated_create_with_an_idempotency_key_changes_nothing_more(client, plan, as_, db):
    body, lead = plan
    headers = as_(lead, **{"Idempotency-Key": "plan-1"})
    first = client.post(f"{API}/visits", json=body, headers=headers)
    again = client.post(f"{API}/visits", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json == again.json
    assert count(db, Visit) == 1


def test_planning_with_a_member_of_the_unit_on_the_team_is_a_422_naming_the_team(
    client, plan, make_user, make_unit, as_, db
):
    from app.units.models import Unit

    body, lead = plan
    peer = make_user(
        "reviewer", "unit_member", units=[db.session.get(Unit, uuid.UUID(body["unit_id"]))], name="Petra Peer"
    )
    response = client.post(f"{API}/visits", json={**body, "member_ids": [str(peer.id)]}, headers=as_(lead))
    assert response.status_code == 422
    assert "Petra Peer" in response.json["errors"]["member_ids"][0]
    assert count(db, Visit) == 0


def test_missing_fields_are_named_in_the_callers_language(client, make_user, as_):
    response = client.post(f"{API}/visits", json={"aim": 5}, headers=as_(make_user("reviewer")))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) >= {"unit_id", "template_id", "lead_id", "aim"}
    assert errors["unit_id"] == ["Fältet måste fyllas i."]
    english = client.post(f"{API}/visits?lang=en", json={}, headers=as_(make_user("reviewer", language="en")))
    assert english.json["errors"]["unit_id"] == ["This field is required."]


def test_a_unit_member_may_not_plan_visits(client, plan, make_user, as_):
    body, _lead = plan
    response = client.post(f"{API}/visits", json=body, headers=as_(make_user("unit_member")))
    assert response.status_code == 403


def test_patching_the_plan_changes_only_what_is_sent(client, make_visit, make_user, as_, db):
    visit = make_visit("planned")
    colleague = make_user("reviewer", name="Kalle Kollega")
    headers = as_(visit.lead)
    response = client.patch(f"{API}/visits/{visit.id}", json={"aim": "Nytt syfte."}, headers=headers)
    assert response.status_code == 200
    assert (response.json["aim"], response.json["visit_date"]) == ("Nytt syfte.", visit.visit_date.isoformat())
    response = client.patch(f"{API}/visits/{visit.id}", json={"member_ids": [str(colleague.id)]}, headers=headers)
    assert {m["name"] for m in response.json["team"]} == {"Lena Lead", "Kalle Kollega"}
    assert response.json["aim"] == "Nytt syfte."


def test_a_reviewer_not_on_the_team_may_not_patch_the_plan(client, make_visit, make_user, as_):
    visit = make_visit("planned")
    response = client.patch(f"{API}/visits/{visit.id}", json={"aim": "x"}, headers=as_(make_user("reviewer")))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_a_follow_up_visit_starts_from_an_earlier_one(client, make_visit, as_, db):
    earlier = make_visit("final")
    chosen = str(uuid.uuid4())
    body = {"id": chosen, "visit_date": "2026-11-20"}
    response = client.post(f"{API}/visits/{earlier.id}/follow-up", json=body, headers=as_(earlier.lead))
    again = client.post(f"{API}/visits/{earlier.id}/follow-up", json=body, headers=as_(earlier.lead))
    assert response.status_code == again.status_code == 201
    assert response.json["id"] == again.json["id"] == chosen
    assert response.json["previous_visit_id"] == str(earlier.id)
    assert response.json["purpose"] == "follow_up"
    assert response.json["unit_id"] == str(earlier.unit_id)
    assert response.json["team"][0]["user_id"] == str(earlier.lead.id)
    assert count(db, Visit) == 2


# ---- transitions ----------------------------------------------------------------------------------


def test_the_lead_sends_the_draft_for_comment(client, make_visit, as_):
    visit = make_visit("draft")
    deadline = (date.today() + timedelta(days=10)).isoformat()
    response = client.post(
        f"{API}/visits/{visit.id}/transition",
        json={"to": "sent_for_comment", "comment_deadline": deadline},
        headers=as_(visit.lead),
    )
    assert response.status_code == 200
    assert (response.json["status"], response.json["comment_deadline"]) == ("sent_for_comment", deadline)


def test_a_move_the_status_machine_does_not_have_is_a_409_with_the_rule(client, make_visit, as_):
    visit = make_visit("planned")
    response = client.post(f"{API}/visits/{visit.id}/transition", json={"to": "final"}, headers=as_(visit.lead))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "Planerat" in response.json["detail"] and "Slutlig" in response.json["detail"]


def test_finalising_before_the_response_and_the_deadline_is_a_409(client, make_visit, as_, db):
    visit = make_visit("sent_for_comment")
    response = client.post(f"{API}/visits/{visit.id}/transition", json={"to": "final"}, headers=as_(visit.lead))
    assert response.status_code == 409
    assert visit.comment_deadline.isoformat() in response.json["detail"]
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.sent_for_comment


def test_finalising_with_a_waiver_through_the_api(client, make_visit, as_):
    visit = make_visit("sent_for_comment")
    response = client.post(
        f"{API}/visits/{visit.id}/transition", json={"to": "final", "waiver_reason": WAIVER}, headers=as_(visit.lead)
    )
    assert response.status_code == 200
    assert response.json["kommunicering_waiver"] == WAIVER
    assert len(response.json["final_report_sha256"]) == 64


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "archived"}, "to"),
        ({}, "to"),
        ({"to": "sent_for_comment", "comment_deadline": "i morgon"}, "comment_deadline"),
    ],
)
def test_bad_transition_input_is_a_422(body, field, client, make_visit, as_):
    visit = make_visit("draft")
    response = client.post(f"{API}/visits/{visit.id}/transition", json=body, headers=as_(visit.lead))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_a_deadline_in_the_past_is_a_422_naming_it(client, make_visit, as_):
    visit = make_visit("draft")
    body = {"to": "sent_for_comment", "comment_deadline": (date.today() - timedelta(days=1)).isoformat()}
    response = client.post(f"{API}/visits/{visit.id}/transition", json=body, headers=as_(visit.lead))
    assert response.status_code == 422
    assert "comment_deadline" in response.json["errors"]


@pytest.mark.parametrize(
    ("role", "status"), [("lead", 200), ("coordinator", 200), ("other_reviewer", 403), ("unit_member", 403)]
)
def test_who_may_start_a_visit_through_the_api(role, status, client, make_visit, make_user, as_):
    visit = make_visit("planned")
    actor = {
        "lead": visit.lead,
        "coordinator": make_user("coordinator"),
        "other_reviewer": make_user("reviewer"),
        "unit_member": make_user("unit_member", units=[visit.unit]),
    }[role]
    response = client.post(f"{API}/visits/{visit.id}/transition", json={"to": "in_progress"}, headers=as_(actor))
    assert response.status_code == status


# ---- findings -------------------------------------------------------------------------------------


def test_the_team_records_a_finding_with_a_client_id_once(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    area = visit.template_version.areas[1]
    body = {
        "id": str(uuid.uuid4()),
        "kind": "deviation",
        "severity": "serious",
        "text": "Larmet fungerade inte.",
        "review_area_id": str(area.id),
    }
    first = client.post(f"{API}/visits/{visit.id}/findings", json=body, headers=as_(visit.lead))
    again = client.post(f"{API}/visits/{visit.id}/findings", json=body, headers=as_(visit.lead))
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert (first.json["kind"], first.json["severity"], first.json["review_area_id"]) == (
        "deviation",
        "serious",
        str(area.id),
    )
    assert count(db, Finding) == 1


def test_a_deviation_without_severity_is_a_422_from_the_service(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    response = client.post(
        f"{API}/visits/{visit.id}/findings",
        json={"kind": "deviation", "text": "Något saknas."},
        headers=as_(visit.lead),
    )
    assert response.status_code == 422
    assert response.json["errors"]["severity"] == ["Välj om bristen är mindre eller allvarlig."]
    assert count(db, Finding) == 0


def test_a_review_area_of_another_template_is_refused_under_its_api_name(client, make_visit, as_):
    visit = make_visit("in_progress", findings=())
    body = {"kind": "strength", "text": "Bra.", "review_area_id": str(uuid.uuid4())}
    response = client.post(f"{API}/visits/{visit.id}/findings", json=body, headers=as_(visit.lead))
    assert response.status_code == 422
    assert "review_area_id" in response.json["errors"]


def test_findings_cannot_be_added_before_the_visit_starts(client, make_visit, as_):
    visit = make_visit("planned")
    response = client.post(
        f"{API}/visits/{visit.id}/findings", json={"kind": "strength", "text": "Bra."}, headers=as_(visit.lead)
    )
    assert response.status_code == 409


def test_patching_a_finding_keeps_what_is_not_sent(client, make_visit, as_):
    visit = make_visit("in_progress", findings=(("deviation", "minor", "Liten brist."),))
    finding = visit.findings[0]
    response = client.patch(f"{API}/findings/{finding.id}", json={"severity": "serious"}, headers=as_(visit.lead))
    assert response.status_code == 200
    assert (response.json["kind"], response.json["severity"], response.json["text"]) == (
        "deviation",
        "serious",
        "Liten brist.",
    )
    response = client.patch(f"{API}/findings/{finding.id}", json={"kind": "strength"}, headers=as_(visit.lead))
    assert (response.json["kind"], response.json["severity"]) == ("strength", None)


def test_a_finding_is_deleted_by_the_team_while_a_draft(client, make_visit, make_user, as_, db):
    visit = make_visit("draft")
    finding_id = visit.findings[0].id
    assert client.delete(f"{API}/findings/{finding_id}", headers=as_(make_user("reviewer"))).status_code == 403
    assert client.delete(f"{API}/findings/{finding_id}", headers=as_(visit.lead)).status_code == 204
    assert count(db, Finding) == 0


def test_findings_cannot_change_once_out_for_comment(client, make_visit, as_):
    visit = make_visit("sent_for_comment")
    finding_id = visit.findings[0].id
    assert client.patch(f"{API}/findings/{finding_id}", json={"text": "x"}, headers=as_(visit.lead)).status_code == 409
    assert client.delete(f"{API}/findings/{finding_id}", headers=as_(visit.lead)).status_code == 409


def test_the_unit_reads_the_findings_from_kommunicering_on(client, make_visit, make_user, as_):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    body = client.get(f"{API}/visits/{visit.id}/findings", headers=as_(member)).json
    assert [f["text"] for f in body["items"]] == ["Bra rutiner för överlämning."]
    assert body["total"] == 1


# ---- evidence -------------------------------------------------------------------------------------


def upload(client, finding_id, headers, data: bytes, name: str = "foto.jpg", **form: str):
    """A multipart upload as a tablet sends it (a fresh random boundary each time)."""
    boundary, body = encode_multipart(
        MultiDict([("file", FileStorage(io.BytesIO(data), filename=name)), *form.items()])
    )
    return client.post(
        f"{API}/findings/{finding_id}/evidence",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_photo_is_uploaded_without_its_gps_position(client, make_visit, as_, app):
    visit = make_visit("in_progress")
    response = upload(client, visit.findings[0].id, as_(visit.lead), jpeg_with_gps())
    assert response.status_code == 201
    assert (response.json["kind"], response.json["content_type"]) == ("photo", "image/jpeg")
    served = fetch(client, response.json["url"], as_(visit.lead))
    assert served.status_code == 200
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert hashlib.sha256(served.data).hexdigest() == response.json["sha256"]
    image = Image.open(io.BytesIO(served.data))
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    thumbnail = fetch(client, response.json["thumbnail_url"], as_(visit.lead))
    assert thumbnail.mimetype == "image/jpeg"


def test_html_behind_a_jpg_name_is_refused(client, make_visit, as_, db):
    visit = make_visit("in_progress")
    html = b"<!DOCTYPE html><script>alert(1)</script>"
    response = upload(client, visit.findings[0].id, as_(visit.lead), html, name="foto.jpg")
    assert response.status_code == 422
    assert "foto.jpg" in response.json["errors"]["file"][0]
    assert count(db, Evidence) == 0


def test_a_file_over_the_limit_is_refused_naming_the_limit(client, make_visit, as_, app, db):
    app.config["MAX_UPLOAD_MB"] = 1
    visit = make_visit("in_progress")
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1)
    response = upload(client, visit.findings[0].id, as_(visit.lead), big, name="protokoll.pdf")
    assert response.status_code == 422
    assert "1 MB" in response.json["errors"]["file"][0]
    assert count(db, Evidence) == 0


def test_an_upload_without_a_file_is_a_422(client, make_visit, as_):
    visit = make_visit("in_progress")
    response = client.post(
        f"{API}/findings/{visit.findings[0].id}/evidence",
        data={},
        headers=as_(visit.lead),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_a_pdf_is_served_as_a_download(client, make_visit, as_):
    visit = make_visit("in_progress")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    response = upload(client, visit.findings[0].id, as_(visit.lead), pdf, name="rutin.pdf")
    served = fetch(client, response.json["url"], as_(visit.lead))
    assert served.data == pdf
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert response.json["thumbnail_url"] is None


def test_sending_an_upload_again_with_its_id_or_key_stores_it_once(client, make_visit, as_, db):
    visit = make_visit("in_progress")
    finding_id = visit.findings[0].id
    chosen = str(uuid.uuid4())
    first = upload(client, finding_id, as_(visit.lead), jpeg_with_gps(), id=chosen)
    again = upload(client, finding_id, as_(visit.lead), jpeg_with_gps(), id=chosen)
    assert first.json == again.json
    keyed = as_(visit.lead, **{"Idempotency-Key": "photo-2"})
    one = upload(client, finding_id, keyed, jpeg_with_gps(), name="b.jpg")
    two = upload(client, finding_id, keyed, jpeg_with_gps(), name="b.jpg")  # a new multipart boundary
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert one.json == two.json
    assert count(db, Evidence) == 2


def test_a_reviewer_not_on_the_team_may_not_upload(client, make_visit, make_user, as_, db):
    visit = make_visit("in_progress")
    response = upload(client, visit.findings[0].id, as_(make_user("reviewer")), jpeg_with_gps())
    assert response.status_code == 403
    assert count(db, Evidence) == 0


def test_evidence_is_removed_by_the_team(client, make_visit, as_, db):
    visit = make_visit("in_progress")
    item = upload(client, visit.findings[0].id, as_(visit.lead), jpeg_with_gps()).json
    assert client.delete(f"{API}/evidence/{item['id']}", headers=as_(visit.lead)).status_code == 204
    assert count(db, Evidence) == 0


# ---- the unit's response --------------------------------------------------------------------------


def test_the_unit_responds_to_a_finding_and_to_the_report(client, make_visit, make_user, as_, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    finding = visit.findings[0]
    one = client.post(
        f"{API}/findings/{finding.id}/response", json={"stance": "partly", "text": "Delvis."}, headers=as_(member)
    )
    assert one.status_code == 201
    assert (one.json["stance"], one.json["finding_id"], one.json["submitted_by"]["id"]) == (
        "partly",
        str(finding.id),
        str(member.id),
    )
    assert one.json["received_at"]
    whole = client.post(
        f"{API}/visits/{visit.id}/response",
        json={"text": "Tack för besöket.", "findings": [{"finding_id": str(finding.id), "stance": "agree"}]},
        headers=as_(member),
    )
    assert whole.status_code == 201
    assert {(r["finding_id"], r["stance"]) for r in whole.json["items"]} == {(None, None), (str(finding.id), "agree")}
    history = client.get(f"{API}/visits/{visit.id}/responses", headers=as_(member)).json
    assert history["total"] == 3


def test_a_response_outside_kommunicering_is_a_409(client, make_visit, make_user, as_):
    visit = make_visit("final")
    member = make_user("unit_member", units=[visit.unit])
    response = client.post(
        f"{API}/findings/{visit.findings[0].id}/response", json={"stance": "agree"}, headers=as_(member)
    )
    assert response.status_code == 409
    assert response.json["detail"]


def test_responding_to_a_draft_the_unit_knows_of_is_a_409_that_shows_nothing_of_it(client, draft, make_user, as_, db):
    member = make_user("unit_member", units=[draft.unit])
    response = client.post(f"{API}/visits/{draft.id}/response", json={"text": "Redan nu?"}, headers=as_(member))
    assert response.status_code == 409
    assert "Hemlig" not in response.get_data(as_text=True)
    assert count(db, Response) == 0


def test_a_reviewer_may_not_respond_for_the_unit(client, make_visit, as_):
    visit = make_visit("sent_for_comment")
    response = client.post(f"{API}/visits/{visit.id}/response", json={"text": "Jag svarar."}, headers=as_(visit.lead))
    assert response.status_code == 403


def test_a_response_to_a_finding_needs_a_stance(client, make_visit, make_user, as_, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    response = client.post(f"{API}/findings/{visit.findings[0].id}/response", json={"text": "x"}, headers=as_(member))
    assert response.status_code == 422
    assert "stance" in response.json["errors"]
    nested = client.post(
        f"{API}/visits/{visit.id}/response",
        json={"findings": [{"finding_id": str(visit.findings[0].id), "stance": "maybe"}]},
        headers=as_(member),
    )
    assert nested.status_code == 422
    assert "findings.0.stance" in nested.json["errors"]
    assert count(db, Response) == 0


def test_the_api_offers_no_way_to_change_or_remove_a_response(app, client):
    for rule in app.url_map.iter_rules():
        if "response" in rule.rule:
            assert set(rule.methods or ()) <= {"GET", "HEAD", "OPTIONS", "POST"}, rule.rule
    spec = client.get(f"{API}/openapi.json").json
    for path, operations in spec["paths"].items():
        if "response" in path:
            assert set(operations) - {"parameters"} <= {"get", "post"}, path


# ---- the report -----------------------------------------------------------------------------------


def test_the_final_pdf_is_served_byte_identical_with_its_sha256_also_after_changes(
    client, make_visit, make_user, as_, db
):
    from app.units import services as unit_services
    from app.visits import report

    visit = make_visit("final")
    member = make_user("unit_member", units=[visit.unit])
    first = client.get(f"{API}/visits/{visit.id}/report.pdf", headers=as_(visit.lead))
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["X-Report-SHA256"] == digest == report.stored_report(visit).sha256
    assert first.headers["Repr-Digest"].startswith("sha-256=:")
    unit_services.update_unit(visit.unit_id, actor=access.OPERATOR, name="Bytt namn", kind="school", contact_email=None)
    db.session.commit()
    later = client.get(f"{API}/visits/{visit.id}/report.pdf", headers=as_(member))
    assert later.data == first.data
    assert later.headers["X-Report-SHA256"] == digest
    assert later.headers["X-Content-Type-Options"] == "nosniff"


def test_a_draft_pdf_has_no_fixed_hash_and_is_only_for_the_supervising_side(client, draft, make_user, as_):
    response = client.get(f"{API}/visits/{draft.id}/report.pdf", headers=as_(draft.lead))
    assert response.status_code == 200
    assert "X-Report-SHA256" not in response.headers
    member = make_user("unit_member", units=[draft.unit])
    assert client.get(f"{API}/visits/{draft.id}/report.pdf", headers=as_(member)).status_code == 404


# ---- templates ------------------------------------------------------------------------------------


def test_a_reviewer_reads_templates_with_their_questions(client, make_template, make_user, as_, db):
    template = make_template("Förskola")
    services.update_template(template.id, actor=access.OPERATOR, name="Förskola", areas="Lärmiljö\n- Hur?")
    db.session.commit()
    headers = as_(make_user("reviewer"))
    listed = client.get(f"{API}/templates", headers=headers).json
    assert [t["name"] for t in listed["items"]] == ["Förskola"]
    assert listed["items"][0]["current_version"]["areas"][0]["questions"] == ["Hur?"]
    detail = client.get(f"{API}/templates/{template.id}", headers=headers).json
    assert len(detail["versions"]) >= 1
    assert client.get(f"{API}/templates/{uuid.uuid4()}", headers=headers).status_code == 404


def test_a_unit_member_may_not_read_templates(client, make_template, make_user, as_):
    template = make_template()
    headers = as_(make_user("unit_member"))
    assert client.get(f"{API}/templates", headers=headers).status_code == 403
    assert client.get(f"{API}/templates/{template.id}", headers=headers).status_code == 403


# ---- the audit trail ------------------------------------------------------------------------------


def test_a_coordinator_reads_the_history_of_a_visit(client, make_visit, make_user, as_):
    visit = make_visit("draft")
    body = client.get(f"{API}/audit?object_type=visit&object_id={visit.id}", headers=as_(make_user("coordinator"))).json
    kinds = {(e["object_type"], e["action"]) for e in body["items"]}
    assert {("visit", "create"), ("visit", "update"), ("finding", "create"), ("team_member", "create")} <= kinds
    assert "client_address" in body["items"][0]
    assert body["items"][0]["summary"]


def test_a_reviewer_reads_the_trail_of_visits_but_not_of_peoples_accounts(client, make_visit, make_user, as_):
    visit = make_visit("draft")
    reviewer = make_user("reviewer")
    headers = as_(reviewer)
    body = client.get(f"{API}/audit?object_type=visit&object_id={visit.id}", headers=headers).json
    assert body["total"] > 0
    assert "client_address" not in body["items"][0]
    assert client.get(f"{API}/audit?object_type=user&object_id={reviewer.id}", headers=headers).status_code == 403
    everything = client.get(f"{API}/audit?per_page=200", headers=headers).json["items"]
    assert everything and not {e["object_type"] for e in everything} & {"user", "user_role", "api_token"}


def test_a_unit_member_reads_only_what_a_unit_may_see_of_its_own_visits(client, draft, make_user, as_):
    member = make_user("unit_member", units=[draft.unit])
    response = client.get(f"{API}/audit?object_type=visit&object_id={draft.id}", headers=as_(member))
    assert response.status_code == 200
    items = response.json["items"]
    assert items and {e["object_type"] for e in items} <= {"visit", "response", "final_report"}
    assert "Hemligt syfte" not in response.get_data(as_text=True)
    assert any(e["changes"].get("status") for e in items)
    unit_trail = client.get(f"{API}/audit?object_type=unit&object_id={draft.unit_id}", headers=as_(member)).json
    assert "finding" not in {e["object_type"] for e in unit_trail["items"]}
    assert "Hemlig" not in json.dumps(unit_trail)


@pytest.mark.parametrize("object_type", ["visit", "unit", "finding"])
def test_a_unit_member_gets_404_for_the_history_of_another_units_objects(
    object_type, client, make_visit, make_user, make_unit, as_
):
    visit = make_visit("sent_for_comment")
    object_id = {"visit": visit.id, "unit": visit.unit_id, "finding": visit.findings[0].id}[object_type]
    stranger = make_user("unit_member", units=[make_unit()])
    response = client.get(f"{API}/audit?object_type={object_type}&object_id={object_id}", headers=as_(stranger))
    assert response.status_code == 404


def test_a_unit_members_whole_trail_holds_only_its_own_unit(client, make_visit, make_user, as_):
    own = make_visit("sent_for_comment")
    other = make_visit("sent_for_comment", lead=own.lead)
    member = make_user("unit_member", units=[own.unit])
    items = client.get(f"{API}/audit?per_page=200", headers=as_(member)).json["items"]
    assert items and {e["unit_id"] for e in items} == {str(own.unit_id)}
    assert str(other.id) not in json.dumps(items)


def test_an_object_id_needs_its_type(client, make_user, as_):
    response = client.get(f"{API}/audit?object_id=x", headers=as_(make_user("coordinator")))
    assert response.status_code == 422
    assert "object_type" in response.json["errors"]


# ---- the tablet's offline queue -------------------------------------------------------------------


def op(name: str, **args: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "op": name,
        "args": {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in args.items()},
    }


def test_a_queue_of_writes_is_applied_in_order_with_a_result_each(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    finding_id = uuid.uuid4()
    batch = {
        "operations": [
            op("add_finding", visit_id=visit.id, id=finding_id, kind="development", text="Rutinen följs inte."),
            op("update_finding", finding_id=finding_id, text="Rutinen följs inte alltid."),
            op("transition", visit_id=visit.id, to="draft"),
        ]
    }
    response = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead))
    assert response.status_code == 200
    results = response.json["results"]
    assert [(r["op"], r["status"], r["replayed"]) for r in results] == [
        ("add_finding", 201, False),
        ("update_finding", 200, False),
        ("transition", 200, False),
    ]
    assert results[1]["body"]["text"] == "Rutinen följs inte alltid."
    assert results[2]["body"]["status"] == "draft"
    assert (response.json["applied"], response.json["failed"], response.json["skipped"]) == (3, 0, 0)
    db.session.expire_all()
    assert db.session.get(Finding, finding_id).text == "Rutinen följs inte alltid."


def test_replaying_the_same_batch_changes_nothing_more(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    finding_id = uuid.uuid4()
    batch = {
        "operations": [
            op("add_finding", visit_id=visit.id, id=finding_id, kind="strength", text="Bra."),
            op("update_finding", finding_id=finding_id, text="Mycket bra."),
            op("add_finding", visit_id=visit.id, kind="development", text="Utan eget id."),
            op("transition", visit_id=visit.id, to="draft"),
        ]
    }
    first = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead))
    before = database_fingerprint()
    again = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead))
    assert database_fingerprint() == before
    assert [r["replayed"] for r in again.json["results"]] == [True] * 4
    assert [(r["status"], r.get("body")) for r in again.json["results"]] == [
        (r["status"], r.get("body")) for r in first.json["results"]
    ]
    assert count(db, Finding) == 2


def test_after_a_failed_operation_the_rest_are_not_applied(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    batch = {
        "operations": [
            op("add_finding", visit_id=visit.id, kind="strength", text="Bra."),
            op("add_finding", visit_id=visit.id, kind="deviation", text="Brist utan allvarlighetsgrad."),
            op("transition", visit_id=visit.id, to="draft"),
        ]
    }
    body = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead)).json
    assert [r["status"] for r in body["results"]] == [201, 422, 424]
    assert "args.severity" in body["results"][1]["problem"]["errors"]
    assert (body["applied"], body["failed"], body["skipped"]) == (1, 1, 1)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.in_progress
    assert count(db, Finding) == 1


def test_a_failed_operation_can_be_sent_again_once_fixed(client, make_visit, as_, db):
    visit = make_visit("planned")
    finding = op("add_finding", visit_id=visit.id, kind="strength", text="Bra.")
    refused = client.post(f"{API}/sync", json={"operations": [finding]}, headers=as_(visit.lead)).json
    assert refused["results"][0]["status"] == 409  # the visit has not started
    services.transition(visit.id, actor=visit.lead, to="in_progress")
    db.session.commit()
    applied = client.post(f"{API}/sync", json={"operations": [finding]}, headers=as_(visit.lead)).json
    assert (applied["results"][0]["status"], applied["results"][0]["replayed"]) == (201, False)


def test_with_on_error_continue_every_operation_is_tried(client, make_visit, as_):
    visit = make_visit("in_progress", findings=())
    batch = {
        "on_error": "continue",
        "operations": [
            op("update_finding", finding_id=uuid.uuid4(), text="Finns inte."),
            op("add_finding", visit_id=visit.id, kind="strength", text="Bra."),
        ],
    }
    body = client.post(f"{API}/sync", json=batch, headers=as_(visit.lead)).json
    assert [r["status"] for r in body["results"]] == [404, 201]


def test_an_operation_id_reused_for_another_operation_is_refused(client, make_visit, as_, db):
    visit = make_visit("in_progress", findings=())
    first = op("add_finding", visit_id=visit.id, kind="strength", text="Bra.")
    client.post(f"{API}/sync", json={"operations": [first]}, headers=as_(visit.lead))
    changed = {**first, "args": {**first["args"], "text": "Något annat."}}
    body = client.post(f"{API}/sync", json={"operations": [changed]}, headers=as_(visit.lead)).json
    assert body["results"][0]["status"] == 422
    assert "id" in body["results"][0]["problem"]["errors"]
    assert count(db, Finding) == 1


def test_the_queue_is_for_reviewers_and_coordinators(client, make_visit, make_user, as_):
    visit = make_visit("in_progress")
    member = make_user("unit_member", units=[visit.unit])
    batch = {"operations": [op("transition", visit_id=visit.id, to="draft")]}
    assert client.post(f"{API}/sync", json=batch, headers=as_(member)).status_code == 403


def test_the_queue_applies_the_same_access_rules(client, make_visit, make_user, as_, db):
    visit = make_visit("in_progress")
    outsider = make_user("reviewer")
    batch = {"operations": [op("transition", visit_id=visit.id, to="draft")]}
    body = client.post(f"{API}/sync", json=batch, headers=as_(outsider)).json
    assert body["results"][0]["status"] == 403
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.in_progress


@pytest.mark.parametrize(
    ("batch", "field"),
    [
        ({}, "operations"),
        ({"operations": []}, "operations"),
        ({"operations": [{"id": "x", "op": "add_finding"}]}, "operations.0.id"),
        ({"operations": [{"id": str(uuid.uuid4()), "op": "drop_tables"}]}, "operations.0.op"),
        ({"operations": [op("add_finding")], "on_error": "ignore"}, "on_error"),
    ],
)
def test_a_malformed_batch_is_a_422_naming_the_place(batch, field, client, make_user, as_):
    response = client.post(f"{API}/sync", json=batch, headers=as_(make_user("reviewer")))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_an_operation_without_its_object_is_a_422_for_that_operation(client, make_user, as_):
    body = client.post(
        f"{API}/sync", json={"operations": [op("transition", to="draft")]}, headers=as_(make_user("reviewer"))
    ).json
    assert body["results"][0]["status"] == 422
    assert "args.visit_id" in body["results"][0]["problem"]["errors"]


# ---- the OpenAPI document -------------------------------------------------------------------------


def test_every_visits_endpoint_is_in_the_openapi_document_with_problem_answers(client):
    spec = client.get(f"{API}/openapi.json").json
    expected = {
        "/api/v1/visits": {"get", "post"},
        "/api/v1/visits/{visit_id}": {"get", "patch"},
        "/api/v1/visits/{visit_id}/transition": {"post"},
        "/api/v1/visits/{visit_id}/findings": {"get", "post"},
        "/api/v1/visits/{visit_id}/response": {"post"},
        "/api/v1/visits/{visit_id}/responses": {"get"},
        "/api/v1/visits/{visit_id}/report.pdf": {"get"},
        "/api/v1/visits/{visit_id}/follow-up": {"post"},
        "/api/v1/findings/{finding_id}": {"get", "patch", "delete"},
        "/api/v1/findings/{finding_id}/evidence": {"post"},
        "/api/v1/findings/{finding_id}/response": {"post"},
        "/api/v1/evidence/{evidence_id}": {"get", "delete"},
        "/api/v1/evidence/{evidence_id}/thumbnail": {"get"},
        "/api/v1/templates": {"get"},
        "/api/v1/templates/{template_id}": {"get"},
        "/api/v1/audit": {"get"},
        "/api/v1/sync": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"][path]), path
    transition = spec["paths"]["/api/v1/visits/{visit_id}/transition"]["post"]
    assert transition["responses"]["409"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("Problem")
    assert {p["name"] for p in transition["parameters"]} >= {"Idempotency-Key"}
    upload_body = spec["paths"]["/api/v1/findings/{finding_id}/evidence"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]
    assert {"operations", "on_error"} <= set(spec["components"]["schemas"]["SyncRequest"]["properties"])
