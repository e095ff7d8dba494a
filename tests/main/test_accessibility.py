"""The accessibility statement (DIGG's model) and its form for reporting a barrier: the page in both languages,
logged in and out; a report stored, audited and announced by e-mail without its text; input refused with what was
typed kept; ``from`` only as a path of this site; the coordinators' list and handling; rate limiting."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from app.core.models import AuditEvent
from app.main.models import AccessibilityReport

DIGG_REPORT_PAGE = (
    "https://www.digg.se/analys-och-uppfoljning/lagen-om-tillganglighet-till-digital-offentlig-service-dos-lagen/"
    "anmal-bristande-tillganglighet"
)
CLOCK = time_machine.travel("2026-12-01 10:00:00+01:00", tick=False)
DESCRIPTION = "Knappen Spara går inte att nå med tangentbordet på sidan för iakttagelser."


@pytest.fixture(autouse=True)
def _frozen():
    with CLOCK:
        yield


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def send_report(browser, **fields):
    data = {"description": DESCRIPTION, "page": "", "contact_email": "", "contact_name": "", **fields}
    return browser.post("/accessibility", data)


def mails(enqueued) -> list[dict]:
    return [{"to": e.recipient, "subject": e.subject, "text": e.text, "html": e.html} for e in enqueued.emails()]


# ---- the statement ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "sv",
            [
                "<h1>Tillgänglighetsredogörelse</h1>",
                "Hur tillgänglig är tjänsten?",
                "delvis förenlig",
                "Vad kan du göra om du inte kan använda delar av tjänsten?",
                "Vi svarar inom 5 arbetsdagar.",
                "Tillsyn",
                "Myndigheten för digital förvaltning",
                "Innehåll som inte är tillgängligt",
                "WCAG 1.1.1",
                "Hur vi har testat tjänsten",
                "27 november 2026",
            ],
        ),
        (
            "en",
            [
                "<h1>Accessibility statement</h1>",
                "How accessible is the service?",
                "partly compliant",
                "What can you do if you cannot use parts of the service?",
                "We answer within 5 working days.",
                "Supervision",
                "Myndigheten för digital förvaltning",
                "Content that is not accessible",
                "WCAG 1.1.1",
                "How we tested the service",
                "November 27, 2026",
            ],
        ),
    ],
)
def test_the_statement_follows_diggs_model_in_both_languages(client, lang, expected):
    response = client.get(f"/accessibility?lang={lang}")
    assert response.status_code == 200
    page = text_of(response)
    for part in expected:
        assert part in page, part
    assert f'href="{DIGG_REPORT_PAGE}"' in page
    assert "EN 301 549" in page and "(WCAG) 2.1" in page
    headings = re.findall(r"<h([1-6])", page)
    assert headings.count("1") == 1 and "2" in headings


def test_the_statement_names_the_configured_organisation_and_contacts(app, client):
    app.config.update(
        ORGANISATION_NAME="Inspektionen för vård och omsorg i Exempelstad",
        ACCESSIBILITY_CONTACT_EMAIL="tillganglighet@exempelstad.se",
        ACCESSIBILITY_CONTACT_PHONE="08-123 456 78",
        ACCESSIBILITY_ASSESSED_ON="2026-10-05",
    )
    page = text_of(client.get("/accessibility?lang=sv"))
    assert "Inspektionen för vård och omsorg i Exempelstad står bakom tjänsten Lärande tillsyn." in page
    assert 'href="mailto:tillganglighet@exempelstad.se"' in page
    assert 'href="tel:0812345678"' in page
    assert "5 oktober 2026" in page


def test_without_configuration_the_statement_speaks_of_the_supervising_body_and_has_no_contact(client):
    page = text_of(client.get("/accessibility?lang=en"))
    assert "The supervising body that runs this installation of Lärande tillsyn" in page
    assert "mailto:" not in page and "tel:" not in page


def test_the_statement_works_logged_in_and_prefills_who_reports(browser, make_user):
    person = make_user("unit_member", name="Elin Enhet", email="elin@example.se")
    browser.login(person)
    page = text_of(browser.get("/accessibility"))
    assert "<h1>Tillgänglighetsredogörelse</h1>" in page
    assert re.search(r'id="contact_email"[^>]*value="elin@example.se"', page)
    assert re.search(r'id="contact_name"[^>]*value="Elin Enhet"', page)


def test_the_footer_link_tells_the_statement_which_page_the_person_was_on(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/accessibility?from=/login"' in page
    statement = client.get("/accessibility?from=%2Flogin").get_data(as_text=True)
    assert re.search(r'id="page"[^>]*value="/login"', statement)


def test_a_set_password_link_never_reaches_the_statement_with_its_token(client):
    page = client.get("/set-password/a-secret-token").get_data(as_text=True)
    assert "a-secret-token" not in re.search(r'href="(/accessibility[^"]*)"', page).group(1)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "visits"],
)
def test_from_accepts_only_paths_of_this_site(client, target):
    page = client.get("/accessibility", query_string={"from": target}).get_data(as_text=True)
    field = re.search(r'<input[^>]*id="page"[^>]*>', page).group(0)
    assert "value=" not in field or 'value=""' in field
    assert "evil" not in field


# ---- sending a report ----------------------------------------------------------------------------------------


def test_a_report_is_stored_audited_and_thanked_for_without_logging_in(browser, db, make_user, enqueued):
    response = send_report(browser, page="/visits", contact_email=" Anna@Example.SE ", contact_name="Anna Andersson")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accessibility#main")
    thanks = text_of(browser.get("/accessibility"))
    assert re.search(r'role="status">Tack för att du hörde av dig', thanks)

    report = db.session.scalar(select(AccessibilityReport))
    assert report.description == DESCRIPTION
    assert (report.page, report.contact_email, report.contact_name) == ("/visits", "anna@example.se", "Anna Andersson")
    assert report.language == "sv" and report.reporter_id is None and report.handled_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "accessibility_report"))
    assert event.action == "create" and event.object_id == str(report.id)
    assert event.changes["description"] == [None, "***"]  # the trail keeps that it was written, not what
    assert event.changes["page"] == [None, "/visits"]


def test_a_logged_in_reporter_is_recorded(browser, db, make_user, enqueued):
    person = make_user("reviewer")
    browser.login(person)
    send_report(browser, contact_email=person.email)
    report = db.session.scalar(select(AccessibilityReport))
    assert report.reporter_id == person.id
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.object_type == "accessibility_report")) == (
        person.id
    )


def test_the_coordinators_get_an_email_with_a_link_and_not_the_text(browser, db, make_user, enqueued):
    first = make_user("coordinator", email="a-samordnare@example.se", name="Siv Samordnare", language="sv")
    second = make_user("coordinator", "reviewer", email="b-coord@example.se", name="Carl Coordinator", language="en")
    make_user("coordinator", email="c-gone@example.se", is_active_account=False)
    make_user("reviewer", email="d-reviewer@example.se")
    send_report(browser, contact_email="anna@example.se", contact_name="Anna Andersson", page="/visits")
    report = db.session.scalar(select(AccessibilityReport))
    sent = mails(enqueued)
    assert [m["to"] for m in sent] == [first.email, second.email]
    assert sent[0]["subject"] == "Någon har rapporterat ett tillgänglighetsproblem i Lärande tillsyn"
    assert sent[1]["subject"] == "Someone has reported an accessibility problem in Lärande tillsyn"
    for message in sent:
        assert f"http://localhost/admin/accessibility-reports/{report.id}" in message["text"]
        for secret in (DESCRIPTION, "Knappen", "anna@example.se", "Anna Andersson", "/visits"):
            assert secret not in message["text"] and secret not in message["html"] and secret not in message["subject"]


def test_a_configured_contact_address_gets_the_email_instead_of_the_coordinators(app, browser, make_user, enqueued):
    make_user("coordinator", email="samordnare@example.se")
    app.config["ACCESSIBILITY_CONTACT_EMAIL"] = "tillganglighet@exempelstad.se"
    send_report(browser)
    sent = mails(enqueued)
    assert [m["to"] for m in sent] == ["tillganglighet@exempelstad.se"]
    assert DESCRIPTION not in sent[0]["text"]


def test_no_email_is_queued_when_the_report_is_refused(browser, make_user, enqueued):
    make_user("coordinator")
    send_report(browser, description="")
    assert mails(enqueued) == []


def test_an_empty_description_is_refused_with_the_fields_message_and_the_rest_kept(browser, db):
    response = send_report(
        browser, description="   ", page="Sidan med besöken", contact_email="anna@example.se", contact_name="Anna"
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Vad fungerade inte?: Beskriv vad som inte fungerade." in page  # the error summary names the field
    assert 'aria-invalid="true"' in page
    assert re.search(r'id="page"[^>]*value="Sidan med besöken"', page)
    assert re.search(r'id="contact_email"[^>]*value="anna@example.se"', page)
    assert re.search(r'id="contact_name"[^>]*value="Anna"', page)
    assert db.session.scalar(select(AccessibilityReport)) is None


def test_an_invalid_email_address_is_refused_and_the_description_kept(browser, db):
    response = send_report(browser, contact_email="inte en adress", description="Texten är för liten.\nOch grå.")
    assert response.status_code == 422
    page = text_of(response)
    assert "Ange en giltig e-postadress" in page
    assert "Texten är för liten.\nOch grå.</textarea>" in page
    assert db.session.scalar(select(AccessibilityReport)) is None


def test_a_too_long_description_is_refused_in_english_too(browser):
    browser.get("/accessibility?lang=en")
    response = send_report(browser, description="x" * 5001)
    assert response.status_code == 422
    assert "What did not work?: Write at most 5000 characters about what did not work." in text_of(response)


def test_a_report_without_the_csrf_token_is_refused(client, db):
    response = client.post("/accessibility", data={"description": DESCRIPTION})
    assert response.status_code == 400
    assert db.session.scalar(select(AccessibilityReport)) is None


def test_reports_are_rate_limited(app, browser, db, enqueued):
    app.config["ACCESSIBILITY_REPORT_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert send_report(browser).status_code == 302
    assert send_report(browser).status_code == 429
    assert browser.get("/accessibility").status_code == 200  # reading the statement is never limited
    assert len(db.session.scalars(select(AccessibilityReport)).all()) == 3


# ---- the coordinators' pages ---------------------------------------------------------------------------------


@pytest.fixture
def reports(db):
    from datetime import UTC, datetime, timedelta

    def make(count: int, *, handled: int = 0) -> list[AccessibilityReport]:
        start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        made = []
        for n in range(count):
            report = AccessibilityReport(
                description=f"Problem {n}", page=f"/visits?n={n}", language="sv", received_at=start + timedelta(hours=n)
            )
            if n < handled:
                report.mark_handled(by_id=None, note="Åtgärdat.")
            db.session.add(report)
            made.append(report)
        db.session.commit()
        return made

    return make


def test_the_coordinator_lists_open_reports_newest_first(browser, make_user, reports):
    made = reports(4, handled=1)
    browser.login(make_user("coordinator"))
    page = text_of(browser.get("/admin/accessibility-reports"))
    order = [m for m in re.findall(r"/admin/accessibility-reports/([0-9a-f-]{36})", page)]
    assert order == [str(made[3].id), str(made[2].id), str(made[1].id)]
    handled = text_of(browser.get("/admin/accessibility-reports?status=handled"))
    assert re.findall(r"/admin/accessibility-reports/([0-9a-f-]{36})", handled) == [str(made[0].id)]
    everything = text_of(browser.get("/admin/accessibility-reports?status=all"))
    assert re.findall(r"/admin/accessibility-reports/([0-9a-f-]{36})", everything)[-1] == str(made[0].id)


def test_the_list_is_paginated_with_constant_queries(count_queries, app, browser, make_user, reports):

    browser.login(make_user("coordinator"))
    reports(2, handled=2)
    with count_queries() as few:
        assert browser.get("/admin/accessibility-reports?status=all").status_code == 200
    reports(30, handled=20)
    with count_queries() as many:
        page = text_of(browser.get("/admin/accessibility-reports?status=all"))
    assert many.count == few.count
    assert "Sida 1 av 2" in page
    assert len(re.findall(r"/admin/accessibility-reports/[0-9a-f-]{36}", page)) == 25


def test_the_coordinators_start_page_counts_the_open_reports(browser, make_user, reports):
    reports(3, handled=1)
    browser.login(make_user("coordinator"))
    page = text_of(browser.get("/start"))
    assert "Rapporter om tillgänglighetsproblem <strong>(2 öppna)</strong>" in page


def test_a_coordinator_reads_a_report_and_marks_it_handled(browser, db, make_user, enqueued):
    coordinator = make_user("coordinator", name="Siv Samordnare")
    send_report(browser, contact_email="anna@example.se", contact_name="Anna Andersson", page="/visits")
    report = db.session.scalar(select(AccessibilityReport))
    browser.login(coordinator)
    page = text_of(browser.get(f"/admin/accessibility-reports/{report.id}"))
    assert DESCRIPTION in page and "Anna Andersson" in page and 'href="mailto:anna@example.se"' in page
    assert '<a href="/visits">/visits</a>' in page

    refused = browser.post(f"/admin/accessibility-reports/{report.id}", {"note": " "})
    assert refused.status_code == 422
    assert "Skriv vad som gjordes eller svarades." in text_of(refused)

    done = browser.post(f"/admin/accessibility-reports/{report.id}", {"note": "Knappen är rättad; svar skickat."})
    assert done.status_code == 302
    db.session.expire_all()
    report = db.session.get(AccessibilityReport, report.id)
    assert report.handled_by_id == coordinator.id and report.handled_note == "Knappen är rättad; svar skickat."
    assert report.handled_at is not None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "accessibility_report", AuditEvent.action == "update")
    )
    assert event.actor_id == coordinator.id and "handled_note" in event.changes
    shown = text_of(browser.get(f"/admin/accessibility-reports/{report.id}"))
    assert "Knappen är rättad; svar skickat." in shown and "Markera som hanterad</button>" not in shown

    again = browser.post(f"/admin/accessibility-reports/{report.id}", {"note": "En gång till."})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(AccessibilityReport, report.id).handled_note == "Knappen är rättad; svar skickat."


def test_a_page_given_as_free_text_is_not_a_link(browser, db, make_user, enqueued):
    send_report(browser, page="https://evil.example/")
    report = db.session.scalar(select(AccessibilityReport))
    browser.login(make_user("coordinator"))
    page = text_of(browser.get(f"/admin/accessibility-reports/{report.id}"))
    assert 'href="https://evil.example/"' not in page and "https://evil.example/" in page


@pytest.mark.parametrize("roles", [("reviewer",), ("unit_member",)])
def test_only_coordinators_see_or_handle_reports(browser, db, make_user, make_unit, reports, roles):
    report = reports(1)[0]
    units = [make_unit()] if "unit_member" in roles else []
    browser.login(make_user(*roles, units=units))
    assert browser.get("/admin/accessibility-reports").status_code == 403
    assert browser.get(f"/admin/accessibility-reports/{report.id}").status_code == 403
    assert browser.post(f"/admin/accessibility-reports/{report.id}", {"note": "Klart."}).status_code == 403
    db.session.expire_all()
    assert db.session.get(AccessibilityReport, report.id).handled_at is None


def test_reports_need_a_login(client, reports):
    report = reports(1)[0]
    assert client.get("/admin/accessibility-reports").status_code == 302
    assert client.get(f"/admin/accessibility-reports/{report.id}").status_code == 302


def test_an_unknown_report_is_a_404(browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.get(f"/admin/accessibility-reports/{uuid.uuid4()}").status_code == 404
