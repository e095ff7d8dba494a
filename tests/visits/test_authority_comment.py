"""DESIGN.md 4.1: the authority's comment on each of the unit's responses (how it was taken into account), in
the UI, the API and the final report; the response itself never changes."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.visits import report, services

COMMENT = "Synpunkten om nattbemanningen har förts in i avsnittet om bemanning."


@pytest.fixture
def answered(make_visit, make_user, db) -> Any:
    visit = make_visit("sent_for_comment")
    visit.member = make_user("unit_member", units=[visit.unit], name="Ulla Enhet")
    [visit.response] = services.submit_response(visit.id, actor=visit.member, overall="Vi saknar nattbemanningen.")
    db.session.commit()
    return visit


def test_the_lead_writes_the_authoritys_comment_and_the_response_is_unchanged(answered, db):
    comment = services.comment_on_response(answered.response.id, actor=answered.lead, text=COMMENT)
    db.session.commit()
    assert services.authority_comments(answered)[answered.response.id].text == COMMENT
    assert comment.written_by_id == answered.lead.id
    assert answered.response.text == "Vi saknar nattbemanningen."


def test_writing_again_replaces_the_comment(answered, db):
    services.comment_on_response(answered.response.id, actor=answered.lead, text="Första.")
    services.comment_on_response(answered.response.id, actor=answered.lead, text=COMMENT)
    db.session.commit()
    assert [c.text for c in services.authority_comments(answered).values()] == [COMMENT]


def test_an_empty_comment_is_refused_on_the_text_field(answered):
    with pytest.raises(InvalidInput) as refused:
        services.comment_on_response(answered.response.id, actor=answered.lead, text="   ")
    assert "text" in refused.value.errors


def test_the_unit_and_reviewers_outside_the_team_may_not_comment(answered, make_user):
    with pytest.raises(Forbidden):
        services.comment_on_response(answered.response.id, actor=answered.member, text=COMMENT)
    with pytest.raises(Forbidden):
        services.comment_on_response(answered.response.id, actor=make_user("reviewer"), text=COMMENT)


def test_a_member_of_another_unit_does_not_find_the_response(answered, make_user, make_unit):
    with pytest.raises(NotFound):
        services.comment_on_response(
            answered.response.id, actor=make_user("unit_member", units=[make_unit()]), text=COMMENT
        )


def test_no_comment_once_the_report_is_final(answered, db, monkeypatch):
    monkeypatch.setattr(report, "render_pdf", lambda visit: b"%PDF-1.7 stand-in")
    services.transition(answered.id, actor=answered.lead, to="final")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.comment_on_response(answered.response.id, actor=answered.lead, text=COMMENT)
    assert refused.value.status == 409


def test_the_comment_is_in_the_final_report_beside_the_response(answered, db):
    services.comment_on_response(answered.response.id, actor=answered.lead, text=COMMENT)
    services.transition(answered.id, actor=answered.lead, to="final")
    db.session.commit()
    html = report.render_report_html(answered, for_pdf=True)
    assert html.index("Vi saknar nattbemanningen.") < html.index(COMMENT)


def test_the_page_offers_the_comment_to_the_team_and_saves_it(answered, browser, db):
    browser.login(answered.lead)
    page = browser.get(f"/visits/{answered.id}")
    assert f"/responses/{answered.response.id}/comment" in page.text
    form = browser.get(f"/responses/{answered.response.id}/comment")
    assert form.status_code == 200 and 'data-autosave="response-comment-' in form.text
    empty = browser.post(f"/responses/{answered.response.id}/comment", {"text": ""})
    assert empty.status_code == 422
    saved = browser.post(f"/responses/{answered.response.id}/comment", {"text": COMMENT})
    assert saved.status_code == 302
    assert COMMENT in browser.get(f"/visits/{answered.id}").text


def test_the_unit_is_not_offered_the_comment(answered, browser):
    browser.login(answered.member)
    assert f"/responses/{answered.response.id}/comment" not in browser.get(f"/visits/{answered.id}").text
    assert browser.get(f"/responses/{answered.response.id}/comment").status_code == 403


def test_the_api_writes_the_comment(answered, client, api_token, make_user):
    done = client.post(
        f"/api/v1/responses/{answered.response.id}/comment", json={"text": COMMENT}, headers=api_token(answered.lead)
    )
    assert done.status_code == 200
    assert (done.get_json()["text"], done.get_json()["written_by"]["name"]) == (COMMENT, "Lena Lead")
    refused = client.post(
        f"/api/v1/responses/{answered.response.id}/comment",
        json={"text": COMMENT},
        headers=api_token(answered.member),
    )
    assert refused.status_code == 403


def test_the_finding_edit_page_does_not_open_during_kommunicering(answered, browser):
    browser.login(answered.lead)
    finding = answered.findings[0]
    page = browser.get(f"/findings/{finding.id}/edit")
    assert page.status_code == 302
    assert browser.get(page.headers["Location"]).status_code == 200
