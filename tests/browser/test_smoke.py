"""Smoke tests in a real browser: the login page and each role's start page pass axe's WCAG 2.0/2.1 A and AA
rules in both languages, and the check itself fails on a page with a violation. (Each role logging in by touch
at both tablet orientations is part of the journeys in test_journeys.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.journey import VIEWPORTS
from tests.conftest import PASSWORD

# A name with Swedish letters, so the page must get the encoding right too.
PEOPLE = {
    "coordinator": "Åsa Samordnare",
    "reviewer": "Gustav Granskäre",
    "unit_member": "Elin Öberg-Enhetschef",
}


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
