"""Feedback on the supervision (DESIGN.md 4.5): once per member and visit, only after final, invited by e-mail and
in the portal; coordinators see figures, per reviewer only with at least five answers, texts without names."""

from __future__ import annotations

import pytest
from sqlalchemy import select


@pytest.fixture
def final_visit(make_visit, make_unit, make_user):
    unit = make_unit("Lindens äldreboende")
    member = make_user("unit_member", units=[unit], name="Frida Feedback", email="frida@linden.example.se")
    visit = make_visit("final", unit=unit)
    visit.member = member
    return visit


def _give(db, visit, actor, scores=(4, 5, 3), text=""):
    from app.learning import services

    feedback = services.give_feedback(
        visit.id, actor=actor, useful=scores[0], respectful=scores[1], clear=scores[2], text=text
    )
    db.session.commit()
    return feedback


def test_a_member_gives_feedback_once_per_visit(db, final_visit):
    from app.core.errors import DomainError
    from app.learning import services

    _give(db, final_visit, final_visit.member)
    with pytest.raises(DomainError):
        services.give_feedback(final_visit.id, actor=final_visit.member, useful=1, respectful=1, clear=1)


@pytest.mark.parametrize("status", ["planned", "draft", "sent_for_comment"])
def test_feedback_is_given_only_after_final(db, make_visit, make_unit, make_user, status):
    from app.core.errors import DomainError
    from app.learning import services

    unit = make_unit()
    visit = make_visit(status, unit=unit)
    with pytest.raises(DomainError):
        services.give_feedback(visit.id, actor=make_user("unit_member", units=[unit]), useful=3, respectful=3, clear=3)


def test_only_the_units_members_give_feedback(db, final_visit):
    from app.core.errors import Forbidden
    from app.learning import services

    with pytest.raises(Forbidden):
        services.give_feedback(final_visit.id, actor=final_visit.lead, useful=3, respectful=3, clear=3)


@pytest.mark.parametrize("bad", [0, 6, "4", None, True])
def test_a_score_outside_1_to_5_is_refused_naming_the_field(db, final_visit, bad):
    from app.core.errors import InvalidInput
    from app.learning import services

    with pytest.raises(InvalidInput) as refused:
        services.give_feedback(final_visit.id, actor=final_visit.member, useful=bad, respectful=3, clear=3)
    assert list(refused.value.errors) == ["useful"]


def test_the_unit_is_invited_by_email_when_the_visit_becomes_final(db, make_visit, make_unit, make_user):
    from app.core import access
    from app.core.models import OutboxEmail
    from app.visits import services as visit_services

    unit = make_unit()
    make_user("unit_member", units=[unit], email="inbjuden@example.se")
    visit = make_visit("sent_for_comment", unit=unit)
    visit_services.transition(
        visit.id, actor=access.OPERATOR, to="final", waiver_reason="Enheten har avstått från att yttra sig."
    )
    db.session.commit()
    mails = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.source == f"learning.feedback_invitation:{visit.id}")
    ).all()
    assert [m.recipient for m in mails] == ["inbjuden@example.se"]
    assert f"/visits/{visit.id}/feedback" in mails[0].text


def test_the_portal_invites_until_given_and_the_unit_sees_its_own(db, browser, final_visit):
    browser.login(final_visit.member)
    assert f"/visits/{final_visit.id}/feedback" in browser.get("/start").get_data(as_text=True)
    response = browser.post(
        f"/visits/{final_visit.id}/feedback", data={"useful": "5", "respectful": "4", "clear": "3", "text": "Bra möte."}
    )
    assert response.status_code == 302
    assert f"/visits/{final_visit.id}/feedback" not in browser.get("/start").get_data(as_text=True)
    page = browser.get(f"/visits/{final_visit.id}/feedback").get_data(as_text=True)
    assert "Bra möte." in page and "Frida Feedback" in page


def test_a_missing_score_on_the_page_names_the_field_and_saves_nothing(db, browser, final_visit):
    from app.learning.models import SupervisionFeedback

    browser.login(final_visit.member)
    response = browser.post(f"/visits/{final_visit.id}/feedback", data={"useful": "5", "clear": "3"})
    assert response.status_code == 422
    assert 'id="respectful-error"' in response.get_data(as_text=True)
    assert db.session.query(SupervisionFeedback).count() == 0


def _members(make_user, unit, n):
    return [make_user("unit_member", units=[unit]) for _ in range(n)]


