"""The library of good examples (DESIGN.md 4.5): consent, withdrawal, the one exception to isolation, search."""

from __future__ import annotations

import pytest
from sqlalchemy import select


def _api(client, person, url, method="GET", **kwargs):
    from app.auth import services

    _token, secret = services.create_api_token(actor=person, label="t")
    from app.extensions import db

    db.session.commit()
    return client.open(url, method=method, headers={"Authorization": f"Bearer {secret}"}, **kwargs)


def _library_ids(person, **filters):
    from app.learning import services

    return [e.id for e in services.library(person, **filters).items]


def test_a_proposal_is_not_in_the_library_without_consent(db, make_example, make_user):
    make_example(consent=False)
    reader = make_user("reviewer")
    assert _library_ids(reader) == []
    assert _library_ids(reader, q="rutiner") == []


def test_consent_puts_the_example_in_the_library_at_once(db, make_example, make_user):
    example = make_example()
    reader = make_user("reviewer")
    assert _library_ids(reader) == [example.id]
    assert _library_ids(reader, q="rutiner") == [example.id]


def test_declining_keeps_the_example_out_of_the_library(db, make_example, make_user):
    from app.learning import services
    from app.learning.models import ExampleStatus

    example = make_example(consent=False)
    services.answer(example.id, actor=example.member, consent=False)
    db.session.commit()
    assert example.status == ExampleStatus.declined
    assert _library_ids(make_user("reviewer"), q="rutiner") == []


def test_withdrawal_removes_the_example_from_page_api_and_search_at_once(
    db, client, browser, make_example, make_unit, make_user
):
    from app.learning import services

    example = make_example()
    other_member = make_user("unit_member", units=[make_unit("Annan enhet")])
    services.withdraw(example.id, actor=example.member)
    db.session.commit()
    assert _library_ids(other_member) == []
    assert _library_ids(other_member, q="rutiner") == []
    assert _api(client, other_member, "/api/v1/good-examples?q=rutiner").get_json()["total"] == 0
    assert _api(client, other_member, f"/api/v1/good-examples/{example.id}").status_code == 404
    browser.login(other_member)
    assert browser.get(f"/good-examples/{example.id}").status_code == 404
    assert example.finding.text not in browser.get("/good-examples").get_data(as_text=True)


def test_withdrawal_keeps_the_history(db, make_example):
    from app.core.models import AuditEvent
    from app.learning import services

    example = make_example()
    services.withdraw(example.id, actor=example.member)
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "good_example", AuditEvent.object_id == str(example.id))
    ).all()
    statuses = [e.changes["status"][1] for e in events if "status" in (e.changes or {})]
    assert statuses == ["proposed", "consented", "withdrawn"]


def test_member_of_another_unit_reads_a_consented_example_and_nothing_else_of_that_unit(
    db, browser, make_example, make_unit, make_user
):
    example = make_example()
    reader = make_user("unit_member", units=[make_unit("Annan enhet")])
    browser.login(reader)
    page = browser.get(f"/good-examples/{example.id}")
    assert page.status_code == 200
    assert example.finding.text in page.get_data(as_text=True)
    assert browser.get(f"/visits/{example.visit_id}").status_code == 404
    assert browser.get(f"/units/{example.unit_id}").status_code == 404


def test_a_proposal_of_another_unit_is_404(db, browser, make_example, make_unit, make_user):
    example = make_example(consent=False)
    reader = make_user("unit_member", units=[make_unit("Annan enhet")])
    browser.login(reader)
    assert browser.get(f"/good-examples/{example.id}").status_code == 404


def test_an_example_shown_by_kind_never_names_the_unit(db, client, browser, make_example, make_unit, make_user):
    unit = make_unit("Solrosens förskola", kind="preschool")
    example = make_example("Förskolan arbetar med språkutveckling.", unit=unit, named=False)
    reader = make_user("unit_member", units=[make_unit("Annan enhet")])
    browser.login(reader)
    for url in ("/good-examples", f"/good-examples/{example.id}"):
        body = browser.get(url).get_data(as_text=True)
        assert ("Solrosens" not in body and "Preschool" in body) or "Förskola" in body
        assert "Solrosens" not in body
    answer = _api(client, reader, f"/api/v1/good-examples/{example.id}").get_json()
    assert answer["unit"] == {"id": None, "name": None, "kind": "preschool", "municipality": None}
    assert _library_ids(reader, q="Solrosens") == []


