"""The small items of issue 14: removing a finding asks first (without JavaScript), a proposed follow-up is not
asked for again, the jäv error stands under the field where the person was chosen, one "Syfte" per form, the idle
dialog's countdown strings, consistent Swedish for proposing and accepting."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from app.visits.models import Evidence, Finding, Visit


def _error_of(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def test_removing_a_finding_asks_first_and_names_what_goes_with_it(browser, make_visit, db):
    visit = make_visit("in_progress", findings=(("deviation", "minor", "Dörren till medicinförrådet stod olåst."),))
    finding = visit.findings[0]
    browser.login(visit.lead)

    edit = browser.get(f"/findings/{finding.id}/edit").text
    assert f'href="/findings/{finding.id}/delete"' in edit  # a link to the question, not a one-tap form

    question = browser.get(f"/findings/{finding.id}/delete")
    assert question.status_code == 200
    assert "Ta bort iakttagelsen?" in question.text
    assert "Dörren till medicinförrådet stod olåst." in question.text
    assert 'name="confirmed" value="yes"' in question.text

    # A post without the confirming step (an old page, a double tap) asks again and removes nothing.
    again = browser.post(f"/findings/{finding.id}/delete")
    assert again.status_code == 200 and "Ta bort iakttagelsen?" in again.text
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 1

    done = browser.post(f"/findings/{finding.id}/delete", {"confirmed": "yes"})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 0
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_a_proposed_follow_up_is_named_instead_of_asked_for_again(people, make_follow_up, browser):
    serious = next(f for f in people.visit.findings if f.severity is not None)
    browser.login(people.lead)
    before = browser.get(f"/visits/{people.visit.id}").text
    assert "Saknar fortfarande förslag till uppföljning" in before
    assert f"finding={serious.id}" in before  # "Föreslå en uppföljning" for that deviation

    proposed = make_follow_up("proposed", finding=serious, visit=people.visit, title="Rutin för nattlarm")
    after = browser.get(f"/visits/{people.visit.id}").text
    assert "Saknar fortfarande förslag till uppföljning" not in after
    assert f"finding={serious.id}" not in after
    assert "väntar på att den andra parten godtar den" in after
    assert f"/{proposed.id}" in after and "Rutin för nattlarm" in after


def test_a_peer_who_picks_herself_as_lead_for_her_own_school_reads_jav_under_the_lead(
    browser, make_user, make_unit, make_template, db
):
    school = make_unit("Östra gymnasiet")
    template = make_template()
    peer = make_user("reviewer", "unit_member", units=[school], name="Karin Kollega")
    colleague = make_user("reviewer", name="Gustav Granskare")
    browser.login(peer)
    response = browser.post(
        "/visits/new",
        {
            "unit": str(school.id),
            "template": str(template.id),
            "purpose": "planned",
            "visit_date": "2026-12-01",
            "lead": str(peer.id),
            "team": [str(colleague.id)],
        },
    )
    assert response.status_code == 422
    assert "Jäv" in _error_of(response.text, "lead") and "Karin Kollega" in _error_of(response.text, "lead")
    assert "Jäv" not in _error_of(response.text, "team")
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_member_on_the_team_reads_jav_under_the_team(browser, make_user, make_unit, make_template):
    school = make_unit("Östra gymnasiet")
    peer = make_user("reviewer", "unit_member", units=[school], name="Karin Kollega")
    lead = make_user("reviewer", name="Gustav Granskare")
    browser.login(lead)
    response = browser.post(
        "/visits/new",
        {
            "unit": str(school.id),
            "template": str(make_template().id),
            "purpose": "planned",
            "visit_date": "2026-12-01",
            "lead": str(lead.id),
            "team": [str(peer.id)],
        },
    )
    assert response.status_code == 422
    assert "Karin Kollega" in _error_of(response.text, "team")
    assert "Jäv" not in _error_of(response.text, "lead")


def test_the_visit_form_has_one_field_called_syfte(browser, make_user):
    browser.login(make_user("reviewer"))
    page = browser.get("/visits/new").text
    labels = [
        re.sub(r"<[^>]+>|\s+", " ", label).strip() for label in re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
    ]
    assert len([label for label in labels if label.startswith("Syfte")]) == 1, labels
    assert "Typ av besök" in labels


def test_the_idle_dialog_has_a_polite_countdown(browser, make_user):
    browser.login(make_user("reviewer"))
    page = browser.get("/start").text
    assert "data-idle-clock" in page
    assert re.search(r'aria-live="polite" data-idle-announce', page)
    assert "Du loggas ut om {n} sekunder." in page


def test_swedish_says_godta_and_a_proposed_status_is_foreslagen(app):
    from babel.messages.pofile import read_po

    with open("app/translations/sv/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    words: Any = [m.string if isinstance(m.string, str) else " ".join(m.string) for m in catalog if m.id]
    assert not [w for w in words if re.search(r"\bgodkänn", w, re.I)], "accepting is “godta” (DESIGN.md 3)"
    assert catalog.get("Proposed").string == "Föreslagen"  # a status, not a past tense
