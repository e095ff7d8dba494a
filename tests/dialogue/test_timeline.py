"""Each visit and each unit shows its history from the audit trail to both parties, in plain sentences, leaving
out what the unit may not see: the team's working material before kommunicering, and internal notes."""

from __future__ import annotations

from app.core import audit
from app.visits import services as visit_services


def timeline_of(page: str) -> str:
    return page.split('id="timeline-heading"')[1]


def test_the_unit_reads_the_visits_history_in_plain_sentences(browser, make_visit, make_user, db):
    visit = make_visit("draft")
    lead = visit.lead
    db.session.info["audit_context"] = audit.AuditContext(actor_id=lead.id, via="web")
    visit_services.transition(visit.id, actor=lead, to="sent_for_comment")
    db.session.commit()
    db.session.info.pop("audit_context")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    visit_services.submit_response(visit.id, actor=member, overall="Vi instämmer.")
    db.session.commit()
    browser.login(member)

    history = timeline_of(browser.get(f"/visits/{visit.id}").text)

    assert "Lena Lead skickade rapportutkastet till enheten för synpunkter (kommunicering)." in history
    assert "lämnade enhetens yttrande över rapporten." in history
    assert "planerade besöket" in history


def test_the_unit_does_not_read_the_teams_working_material(browser, make_visit, make_user):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)

    history = timeline_of(browser.get(f"/visits/{visit.id}").text)

    assert "antecknade en iakttagelse" not in history
    assert "granskningsteamet" not in history
    assert "påbörjade besöket." in history  # the visit's own steps are both parties'


def test_the_team_reads_the_whole_history(browser, make_visit):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)
    history = timeline_of(browser.get(f"/visits/{visit.id}").text)
    assert "antecknade en iakttagelse: " in history
    assert f"lade till {visit.lead.name} i granskningsteamet som ansvarig granskare." in history


def test_the_units_history_names_the_case_of_each_event(browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(member, visit=visit, text="Fråga.")
    browser.login(member)

    history = timeline_of(browser.get(f"/units/{visit.unit_id}").text)

    assert "skrev ett meddelande för enhetens räkning." in history
    assert f'href="/visits/{visit.id}">{visit.case_number}</a>' in history
