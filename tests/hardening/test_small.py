"""The small items of issue 13 (points 8 and 10): 405 with Allow, the language link after a form error, the OpenAPI
type of thumbnail_url, control characters out of the ICS feed, a long word wraps in the report PDF."""

from __future__ import annotations

import io

from flask import render_template_string
from pypdf import PdfReader


def test_a_405_page_names_the_allowed_methods(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_a_405_in_the_api_names_the_allowed_methods(client, make_user, api_token):
    response = client.get("/api/v1/sync", headers=api_token(make_user("reviewer")))
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_the_language_link_after_a_refused_post_only_form_points_at_the_form_page(app):
    with app.test_request_context("/logout", method="POST", headers={"Referer": "http://localhost/profile?x=1"}):
        assert render_template_string("{{ lang_url('en') }}") == "/profile?lang=en"


def test_the_language_link_of_a_get_page_keeps_its_query(app):
    with app.test_request_context("/units?q=%C3%85by&page=2"):
        assert render_template_string("{{ lang_url('en') }}") == "/units?q=%C3%85by&amp;page=2&amp;lang=en"


def test_thumbnail_url_is_a_nullable_string_in_openapi(client):
    document = client.get("/api/v1/openapi.json").json
    schema = next(s for name, s in document["components"]["schemas"].items() if "thumbnail_url" in s["properties"])
    assert schema["properties"]["thumbnail_url"]["type"] == ["string", "null"]


def test_control_characters_never_reach_the_calendar_feed():
    from app.followups.calendar import escape_text

    assert escape_text("Rutin\x0bför\x1blarm\x7f\x85, klar") == "Rutin för larm  \\, klar"


def test_a_line_break_in_a_calendar_text_is_escaped_not_dropped():
    from app.followups.calendar import escape_text

    assert escape_text("rad ett\r\nrad två\tflik") == "rad ett\\nrad två\tflik"


def test_a_long_word_wraps_inside_the_report_pdf(browser, make_visit):
    word = "Kvalitetsledningssystem" + "a" * 140  # 163 letters without a place to break
    visit = make_visit("draft", findings=(("strength", None, f"Se {word} för rutinen."),))
    browser.login(visit.lead)
    body = browser.get(f"/visits/{visit.id}/report.pdf").data
    lines = [line for page in PdfReader(io.BytesIO(body)).pages for line in page.extract_text().splitlines()]
    assert any("Kvalitetsledningssystem" in line for line in lines)
    assert not any(word in line for line in lines)  # never all on one line, running off the page
