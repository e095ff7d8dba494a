"""The gates follow-ups put on a visit (DESIGN.md 4.1, 4.4): a serious deviation needs an agreed follow-up
before the report is final, and a visit closes only when all its follow-ups are verified or cancelled; the
report lists the agreed follow-ups."""

from __future__ import annotations

import io

import pytest

from app.core import access
from app.core.errors import DomainError
from app.followups import services
from app.visits import services as visit_services
from app.visits.models import VisitStatus
from tests.fixtures_followups import DEVELOPMENT, SERIOUS

WAIVER = "Enheten har meddelat skriftligt att den avstår från att yttra sig."


def finalise(db, visit):
    visit_services.transition(visit.id, actor=access.OPERATOR, to=VisitStatus.final, waiver_reason=WAIVER)
    db.session.commit()


def close(db, visit):
    visit_services.transition(visit.id, actor=access.OPERATOR, to=VisitStatus.closed)
    db.session.commit()


def serious(visit):
    return next(f for f in visit.findings if f.severity and f.severity.value == "serious")


# ---- final ----------------------------------------------------------------------------------------------


def test_a_serious_deviation_without_an_agreed_follow_up_blocks_final(people, db):
    with pytest.raises(DomainError) as refused:
        finalise(db, people.visit)
    assert "Två larm nattetid" in refused.value.message  # the deviation is named
    db.session.rollback()
    assert people.visit.status == VisitStatus.sent_for_comment


@pytest.mark.parametrize("status", ["proposed", "cancelled"])
def test_a_proposed_or_cancelled_follow_up_does_not_count(people, make_follow_up, db, status):
    make_follow_up(status, finding=serious(people.visit))
    with pytest.raises(DomainError):
        finalise(db, people.visit)


@pytest.mark.parametrize("status", ["agreed", "done_reported", "verified"])
def test_an_agreed_follow_up_for_the_deviation_lets_the_report_become_final(people, make_follow_up, db, status):
    make_follow_up(status, finding=serious(people.visit))
    finalise(db, people.visit)
    assert people.visit.status == VisitStatus.final


def test_a_follow_up_of_the_visit_not_tied_to_the_deviation_does_not_count(people, make_follow_up, db):
    make_follow_up("agreed", visit=people.visit)
    development = next(f for f in people.visit.findings if f.kind.value == "development")
    make_follow_up("agreed", finding=development)
    with pytest.raises(DomainError):
        finalise(db, people.visit)


def test_every_serious_deviation_needs_its_own_agreed_follow_up(people, make_visit, make_follow_up, db):
    second = ("deviation", "serious", "Läkemedelsskåpet stod olåst.")
    visit = make_visit("sent_for_comment", unit=people.unit, lead=people.lead, findings=(SERIOUS, second))
    first = visit.findings[0]
    make_follow_up("agreed", finding=first)
    with pytest.raises(DomainError) as refused:
        finalise(db, visit)
    assert "Läkemedelsskåpet" in refused.value.message
    assert "Två larm" not in refused.value.message


def test_a_visit_without_serious_deviations_becomes_final_without_follow_ups(people, make_visit, db):
    visit = make_visit("sent_for_comment", unit=people.unit, lead=people.lead, findings=(DEVELOPMENT,))
    finalise(db, visit)
    assert visit.status == VisitStatus.final


def test_the_visit_page_says_why_final_is_refused(people, browser, db):
    browser.login(people.lead)
    response = browser.post(f"/visits/{people.visit.id}/transition", {"to": "final", "waiver_reason": WAIVER})
    assert response.status_code == 409
    assert "Kom överens med enheten om en uppföljning för" in response.text
    assert "Föreslå en uppföljning" in response.text  # the way forward is on the page


# ---- closed ---------------------------------------------------------------------------------------------


@pytest.fixture
def final_visit(people, make_follow_up, db):
    follow_up = make_follow_up("agreed", finding=serious(people.visit))
    finalise(db, people.visit)
    return people.visit, follow_up


def test_an_open_follow_up_blocks_closing(final_visit, db):
    visit, _follow_up = final_visit
    with pytest.raises(DomainError) as refused:
        close(db, visit)
    assert refused.value.message == (
        "Ett granskningsbesök kan avslutas först när alla dess uppföljningar är verifierade eller avbrutna."
    )


@pytest.mark.parametrize("status", ["proposed", "done_reported"])
def test_a_proposed_or_reported_done_follow_up_blocks_closing(final_visit, make_follow_up, people, db, status):
    visit, follow_up = final_visit
    services.report_done(follow_up.id, actor=people.owner, description="Klart.")
    services.verify(follow_up.id, actor=people.lead, note="Kontrollerat i larmloggen.")
    db.session.commit()
    make_follow_up(status, visit=visit)
    with pytest.raises(DomainError):
        close(db, visit)


def test_a_visit_closes_when_every_follow_up_is_verified_or_cancelled(final_visit, make_follow_up, people, db):
    visit, follow_up = final_visit
    other = make_follow_up("agreed", visit=visit)
    services.report_done(follow_up.id, actor=people.owner, description="Klart.")
    services.verify(follow_up.id, actor=people.lead, note="Kontrollerat i larmloggen.")
    services.cancel(other.id, actor=people.lead, reason="Ingår i den första åtgärden.")
    db.session.commit()
    close(db, visit)
    assert visit.status == VisitStatus.closed


# ---- the visit page and the report ----------------------------------------------------------------------


def test_the_visit_page_lists_its_follow_ups_and_the_deviation_still_without_one(people, make_follow_up, browser):
    make_follow_up("proposed", visit=people.visit, title="Kompetensplan för nattpersonal")
    browser.login(people.lead)
    page = browser.get(f"/visits/{people.visit.id}").text
    assert "Kompetensplan för nattpersonal" in page
    assert "Saknar fortfarande förslag till uppföljning" in page
    assert f"/units/{people.unit.id}/follow-ups/new?finding={serious(people.visit).id}" in page


def test_the_report_lists_the_agreed_follow_ups_only(people, make_follow_up, browser):
    make_follow_up("agreed", finding=serious(people.visit), title="Rutin för nattlarm")
    make_follow_up("proposed", visit=people.visit, title="Bara ett förslag")
    browser.login(people.owner)
    page = browser.get(f"/visits/{people.visit.id}/report").text
    assert "Agreed follow-ups" in page  # in the reader's language (English)
    assert "Rutin för nattlarm" in page
    assert "Bara ett förslag" not in page


def test_the_stored_final_report_pdf_lists_the_agreed_follow_up(final_visit, db):
    from pypdf import PdfReader

    from app.visits.report import stored_report

    visit, _follow_up = final_visit
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(stored_report(visit).pdf)).pages)
    assert "Rutin för nattlarm" in " ".join(text.split())
