"""The report: HTML and PDF from one body, DRAFT mark, the final PDF stored once and served byte-identical."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_pdf_holds_the_case_number_the_unit_and_every_finding(browser, make_visit, make_unit):
    unit = make_unit("Björkbackens äldreboende")
    visit = make_visit(
        "draft",
        unit=unit,
        findings=(
            ("deviation", "serious", "Larmen besvarades sent nattetid."),
            ("strength", None, "Personalen känner de boendes vanor."),
            ("development", None, "Riskbedömningar följs inte upp."),
        ),
    )
    browser.login(visit.lead)
    response = browser.get(f"/visits/{visit.id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = " ".join(_pdf_text(response.data).split())
    assert visit.case_number in text
    assert "Björkbackens äldreboende" in text
    for finding in visit.findings:
        assert finding.text in text
    # learning-oriented: strengths come first within the area
    assert text.index("Personalen känner") < text.index("Riskbedömningar följs") < text.index("Larmen besvarades")


def test_the_pdf_is_tagged_for_screen_readers_as_pdf_ua(browser, make_visit):
    """The accessibility statement does not list the report's PDF as inaccessible because of this (WCAG 1.3.1)."""
    visit = make_visit("draft", findings=(("strength", None, "Personalen känner de boendes vanor."),))
    browser.login(visit.lead)
    pdf = PdfReader(io.BytesIO(browser.get(f"/visits/{visit.id}/report.pdf").data))
    catalog = pdf.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "sv"
    assert b"pdfuaid" in catalog["/Metadata"].get_object().get_data()


def test_a_draft_carries_a_visible_draft_mark(browser, make_visit):
    visit = make_visit("draft")
    browser.login(visit.lead)
    assert "UTKAST" in browser.get(f"/visits/{visit.id}/report").text
    assert "UTKAST" in _pdf_text(browser.get(f"/visits/{visit.id}/report.pdf").data)


def test_the_final_pdf_is_stored_once_and_served_byte_identical(browser, make_visit, db):
    from app.visits import report

    visit = make_visit("final")
    browser.login(visit.lead)
    first = browser.get(f"/visits/{visit.id}/report.pdf")
    second = browser.get(f"/visits/{visit.id}/report.pdf")
    assert first.data == second.data
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["X-Report-SHA256"] == digest
    assert "UTKAST" not in _pdf_text(first.data)
    assert digest in browser.get(f"/visits/{visit.id}/report").text
    stored = report.stored_report(visit)
    assert report.store_final_report(visit).pdf == stored.pdf
    assert stored.sha256 == digest


def test_unit_sees_the_report_only_from_kommunicering_on(browser, make_visit, make_user, db):
    from datetime import date, timedelta

    from app.core import access
    from app.visits import services

    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    assert browser.get(f"/visits/{visit.id}/report").status_code == 404
    assert browser.get(f"/visits/{visit.id}/report.pdf").status_code == 404
    services.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=5)
    )
    db.session.commit()
    assert browser.get(f"/visits/{visit.id}/report").status_code == 200
    assert browser.get(f"/visits/{visit.id}/report.pdf").status_code == 200


def test_another_units_member_never_sees_the_report(browser, make_visit, make_user, make_unit):
    visit = make_visit("final")
    browser.login(make_user("unit_member", units=[make_unit()]))
    assert browser.get(f"/visits/{visit.id}/report").status_code == 404
    assert browser.get(f"/visits/{visit.id}/report.pdf").status_code == 404


def test_the_units_responses_and_photos_are_in_the_report(browser, make_visit, make_user, db):
    from PIL import Image

    from app.visits import evidence, services

    visit = make_visit("draft")
    photo = io.BytesIO()
    Image.new("RGB", (200, 150), "orange").save(photo, format="JPEG")
    evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="larm.jpg", data=photo.getvalue())
    db.session.commit()
    from datetime import date, timedelta

    from app.core import access

    services.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=5)
    )
    member = make_user("unit_member", units=[visit.unit])
    services.submit_response(
        visit.id,
        actor=member,
        overall="Vi tackar för granskningen.",
        answers=[services.FindingAnswer(visit.findings[0].id, "partly", "Vi ser över rutinen.")],
    )
    db.session.commit()
    browser.login(visit.lead)
    html = browser.get(f"/visits/{visit.id}/report").text
    assert "Vi ser över rutinen." in html and "Vi tackar för granskningen." in html
    assert f"/evidence/{visit.findings[0].evidence[0].id}/thumb" in html
    body = browser.get(f"/visits/{visit.id}/report.pdf").data
    text = " ".join(_pdf_text(body).split())
    assert "Vi ser över rutinen." in text
    images = [
        obj
        for page in PdfReader(io.BytesIO(body)).pages
        for obj in (page["/Resources"].get("/XObject") or {}).values()
        if obj.get_object().get("/Subtype") == "/Image"
    ]
    assert images, "the photo is embedded in the PDF"
