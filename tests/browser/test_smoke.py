"""Smoke test in a real browser: each role logs in through the login form on a tablet (an iPad, both
orientations, touch) and lands on its start page, which fits the screen without horizontal scrolling.

A full-page screenshot of every start page goes to test-artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, TEST_DB

# An iPad (CSS pixels) in both orientations.
VIEWPORTS = {
    "landscape": (1024, 768),
    "portrait": (768, 1024),
}

# A name with Swedish letters, so the page must get the encoding right too.
PEOPLE = {
    "coordinator": "Åsa Samordnare",
    "reviewer": "Gustav Granskäre",
    "unit_member": "Elin Öberg-Enhetschef",
}


@pytest.mark.browser
@pytest.mark.parametrize("orientation", list(VIEWPORTS))
@pytest.mark.parametrize("role", list(PEOPLE))
def test_role_logs_in_on_a_tablet_and_reaches_start_page(
    role: str,
    orientation: str,
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    school = make_unit("Östra gymnasiet")
    make_unit("Björkbackens äldreboende")
    name = PEOPLE[role]
    email = f"{role.replace('_', '-')}@example.se"
    make_user(role, name=name, email=email, units=[school] if role == "unit_member" else [])

    page = tablet_context(*VIEWPORTS[orientation]).new_page()
    page_errors: list[str] = []
    failed: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/start$"))  # on failure this shows where the login went instead

    expect(page.locator("h1")).to_contain_text(name)
    page.wait_for_load_state("load")
    # The stylesheet really applied (a page without its CSS would "fit" trivially), nothing failed to load.
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert not failed, f"requests that failed: {failed}"
    assert not page_errors, f"JavaScript errors: {page_errors}"

    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"horizontal scroll at {orientation}: {scroll_width}px > {inner_width}px"

    page.screenshot(path=screenshot_dir / f"start-{role}-{orientation}-{TEST_DB}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_login_and_start_pages_have_no_wcag_violations(
    lang: str,
    live_server_url: str,
    tablet_context: Callable[..., Any],
    check_accessibility: Callable[[Any, str], None],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    school = make_unit("Östra gymnasiet")
    for role in PEOPLE:
        make_user(role, name=PEOPLE[role], email=f"{role}-{lang}@example.se", units=[school], language=lang)
    page = tablet_context(*VIEWPORTS["landscape"]).new_page()
    page.goto(f"{live_server_url}/login?lang={lang}")
    check_accessibility(page, f"the login page ({lang})")
    for role in PEOPLE:
        page.goto(f"{live_server_url}/login?lang={lang}")
        page.locator("#email").fill(f"{role}-{lang}@example.se")
        page.locator("#password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/start$"))
        check_accessibility(page, f"the {role}'s start page ({lang})")
        page.locator("header form button[type=submit]").click()


@pytest.mark.browser
def test_the_accessibility_check_finds_a_violation(
    tablet_context: Callable[..., Any], check_accessibility: Callable[[Any, str], None]
) -> None:
    """The check above could pass by not running at all: here it must fail on a field without a label."""
    page = tablet_context(*VIEWPORTS["portrait"]).new_page()
    page.set_content('<html lang="sv"><head><title>t</title></head><body><main><input></main></body></html>')
    with pytest.raises(AssertionError, match="label"):
        check_accessibility(page, "a page with an unlabelled field")
