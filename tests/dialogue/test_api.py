"""/api/v1 of conversations (API.md): read, write (JSON or multipart), internal notes only for the supervising
side, idempotent creates, marking read, the list of conversations, attachments, and the OpenAPI document."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import func, select

from app.dialogue.models import Message
from tests.fixtures_dialogue import jpeg_with_gps


def test_the_team_writes_and_the_unit_reads_through_the_api(client, api_token, make_visit, make_user):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])

    created = client.post(
        f"/api/v1/visits/{visit.id}/messages", json={"text": "Hej från teamet."}, headers=api_token(visit.lead)
    )
    listed = client.get(f"/api/v1/visits/{visit.id}/messages", headers=api_token(member))

    assert created.status_code == 201
    assert created.json["author_side"] == "supervisor" and created.json["internal"] is False
    assert listed.status_code == 200
    [item] = listed.json["items"]
    assert (item["text"], item["unread"], item["author"]["name"]) == ("Hej från teamet.", True, "Lena Lead")
    assert (listed.json["total"], listed.json["unread"]) == (1, 1)


def test_a_unit_member_asking_for_an_internal_note_is_refused(client, api_token, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])

    response = client.post(
        f"/api/v1/visits/{visit.id}/messages", json={"text": "x", "internal": True}, headers=api_token(member)
    )

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_public_message_on_a_draft_finding_is_a_rule_conflict(client, api_token, make_visit):
    visit = make_visit("draft")
    url = f"/api/v1/findings/{visit.findings[0].id}/messages"
    response = client.post(url, json={"text": "Till enheten"}, headers=api_token(visit.lead))
    assert response.status_code == 409
    assert "internal" in response.json["errors"]


def test_invalid_input_is_a_422_naming_the_field(client, api_token, make_visit):
    visit = make_visit("sent_for_comment")
    headers = api_token(visit.lead)
    empty = client.post(f"/api/v1/visits/{visit.id}/messages", json={"text": ""}, headers=headers)
    wrong = client.post(f"/api/v1/visits/{visit.id}/messages", json={"internal": "kanske"}, headers=headers)
    assert empty.status_code == 422 and "text" in empty.json["errors"]
    assert wrong.status_code == 422 and "internal" in wrong.json["errors"]


def test_a_repeated_create_with_the_same_key_or_id_changes_nothing_more(client, api_token, make_visit, db):
    visit = make_visit("sent_for_comment")
    headers = {**api_token(visit.lead), "Idempotency-Key": "msg-1"}
    body = {"text": "En gång.", "id": str(uuid.uuid4())}

    first = client.post(f"/api/v1/visits/{visit.id}/messages", json=body, headers=headers)
    again = client.post(f"/api/v1/visits/{visit.id}/messages", json=body, headers=headers)
    same_id = client.post(f"/api/v1/visits/{visit.id}/messages", json=body, headers=api_token(visit.lead))

    assert first.status_code == again.status_code == same_id.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json["id"] == again.json["id"] == same_id.json["id"] == body["id"]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_files_are_sent_as_multipart_under_the_evidence_rules(client, api_token, make_visit, make_user):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    headers = api_token(member)

    response = client.post(
        f"/api/v1/visits/{visit.id}/messages",
        data={"text": "Bild på larmet.", "files": [(io.BytesIO(jpeg_with_gps()), "larm.jpg")]},
        content_type="multipart/form-data",
        headers=headers,
    )
    refused = client.post(
        f"/api/v1/visits/{visit.id}/messages",
        data={"text": "Fel fil.", "files": [(io.BytesIO(b"MZ\x90\x00"), "program.exe")]},
        content_type="multipart/form-data",
        headers=headers,
    )

    assert response.status_code == 201
    [attachment] = response.json["attachments"]
    assert (attachment["name"], attachment["content_type"]) == ("larm.jpg", "image/jpeg")
    download = client.get(attachment["url"], headers=api_token(visit.lead))
    download.close()
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert refused.status_code == 422 and "files" in refused.json["errors"]


def test_marking_read_through_the_api(client, api_token, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    first = write(visit.lead, visit=visit, text="Ett.")
    headers = api_token(member)

    read = client.post(
        f"/api/v1/visits/{visit.id}/messages/read", json={"up_to": first.created_at.isoformat()}, headers=headers
    )
    naive = client.post(
        f"/api/v1/visits/{visit.id}/messages/read", json={"up_to": "2026-01-01T10:00:00"}, headers=headers
    )

    assert read.status_code == 200 and read.json == {"unread": 0}
    assert naive.status_code == 422 and "up_to" in naive.json["errors"]


def test_the_list_of_conversations_is_newest_first_with_unread_counts(client, api_token, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Först.")
    write(visit.lead, finding=visit.findings[0], text="Sedan.")

    response = client.get("/api/v1/threads?unread=true", headers=api_token(member))

    assert [(t["finding_id"], t["unread_count"]) for t in response.json["items"]] == [
        (str(visit.findings[0].id), 1),
        (None, 1),
    ]
    assert response.json["items"][0]["messages_url"] == f"/api/v1/findings/{visit.findings[0].id}/messages"


def test_the_openapi_document_describes_the_conversations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/visits/{visit_id}/messages",
        "/api/v1/findings/{finding_id}/messages",
        "/api/v1/visits/{visit_id}/messages/read",
        "/api/v1/threads",
        "/api/v1/attachments/{attachment_id}",
    ):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/visits/{visit_id}/messages"]["post"]["requestBody"]["content"]
