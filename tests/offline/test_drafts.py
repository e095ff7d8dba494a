"""The server's half of "nothing typed is lost" (DESIGN.md 4.8): whole forms kept per person after a session ran
out, confirmation markers for the browser's drafts, and the browser session on the API for the offline queue."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from app.core import drafts
from app.core.drafts import FormDraft
from app.core.models import utcnow
from app.visits.models import Finding

LONG = ("Genomförandeplanerna saknar de boendes egna ord. " * 120).strip()  # about 6,000 characters


def expire_sessions(db: Any, person: Any) -> None:
    from app.auth.models import AuthSession

    for row in db.session.scalars(select(AuthSession).where(AuthSession.user_id == person.id)):
        row.last_seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()


def kept_draft_on(html: str) -> dict[str, Any] | None:
    match = re.search(r'<script type="application/json" id="kept-form-draft">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else None


# ---- the store --------------------------------------------------------------------------------------


def test_a_kept_form_comes_back_whole_to_its_person_once(app, db, make_user):
    person = make_user("reviewer")
    drafts.keep_form_draft(person.id, path="/visits/x/respond", fields={"text": LONG}, draft_key="response-x")
    db.session.commit()
    assert drafts.take_form_draft(person.id, "/visits/x/respond") == {
        "draft_key": "response-x",
        "fields": {"text": LONG},
    }
    assert drafts.take_form_draft(person.id, "/visits/x/respond") is None


def test_another_person_never_gets_a_kept_form(app, db, make_user):
    owner, other = make_user("reviewer"), make_user("unit_member")
    drafts.keep_form_draft(owner.id, path="/p", fields={"body": "hemligt"})
    db.session.commit()
    assert drafts.take_form_draft(other.id, "/p") is None
    assert drafts.take_form_draft(owner.id, "/p") is not None


def test_a_newer_form_at_the_same_page_replaces_the_older(app, db, make_user):
    person = make_user("reviewer")
    drafts.keep_form_draft(person.id, path="/p", fields={"text": "först"})
    drafts.keep_form_draft(person.id, path="/p", fields={"text": "sedan"})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 1
    assert drafts.take_form_draft(person.id, "/p")["fields"] == {"text": "sedan"}


def test_a_kept_form_is_gone_after_a_day(app, db, make_user):
    person = make_user("reviewer")
    drafts.keep_form_draft(person.id, path="/p", fields={"text": "igår"})
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(hours=24, minutes=1), tick=False):
        assert drafts.take_form_draft(person.id, "/p") is None
        assert drafts.purge_expired_form_drafts() == 1
    assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0


def test_the_purge_leaves_the_forms_of_today(app, db, make_user):
    person = make_user("reviewer")
    drafts.keep_form_draft(person.id, path="/p", fields={"text": "idag"})
    db.session.commit()
    assert drafts.purge_expired_form_drafts() == 0


# ---- after a session ran out -------------------------------------------------------------------------


def test_a_long_finding_posted_after_the_session_ran_out_is_kept_for_its_person(browser, db, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    site = f"/visits/{visit.id}/site"
    token = browser.token()
    expire_sessions(db, visit.lead)
    answer = browser.client.post(
        f"/visits/{visit.id}/findings",
        data={"csrf_token": token, "kind": "development", "text": LONG, "draft_key": f"finding-{visit.id}-other"},
        headers={"Referer": f"http://localhost{site}"},
    )
    assert answer.status_code == 302 and "/login" in answer.location
    db.session.expire_all()
    kept = db.session.scalars(select(FormDraft)).one()
    assert (kept.user_id, kept.path, kept.draft_key) == (visit.lead.id, site, f"finding-{visit.id}-other")
    assert json.loads(kept.fields)["text"] == LONG
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 0


def test_after_logging_in_again_the_form_page_gets_the_whole_text_back(browser, db, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    site = f"/visits/{visit.id}/site"
    token = browser.token()
    expire_sessions(db, visit.lead)
    browser.client.post(
        f"/visits/{visit.id}/findings",
        data={"csrf_token": token, "kind": "development", "text": LONG, "draft_key": "finding-k"},
        headers={"Referer": f"http://localhost{site}"},
    )
    browser.login(visit.lead)
    page = browser.get(site).get_data(as_text=True)
    assert kept_draft_on(page) == {"draft_key": "finding-k", "fields": {"kind": "development", "text": LONG}}
    assert LONG in page  # filled in on the server too (without JavaScript)
    assert kept_draft_on(browser.get(site).get_data(as_text=True)) is None  # once


def test_a_units_response_posted_after_the_session_ran_out_comes_back_after_login(browser, db, make_visit, make_user):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    respond = f"/visits/{visit.id}/respond"
    token = browser.token()
    expire_sessions(db, member)
    text = "Vi håller inte med om iakttagelsen om rutinerna, " * 100
    browser.client.post(
        respond,
        data={"csrf_token": token, "text": text, "draft_key": f"response-{visit.id}"},
        headers={"Referer": f"http://localhost{respond}"},
    )
    browser.login(member)
    kept = kept_draft_on(browser.get(respond).get_data(as_text=True))
    assert kept == {"draft_key": f"response-{visit.id}", "fields": {"text": text}}


def test_someone_else_logging_in_after_the_session_ran_out_gets_nothing(browser, db, make_visit, make_user):
    visit = make_visit("in_progress", findings=())
    colleague = make_user("reviewer")
    browser.login(visit.lead)
    site = f"/visits/{visit.id}/site"
    token = browser.token()
    expire_sessions(db, visit.lead)
    browser.client.post(
        f"/visits/{visit.id}/findings",
        data={"csrf_token": token, "kind": "strength", "text": "Ledningens text.", "draft_key": "k"},
        headers={"Referer": f"http://localhost{site}"},
    )
    browser.login(colleague)
    page = browser.get(site).get_data(as_text=True)
    assert "Ledningens text." not in page
    assert kept_draft_on(page) is None


# ---- the confirmation the browser's draft waits for -----------------------------------------------


def test_the_page_after_a_saved_form_names_its_draft_key(browser, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    key = f"finding-{visit.id}-other"
    saved = browser.post(
        f"/visits/{visit.id}/findings", data={"kind": "strength", "text": "Bra rutiner.", "draft_key": key}
    )
    assert saved.status_code == 302
    page = browser.get(saved.location).get_data(as_text=True)
    assert f'data-saved-drafts="{key}"' in page
    assert 'data-saved-drafts=""' in browser.get(saved.location).get_data(as_text=True)  # named once


def test_a_refused_form_names_no_draft_key(browser, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    refused = browser.post(f"/visits/{visit.id}/findings", data={"kind": "strength", "text": "", "draft_key": "k"})
    assert refused.status_code == 422
    assert 'data-saved-drafts=""' in refused.get_data(as_text=True)
    assert 'data-saved-drafts=""' in browser.get(f"/visits/{visit.id}/site").get_data(as_text=True)


def test_the_page_carries_the_persons_id_for_the_browsers_drafts(browser, make_user):
    person = make_user("reviewer")
    browser.login(person)
    assert f'data-user-id="{person.id}"' in browser.get("/start").get_data(as_text=True)
    assert "data-user-id" not in browser.client.get("/offline").get_data(as_text=True)


# ---- the offline queue's way in ---------------------------------------------------------------------


def _operation(visit: Any) -> dict[str, Any]:
    return {
        "operations": [
            {
                "id": str(uuid.uuid4()),
                "op": "add_finding",
                "args": {"visit_id": str(visit.id), "kind": "strength", "text": "Bra."},
            }
        ]
    }


def test_the_page_syncs_with_its_session_and_csrf_header(browser, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    state = browser.get("/session/state").json
    assert state["user_id"] == str(visit.lead.id)
    answer = browser.client.post("/api/v1/sync", json=_operation(visit), headers={"X-CSRFToken": state["csrf_token"]})
    assert answer.status_code == 200
    assert answer.json["results"][0]["status"] == 201


def test_the_session_cookie_alone_does_not_reach_the_api(browser, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    assert browser.client.post("/api/v1/sync", json=_operation(visit)).status_code == 401
    wrong = browser.client.post("/api/v1/sync", json=_operation(visit), headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 401


def test_the_session_state_of_nobody_is_a_401(client):
    answer = client.get("/session/state")
    assert (answer.status_code, answer.json) == (401, {"user_id": None})


def test_the_service_worker_is_served_for_the_whole_site(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert answer.mimetype == "text/javascript"
    assert b"tillsyn-pages" in answer.data


def test_the_manifest_and_icons_are_served_locally(client):
    manifest = client.get("/static/manifest.webmanifest")
    assert manifest.status_code == 200
    icons = json.loads(manifest.data)["icons"]
    manifest.close()
    for icon in icons:
        assert icon["src"].startswith("/static/")
        answer = client.get(icon["src"])
        assert answer.status_code == 200
        answer.close()


def test_the_hourly_task_forgets_the_forms_whose_day_is_over(app, db, make_user):
    from workers.auth import purge_form_drafts

    person = make_user("reviewer")
    drafts.keep_form_draft(person.id, path="/p", fields={"text": "igår"})
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        assert purge_form_drafts() == 1
    assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0


def test_a_form_with_a_stale_token_after_the_session_ran_out_is_kept_for_its_person(browser, db, make_visit):
    visit = make_visit("in_progress", findings=())
    browser.login(visit.lead)
    site = f"/visits/{visit.id}/site"
    expire_sessions(db, visit.lead)
    answer = browser.client.post(
        f"/visits/{visit.id}/findings",
        data={"csrf_token": "stale", "kind": "strength", "text": LONG},
        headers={"Referer": f"http://localhost{site}"},
    )
    assert answer.status_code == 302
    db.session.expire_all()
    kept = db.session.scalars(select(FormDraft)).one()
    assert (kept.user_id, json.loads(kept.fields)["text"]) == (visit.lead.id, LONG)
