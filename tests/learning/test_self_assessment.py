"""The unit's self-assessment (DESIGN.md 4.5): drafts, submitted once and never changed (ORM and database), only
while planned or in progress, beside the findings on the site screen and as an appendix of the report."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text


@pytest.fixture
def planned(make_visit, make_unit, make_user):
    unit = make_unit("Björkens förskola")
    visit = make_visit("planned", unit=unit)
    visit.member = make_user("unit_member", units=[unit], name="Maja Medlem")
    return visit


def _keys(visit):
    from app.learning.services.self_assessment import answer_key

    return [answer_key(a.id, i) for a in visit.template_version.areas for i in range(len(a.question_list))]


def _submit(db, visit, actor, rating=3, words="Vi gör riskbedömningar varje månad."):
    from app.learning import services

    answers = {k: (rating, words) for k in _keys(visit)}
    assessment = services.save_self_assessment(visit.id, actor=actor, answers=answers, submit=True)
    db.session.commit()
    return assessment


def test_a_draft_is_kept_and_can_be_changed(db, planned):
    from app.learning import services

    first = _keys(planned)[0]
    services.save_self_assessment(planned.id, actor=planned.member, answers={first: (2, "Ibland.")})
    db.session.commit()
    services.save_self_assessment(planned.id, actor=planned.member, answers={first: (4, "Alltid.")})
    db.session.commit()
    view = services.self_assessment_view(planned.member, planned.id)
    assert view.draft == {first: {"rating": 4, "text": "Alltid."}}
    assert view.submitted is None


def test_submitting_records_who_and_when_and_every_question(db, planned):
    assessment = _submit(db, planned, planned.member)
    assert assessment.submitted_by_id == planned.member.id
    assert assessment.received_at is not None
    assert len(assessment.answers) == len(_keys(planned))
    assert {a.rating for a in assessment.answers} == {3}


def test_a_self_assessment_is_submitted_only_once(db, planned):
    from app.core.errors import DomainError
    from app.learning import services

    _submit(db, planned, planned.member)
    with pytest.raises(DomainError):
        services.save_self_assessment(planned.id, actor=planned.member, answers={}, submit=True)


def test_the_orm_refuses_to_change_a_submitted_self_assessment(db, planned):
    assessment = _submit(db, planned, planned.member)
    assessment.answers[0].text = "Ändrat i efterhand."
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(assessment)
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {value}", "DELETE FROM {table}"])
@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("self_assessment_answers", "text", "'ändrat'"), ("self_assessments", "received_at", "received_at")],
)
def test_the_database_refuses_to_change_a_submitted_self_assessment(db, planned, statement, table, column, value):
    from sqlalchemy.exc import DBAPIError

    _submit(db, planned, planned.member)
    with pytest.raises(DBAPIError, match="never changed"):
        db.session.execute(text(statement.format(table=table, column=column, value=value)))
    db.session.rollback()


@pytest.mark.parametrize("table", ["self_assessments", "self_assessment_answers"])
def test_postgresql_refuses_to_truncate_a_submitted_self_assessment(db, planned, table, owner_database_url):
    """As responses (migration 0010): a TRUNCATE fires no row trigger, so a statement trigger refuses it (0021).
    Tried as the tables' owner: the app's own role may not TRUNCATE at all (tests/hardening/test_records.py)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _submit(db, planned, planned.member)
    owner = create_engine(owner_database_url)
    try:
        with owner.connect() as conn:
            with pytest.raises(DBAPIError, match="never changed or removed"):
                conn.execute(text(f"TRUNCATE {table} CASCADE"))
            conn.rollback()
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0  # noqa: S608 - a fixed list
    finally:
        owner.dispose()


def test_the_test_cleanup_may_still_truncate_them_with_the_triggers_set_aside(db, planned, owner_database_url):
    """The suite's cleanup empties every table as the superuser with session_replication_role = replica, under
    which ordinary triggers (the TRUNCATE ones too) do not fire. (The owner's connection: only a superuser may set
    session_replication_role.)"""
    from sqlalchemy import create_engine

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _submit(db, planned, planned.member)
    owner = create_engine(owner_database_url)
    try:
        with owner.connect() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE self_assessments, self_assessment_answers CASCADE"))
            assert conn.scalar(text("SELECT count(*) FROM self_assessments")) == 0
            conn.rollback()
    finally:
        owner.dispose()


def test_only_the_units_members_fill_it_in(db, planned, make_user):
    from app.core.errors import Forbidden
    from app.learning import services

    with pytest.raises(Forbidden):
        services.save_self_assessment(planned.id, actor=planned.lead, answers={})


