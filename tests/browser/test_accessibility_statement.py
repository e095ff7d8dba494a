"""The accessibility statement in a real browser on an iPad: reached from the footer of any page, free of axe
violations in Swedish and in English, and a barrier reported with the keyboard alone (no mail client needed),
thanked for in a status message; then a coordinator reads the report and marks it handled, also by keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey, translated

PROBLEM = "Jag kommer inte åt knappen Spara med tangentbordet när jag skriver en iakttagelse."


@pytest.mark.browser
@pytest.mark.parametrize(("orientation", "lang"), [("landscape", "sv"), ("portrait", "en")])
def test_a_barrier_is_reported_from_the_statement_with_the_keyboard_alone(
    orientation: str,
    lang: str,
    app: Any,
    db: Any,
    open_journey: Callable[..., Journey],
    make_user: Callable[..., Any],
) -> None:
    from sqlalchemy import select

    from app.main.models import AccessibilityReport

    coordinator = make_user("coordinator", name="Åsa Samordnare", email="asa@example.se", language=lang)

    def journey(name: str) -> Journey:
        return open_journey(name, orientation, f"{orientation}-{lang}")

    def text(message: str) -> str:
        return translated(app, lang, message)

    # ---- someone not logged in meets a barrier and reports it ----------------------------------------------
    visitor = journey("a11y-1-report")
    page = visitor.page
    visitor.goto(f"/login?lang={lang}")
    visitor.step("login page")
    visitor.activate("footer a", text("Accessibility statement"))
    expect(page).to_have_url(re.compile(r"/accessibility\?from=(/|%2F)login$"))
    expect(page.locator("h1")).to_have_text(text("Accessibility statement"))
    expect(page.locator("#page")).to_have_value("/login")
    visitor.step("statement")

    visitor.type_into("#description", PROBLEM)
    visitor.type_into("#contact_email", "anna@example.se")
    visitor.type_into("#contact_name", "Anna Andersson")
    visitor.activate("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accessibility#main$"))
    thanks = page.locator(".flashes [role=status]")
    expect(thanks).to_have_text(text("Thank you for telling us. We have received your report and will look into it."))
    expect(page.locator("#description")).to_have_value("")
    visitor.step("thanked")

    db.session.expire_all()
    report = db.session.scalar(select(AccessibilityReport))
    assert report is not None
    assert (report.description, report.page, report.contact_email, report.language) == (
        PROBLEM,
        "/login",
        "anna@example.se",
        lang,
    )

    # ---- the coordinator reads it from the start page and marks it handled (keyboard alone) ----------------
    asa = journey("a11y-2-coordinator")
    page = asa.page
    asa.log_in_by_keyboard(coordinator.email)
    expect(page).to_have_url(re.compile(r"/start$"))
    asa.step("start page")
    asa.activate("main a[href='/admin/accessibility-reports']")
    asa.step("open reports")
    asa.activate(f"main a[href='/admin/accessibility-reports/{report.id}']")
    expect(page.locator("main")).to_contain_text(PROBLEM)
    asa.step("one report")
    asa.type_into("#note", "Knappen nås nu med Tab; vi har svarat Anna.")
    asa.activate("main form button[type=submit]")
    expect(page.locator(".flashes [role=status]")).to_have_text(text("The report is marked as handled."))
    asa.step("handled")