def test_an_example_shown_by_kind_says_which_municipality(db, client, browser, make_example, make_unit, make_user):
    unit = make_unit("Solrosens förskola", kind="preschool", municipality="Norrviks kommun", owner="Lärkan AB")
    example = make_example("Förskolan arbetar med språkutveckling.", unit=unit, named=False)
    reader = make_user("unit_member", units=[make_unit("Annan enhet")])
    browser.login(reader)
    for url in ("/good-examples", f"/good-examples/{example.id}"):
        body = browser.get(url).get_data(as_text=True)
        assert "Förskola i Norrviks kommun" in body or "förskola i Norrviks kommun" in body
        assert "Solrosens" not in body and "Lärkan" not in body
    answer = _api(client, reader, f"/api/v1/good-examples/{example.id}").get_json()
    assert answer["unit"] == {"id": None, "name": None, "kind": "preschool", "municipality": "Norrviks kommun"}


def test_only_a_strength_can_be_proposed(db, make_visit):
    from app.core.errors import DomainError
    from app.learning import services

    visit = make_visit("draft", findings=(("development", None, "Rutinerna saknas."),))
    with pytest.raises(DomainError):
        services.propose(visit.findings[0].id, actor=visit.lead)


def test_a_strength_cannot_be_proposed_before_the_draft(db, make_visit):
    from app.core.errors import DomainError
    from app.learning import services

    visit = make_visit("in_progress")
    with pytest.raises(DomainError):
        services.propose(visit.findings[0].id, actor=visit.lead)


def test_a_reviewer_outside_the_team_cannot_propose(db, make_visit, make_user):
    from app.core.errors import Forbidden
    from app.learning import services

    visit = make_visit("draft")
    with pytest.raises(Forbidden):
        services.propose(visit.findings[0].id, actor=make_user("reviewer"))


def test_the_team_proposes_from_the_visit_page(db, browser, make_visit):
    from app.learning.models import ExampleStatus, GoodExample

    visit = make_visit("draft")
    browser.login(visit.lead)
    page = browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "/good-example" in page
    response = browser.post(f"/findings/{visit.findings[0].id}/good-example")
    assert response.status_code == 302
    example = db.session.scalar(select(GoodExample))
    assert example.status == ExampleStatus.proposed


def test_the_unit_sees_a_proposal_in_its_portal_once_the_report_is_out(db, browser, make_example, make_user):
    example = make_example(consent=False)
    browser.login(example.member)
    body = browser.get("/start").get_data(as_text=True)
    assert f"/good-examples/{example.id}" in body


def test_the_unit_does_not_see_a_proposal_on_a_draft(db, browser, make_example):
    example = make_example(consent=False, status="draft")
    browser.login(example.member)
    assert f"/good-examples/{example.id}" not in browser.get("/start").get_data(as_text=True)
    assert browser.get(f"/good-examples/{example.id}").status_code == 404


def test_the_unit_consents_by_form_choosing_kind_and_photos(
    db, browser, new_browser, make_example, make_unit, make_user
):
    import io
    from datetime import date, timedelta

    from PIL import Image

    from app.core import access
    from app.learning.models import ExampleStatus
    from app.visits import evidence
    from app.visits import services as visit_services

    example = make_example(consent=False, status="draft")
    photos = []
    for colour in ("red", "blue"):
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), colour).save(buffer, format="JPEG")
        photos.append(
            evidence.store_upload(
                example.finding_id, actor=example.visit.lead, filename="f.jpg", data=buffer.getvalue()
            )
        )
    visit_services.transition(
        example.visit_id,
        actor=access.OPERATOR,
        to="sent_for_comment",
        comment_deadline=date.today() + timedelta(days=14),
    )
    db.session.commit()
    browser.login(example.member)
    response = browser.post(
        f"/good-examples/{example.id}/consent", data={"show_as": "kind", "photos": [str(photos[1].id)]}
    )
    assert response.status_code == 302
    db.session.refresh(example)
    assert example.status == ExampleStatus.consented
    assert example.named is False
    assert [p.id for p in example.shown_photos] == [photos[1].id]
    reader = new_browser()
    reader.login(make_user("unit_member", units=[make_unit("Annan enhet")]))
    shown = reader.get(f"/good-examples/{example.id}/photos/{photos[1].id}")
    shown.close()  # a stored file is streamed from an open file
    assert shown.status_code == 200
    assert reader.get(f"/good-examples/{example.id}/photos/{photos[0].id}").status_code == 404


def test_consent_with_a_photo_of_another_finding_is_refused_and_nothing_saved(db, client, make_example, make_visit):
    from app.learning.models import ExampleStatus

    example = make_example(consent=False)
    response = _api(
        client,
        example.member,
        f"/api/v1/good-examples/{example.id}/consent",
        method="POST",
        json={"named": True, "photo_ids": ["0b7a3c57-4c55-4a39-9b22-6a1b3b0d4c11"]},
    )
    assert response.status_code == 422
    assert "photos" in response.get_json()["errors"]
    db.session.expire_all()
    assert example.status == ExampleStatus.proposed