def test_per_reviewer_figures_are_hidden_below_five_answers(db, make_visit, make_unit, make_user):
    from app.learning import services

    lead = make_user("reviewer", name="Rut Recensent")
    unit = make_unit()
    visit = make_visit("final", unit=unit, lead=lead)
    for member in _members(make_user, unit, 4):
        _give(db, visit, member)
    coordinator = make_user("coordinator")
    summary = services.feedback_summary(coordinator)
    assert summary.overall.count == 4
    assert summary.by_reviewer == {}
    assert summary.hidden_reviewers == 1
    _give(db, visit, _members(make_user, unit, 1)[0])
    summary = services.feedback_summary(coordinator)
    assert list(summary.by_reviewer) == ["Rut Recensent"]
    assert summary.by_reviewer["Rut Recensent"].count == 5


def test_a_team_of_one_below_five_answers_does_not_show_the_reviewer_alone(db, make_visit, make_unit, make_user):
    """A team is named by its reviewers: a team of one with four answers would be that reviewer's figures."""
    from app.learning import services

    lead = make_user("reviewer", name="Ensam Granskare")
    unit = make_unit()
    visit = make_visit("final", unit=unit, lead=lead)
    for member in _members(make_user, unit, 4):
        _give(db, visit, member)
    coordinator = make_user("coordinator")
    summary = services.feedback_summary(coordinator)
    assert summary.by_team == {} and summary.hidden_teams == 1
    _give(db, visit, _members(make_user, unit, 1)[0])
    assert [f.count for f in services.feedback_summary(coordinator).by_team.values()] == [5]


def test_the_summary_counts_averages_and_distributions_by_hand(db, make_visit, make_unit, make_user):
    from app.learning import services

    unit = make_unit()
    visit = make_visit("final", unit=unit)
    a, b, c = _members(make_user, unit, 3)
    _give(db, visit, a, (5, 5, 1), "Mycket lärorikt.")
    _give(db, visit, b, (4, 5, 2))
    _give(db, visit, c, (3, 4, 2), "Otydlig rapport.")
    summary = services.feedback_summary(make_user("coordinator"))
    assert summary.overall.averages == {"useful": 4.0, "respectful": 4.7, "clear": 1.7}
    assert summary.overall.distributions["clear"] == {1: 1, 2: 2, 3: 0, 4: 0, 5: 0}
    assert sorted(summary.texts) == ["Mycket lärorikt.", "Otydlig rapport."]
    year = visit.visit_date.year
    assert list(summary.by_year) == [year]
    assert services.feedback_summary(make_user("coordinator"), year=year - 1).overall.count == 0


def test_the_summary_page_shows_texts_without_names(db, browser, final_visit, make_user):
    _give(db, final_visit, final_visit.member, text="Tydligt och vänligt.")
    browser.login(make_user("coordinator"))
    page = browser.get("/feedback").get_data(as_text=True)
    assert "Tydligt och vänligt." in page
    assert "Frida Feedback" not in page


def test_only_coordinators_see_the_summary(db, browser, client, final_visit, make_user):
    from app.auth import services as auth_services

    browser.login(make_user("reviewer"))
    assert browser.get("/feedback").status_code == 403
    _token, secret = auth_services.create_api_token(actor=final_visit.member, label="t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/feedback/summary", headers=headers).status_code == 403


def test_the_api_takes_feedback_once_and_sums_it_up(db, client, final_visit, make_user):
    from app.auth import services as auth_services

    member_token = auth_services.create_api_token(actor=final_visit.member, label="t")[1]
    coordinator_token = auth_services.create_api_token(actor=make_user("coordinator"), label="t")[1]
    db.session.commit()
    url = f"/api/v1/visits/{final_visit.id}/feedback"
    body = {"useful": 5, "respectful": 4, "clear": 3, "text": "Bra."}
    headers = {"Authorization": f"Bearer {member_token}"}
    assert client.post(url, json=body, headers=headers).status_code == 201
    assert client.post(url, json=body, headers=headers).status_code == 409
    assert client.post(url, json=body | {"useful": 9}, headers=headers).status_code in (409, 422)
    summary = client.get("/api/v1/feedback/summary", headers={"Authorization": f"Bearer {coordinator_token}"})
    assert summary.get_json()["overall"]["averages"] == {"useful": 5.0, "respectful": 4.0, "clear": 3.0}
