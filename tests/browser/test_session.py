"""Time limits in a real browser: the idle warning can be answered with the keyboard and really extends the
session (WCAG 2.2.1), and text typed into a finding survives a session that ran out in the meantime."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey
from tests.conftest import PASSWORD

# The warning opens IDLE_TIMEOUT - IDLE_WARNING seconds after the last page load, but never sooner than 5 s.
IDLE_TIMEOUT_MINUTES = 1
IDLE_WARNING_SECONDS = 56


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "IDLE_TIMEOUT_MINUTES": IDLE_TIMEOUT_MINUTES, "IDLE_WARNING_SECONDS": IDLE_WARNING_SECONDS}


def _session_row(db: Any, person: Any) -> Any:
    from sqlalchemy import select

    from app.auth.models import AuthSession

    db.session.expire_all()
    return db.session.scalars(
        select(AuthSession).where(AuthSession.user_id == person.id, AuthSession.ended_at.is_(None))
    ).one()


@pytest.mark.browser
def test_the_idle_warning_is_extended_with_the_keyboard(
    db: Any,
    open_journey: Callable[..., Journey],
    make_user: Callable[..., Any],
) -> None:
    from app.core.models import utcnow

    person = make_user("reviewer", name="Gustav Granskäre", email="gustav@example.se")
    journey = open_journey("idle-warning", "portrait")
    page = journey.page
    journey.log_in_by_keyboard(person.email)
    expect(page).to_have_url(re.compile(r"/start$"))
    start_url = page.url

    # Fifty quiet seconds later (the clock of the session, not of the test): ten seconds are left.
    row = _session_row(db, person)
    row.last_seen_at = utcnow() - timedelta(seconds=50)
    db.session.commit()

    dialog = page.locator("dialog#idle-warning")
    expect(dialog).to_be_visible(timeout=15_000)
    assert page.evaluate("() => !!document.activeElement.closest('dialog#idle-warning')"), (
        "the warning opened without moving the focus into it"
    )
    journey.step("warning shown")

    # A countdown for the eye, and a polite live region that is not rewritten every second.
    clock = dialog.locator("[data-idle-clock]")
    announce = dialog.locator("[data-idle-announce]")
    assert announce.get_attribute("aria-live") == "polite"
    expect(clock).to_have_text(re.compile(r"^0:[0-5]\d$"))
    first_clock, first_said = clock.text_content(), announce.text_content()
    assert re.search(r"\d+ sekunder", first_said or ""), first_said
    page.wait_for_timeout(1_300)
    assert clock.text_content() != first_clock, "the countdown does not count"
    assert announce.text_content() == first_said, "the live region speaks every second"

    with page.expect_response(lambda r: r.url.endswith("/session/extend")) as answer:
        page.keyboard.press("Enter")  # the focus is on "Continue"
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    assert page.url == start_url, "continuing reloaded the page (what was typed would be lost)"
    assert utcnow() - _session_row(db, person).last_seen_at < timedelta(seconds=10), "the session was not extended"

    # Still logged in: the next page opens without a login.
    page.reload()
    expect(page).to_have_url(start_url)
    expect(page.locator("h1")).to_contain_text(person.name)


@pytest.mark.browser
def test_a_finding_typed_before_the_session_ran_out_is_there_after_logging_in_again(
    db: Any,
    open_journey: Callable[..., Journey],
    make_user: Callable[..., Any],
    make_visit: Callable[..., Any],
) -> None:
    reviewer = make_user("reviewer", name="Gustav Granskäre", email="gustav@example.se")
    visit = make_visit("in_progress", lead=reviewer)
    journey = open_journey("draft-kept", "landscape")
    page = journey.page
    journey.log_in_by_touch(reviewer.email)
    site = f"/visits/{visit.id}/site"
    journey.goto(site)
    page.locator("input[name=kind][value=development]").tap()
    typed = "Genomförandeplanerna saknar de boendes egna ord."
    page.locator("#text").fill(typed)

    # The session ends on the server (idle timeout, or logged out elsewhere) while the text is still unsent.
    row = _session_row(db, reviewer)
    row.last_seen_at = row.last_seen_at - timedelta(minutes=IDLE_TIMEOUT_MINUTES + 1)
    db.session.commit()
    page.locator("form[action$='/findings'] button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    journey.step("logged out meanwhile")

    page.locator("#email").fill(reviewer.email)
    page.locator("#password").fill(PASSWORD)
    journey.tap("main form button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(site)))  # back where the text was typed
    expect(page.locator("#text")).to_have_value(typed)
    expect(page.locator("input[name=kind][value=development]")).to_be_checked()
    journey.step("draft restored")