def test_a_reviewer_cannot_consent_for_the_unit(db, client, make_example, make_user):
    example = make_example(consent=False)
    response = _api(client, example.visit.lead, f"/api/v1/good-examples/{example.id}/consent", method="POST", json={})
    assert response.status_code == 403


def test_contacting_the_unit_mails_its_members_without_showing_their_addresses(
    db, browser, make_example, make_unit, make_user
):
    from app.core.models import OutboxEmail

    unit = make_unit("Ekens skola")
    member = make_user("unit_member", units=[unit], email="rektor@eken.example.se")
    example = make_example(unit=unit, member=member)
    reader = make_user("unit_member", units=[make_unit("Annan enhet")], name="Vera Vän", email="vera@annan.example.se")
    browser.login(reader)
    page = browser.get(f"/good-examples/{example.id}").get_data(as_text=True)
    assert "rektor@eken.example.se" not in page
    response = browser.post(f"/good-examples/{example.id}/contact", data={"text": "Hur gör ni överlämningen?"})
    assert response.status_code == 302
    assert "rektor@eken.example.se" not in browser.get(response.headers["Location"]).get_data(as_text=True)
    mails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.source.like("learning.contact:%"))).all()
    assert [m.recipient for m in mails] == ["rektor@eken.example.se"]
    assert "Hur gör ni överlämningen?" in mails[0].text and "vera@annan.example.se" in mails[0].text


def test_an_empty_contact_message_names_the_field(db, client, make_example, make_user, make_unit):
    example = make_example()
    reader = make_user("unit_member", units=[make_unit("Annan enhet")])
    response = _api(client, reader, f"/api/v1/good-examples/{example.id}/contact", method="POST", json={"text": ""})
    assert response.status_code == 422


def test_the_api_filters_by_area_kind_and_year(db, client, make_example, make_unit, make_user):
    school = make_example("Skolan har bra rastvärdar.", unit=make_unit("Skola A", kind="school"))
    make_example("Äldreboendet har bra måltider.", unit=make_unit("Boende B", kind="elderly_care"))
    reader = make_user("reviewer")
    answer = _api(client, reader, "/api/v1/good-examples?unit_kind=school").get_json()
    assert [item["id"] for item in answer["items"]] == [str(school.id)]
    year = school.year
    assert _api(client, reader, f"/api/v1/good-examples?year={year - 1}").get_json()["total"] == 0
    area = school.finding.review_area.title
    assert _api(client, reader, f"/api/v1/good-examples?area={area}").get_json()["total"] == 2
    assert _api(client, reader, "/api/v1/good-examples?unit_kind=castle").status_code == 422


def test_search_ranks_the_better_match_first(db, make_example, make_user):
    weak = make_example("Personalen har rutiner för måltider.")
    strong = make_example("Rutiner, rutiner och åter rutiner för överlämning av rutiner.")
    ids = _library_ids(make_user("reviewer"), q="rutiner")
    assert ids == [strong.id, weak.id]


def test_odd_search_text_never_fails(db, client, make_example, make_user):
    make_example()
    reader = make_user("reviewer")
    for q in ['"', "*", "AND OR NOT", "skol:* & !", "()", "'; drop table x; --", "NEAR(a b)", "ä" * 200]:
        assert _api(client, reader, "/api/v1/good-examples", query_string={"q": q}).status_code == 200, q


def test_a_too_long_search_is_refused_naming_the_field(db, client, make_user):
    response = _api(client, make_user("reviewer"), "/api/v1/good-examples", query_string={"q": "ä" * 201})
    assert response.status_code == 422
    assert "q" in str(response.get_json())


def test_the_library_is_paginated_on_the_page_and_in_the_api(db, client, browser, make_example, make_user):
    """Three examples, two a page: page 2 holds the third, and nothing is shown twice (DESIGN.md 4.5)."""
    texts = [f"Rutin nummer {n} för överlämning mellan passen." for n in (1, 2, 3)]
    for text in texts:
        make_example(text)
    reader = make_user("reviewer")
    first = _api(client, reader, "/api/v1/good-examples?per_page=2").get_json()
    second = _api(client, reader, "/api/v1/good-examples?per_page=2&page=2").get_json()
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    from app.learning import views

    views.PER_PAGE, kept = 2, views.PER_PAGE
    try:
        browser.login(reader)
        shown = [browser.get(f"/good-examples?page={n}").get_data(as_text=True) for n in (1, 2)]
    finally:
        views.PER_PAGE = kept
    assert [sum(t in page for t in texts) for page in shown] == [2, 1]
    assert "page=2" in shown[0]  # the pager links on
