"""A forbidden character (NUL, another control character) in a web form's field is bad input like any other
(DESIGN.md 4.8, section 5: "bad input: a translated message naming the field, nothing typed thrown away"): the form
comes back with what was typed (the character itself left out, since it cannot be stored or shown), the message
beside the field, naming it as the person sees it — never its internal name — and nothing is saved. Where a view
reads a field without a form, the message names the field by its label when one is known, else "one of the fields".
The API keeps its problem+json naming the field as API.md says."""

from __future__ import annotations

from sqlalchemy import func, select

from app.dialogue.models import Message
from app.visits.models import Response


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_nul_in_a_message_gives_the_form_back_with_the_message_beside_the_field(browser, make_visit, db):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)
    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Hör av er\x00 om utkastet är oklart."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Hör av er om utkastet är oklart." in page  # what was typed, back in the form
    assert "U+0000" in page and "inte kan sparas" in page  # what was wrong, in Swedish
    assert 'aria-invalid="true"' in page or "has-error" in page  # beside the field
    assert "text:" not in page  # never the field's internal name
    assert count(db, Message) == 0


def test_a_control_character_in_a_field_read_without_a_form_is_named_in_words_and_nothing_is_saved(
    browser, make_visit, make_user, db
):
    visit = make_visit("sent_for_comment", findings=(("deviation", "minor", "Larm besvaras sent."),))
    member = make_user("unit_member", units=[visit.unit], language="en")
    browser.login(member)
    [finding] = visit.findings
    response = browser.post(
        f"/visits/{visit.id}/respond",
        {"overall": "Vi håller med.", f"stance-{finding.id}": "agree", f"text-{finding.id}": "Rutin\x1b ändrad."},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "One of the fields" in page and "U+001B" in page
    assert f"text-{finding.id}:" not in page
    assert "Vi håller med." in page  # what was typed comes back
    assert count(db, Response) == 0


def test_the_api_keeps_its_problem_naming_the_field(client, make_visit, api_token):
    visit = make_visit("sent_for_comment")
    response = client.post(
        f"/api/v1/visits/{visit.id}/messages", data={"text": "Hej\x00"}, headers=api_token(visit.lead)
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "text" in response.json["errors"]


def test_a_commit_while_a_refused_field_is_unanswered_is_refused(app, db, make_unit):
    """The last guard: a view that read a refused field without a form or ``run_service`` saves nothing; the
    person gets the 422 page saying which field (here in words: no form names it) and to go back."""
    import pytest
    from flask import request

    from app.core import input as input_layer
    from app.core.errors import InvalidInput

    unit = make_unit("Åby skola")
    headers = {"Accept-Language": "en"}
    with app.test_request_context("/x", method="POST", data={"text-1": "Bra\x00 rutin"}, headers=headers):
        input_layer.guard_request()
        assert request.form["text-1"] == "Bra rutin"  # what was typed, without what cannot be stored
        unit.name = "Bra rutin"
        with pytest.raises(InvalidInput) as refused:
            db.session.commit()
        db.session.rollback()
    assert refused.value.status == 422 and list(refused.value.errors) == ["text-1"]
    assert "U+0000" in refused.value.message
    assert db.session.get(type(unit), unit.id).name == "Åby skola"