@pytest.mark.parametrize("status", ["draft", "sent_for_comment", "final"])
def test_it_is_filled_in_only_while_planned_or_in_progress(db, make_visit, make_unit, make_user, status):
    from app.core.errors import DomainError
    from app.learning import services

    unit = make_unit()
    visit = make_visit(status, unit=unit)
    with pytest.raises(DomainError):
        services.save_self_assessment(visit.id, actor=make_user("unit_member", units=[unit]), answers={})


def test_a_rating_outside_the_scale_is_refused_naming_the_question(db, planned):
    from app.core.errors import InvalidInput
    from app.learning import services

    key = _keys(planned)[0]
    with pytest.raises(InvalidInput) as refused:
        services.save_self_assessment(planned.id, actor=planned.member, answers={key: (7, "")})
    assert list(refused.value.errors) == [f"rating-{key}"]


def test_the_review_team_does_not_see_the_draft(db, planned):
    from app.learning import services

    services.save_self_assessment(planned.id, actor=planned.member, answers={_keys(planned)[0]: (1, "Hemligt utkast.")})
    db.session.commit()
    view = services.self_assessment_view(planned.lead, planned.id)
    assert view.draft == {} and view.submitted is None


def test_the_unit_fills_it_in_on_its_page_and_the_portal_says_it_waits(db, browser, planned):
    browser.login(planned.member)
    assert f"/visits/{planned.id}/self-assessment" in browser.get("/start").get_data(as_text=True)
    keys = _keys(planned)
    data = {f"rating-{k}": "4" for k in keys} | {f"text-{k}": "Det fungerar." for k in keys} | {"action": "save"}
    assert browser.post(f"/visits/{planned.id}/self-assessment", data=data).status_code == 302
    data["action"] = "submit"
    assert browser.post(f"/visits/{planned.id}/self-assessment", data=data).status_code == 302
    page = browser.get(f"/visits/{planned.id}/self-assessment").get_data(as_text=True)
    assert "Det fungerar." in page
    assert f"/visits/{planned.id}/self-assessment" not in browser.get("/start").get_data(as_text=True)


def test_a_bad_rating_on_the_page_is_shown_beside_the_question_and_nothing_saved(db, browser, planned):
    from app.learning.models import SelfAssessmentDraft

    browser.login(planned.member)
    key = _keys(planned)[0]
    response = browser.post(
        f"/visits/{planned.id}/self-assessment", data={f"rating-{key}": "9", f"text-{key}": "x", "action": "save"}
    )
    assert response.status_code == 422
    assert f'id="rating-{key.replace(":", "-")}-error"' in response.get_data(as_text=True)
    assert db.session.query(SelfAssessmentDraft).count() == 0


def test_the_reviewer_sees_the_units_answers_beside_the_findings_of_each_area(db, browser, planned):
    from app.core import access
    from app.visits import services as visit_services

    _submit(db, planned, planned.member, words="Vi gör riskbedömningar varje månad.")
    visit_services.transition(planned.id, actor=access.OPERATOR, to="in_progress")
    db.session.commit()
    area = planned.template_version.areas[0]
    browser.login(planned.lead)
    page = browser.get(f"/visits/{planned.id}/site?area={area.id}").get_data(as_text=True)
    assert "Vi gör riskbedömningar varje månad." in page
    assert area.question_list[0] in page


def test_the_api_saves_a_draft_and_submits(db, client, planned):
    from app.auth import services as auth_services

    _token, secret = auth_services.create_api_token(actor=planned.member, label="t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    area = planned.template_version.areas[0]
    body = {"answers": [{"area_id": str(area.id), "question_index": 0, "rating": 2, "text": "Delvis."}]}
    url = f"/api/v1/visits/{planned.id}/self-assessment"
    saved = client.post(url, json=body, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["status"] == "draft"
    assert client.get(url, headers=headers).get_json()["answers"][0]["rating"] == 2
    submitted = client.post(url, json=body | {"submit": True}, headers=headers)
    assert submitted.status_code == 201 and submitted.get_json()["status"] == "submitted"
    assert client.post(url, json=body | {"submit": True}, headers=headers).status_code == 409
    bad = client.post(
        url, json={"answers": [{"area_id": str(area.id), "question_index": 0, "rating": 5}]}, headers=headers
    )
    assert bad.status_code == 422


def test_the_final_report_carries_the_self_assessment_as_an_appendix(db, browser, planned, make_user):
    from pypdf import PdfReader

    from app.core import access
    from app.visits import services as visit_services

    _submit(db, planned, planned.member, words="Riskbedömningar görs varje månad.")
    for status in ("in_progress", "draft"):
        visit_services.transition(planned.id, actor=access.OPERATOR, to=status)
    db.session.commit()
    browser.login(planned.lead)
    response = browser.get(f"/visits/{planned.id}/report.pdf")
    assert response.status_code == 200
    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Riskbedömningar görs varje månad." in " ".join(words.split())
