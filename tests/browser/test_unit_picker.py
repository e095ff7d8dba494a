"""The person form's unit picker (issue 16) in a real browser, by keyboard only: Tab to the search field, type,
ArrowDown into the list, Space ticks, the chosen unit stays first; axe finds nothing; a screenshot for a person
to look at (test-artifacts/screenshots/unit-picker-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, TEST_DB


@pytest.mark.browser
def test_the_unit_picker_works_by_keyboard_and_has_no_axe_violations(
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    check_accessibility: Callable[[Any, str], None],
    db: Any,
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    from app.units.models import Unit

    for i in range(205):
        db.session.add(Unit(name=f"Enhet {i:03d}"))
    db.session.commit()
    make_unit("Åby förskola")
    make_unit("Åby skola")
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="samordnare@example.se")

    page = tablet_context(1024, 768).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/start$"))

    page.goto(f"{live_server_url}/people/new")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 3000, f"the form is {height} pixels high"
    expect(page.locator("[data-unit-search-button]")).to_be_hidden()  # the list follows the field instead
    page.locator("#name").fill("Nils Nilsson")
    page.locator("#email").fill("nils@example.se")
    page.locator("#email").focus()
    for _ in range(12):  # by keyboard from the e-mail field to the unit search
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "unit_q":
            break
    assert page.evaluate("() => document.activeElement.id") == "unit_q"
    page.keyboard.type("åby")
    expect(page.locator("#unit-options li")).to_have_count(2)
    expect(page.locator("[data-unit-status]")).to_contain_text("2")
    page.keyboard.press("Enter")  # searches; never submits the form
    expect(page).to_have_url(re.compile(r"/people/new$"))
    page.wait_for_load_state("networkidle")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert (
        page.evaluate("() => document.activeElement.labels[0].textContent") == "Åby skola"
    )  # the second, in either database's order
    page.keyboard.press("Space")
    page.locator("#unit_q").fill("Enhet 20")
    expect(page.locator("#unit-options li")).to_have_count(6)  # the chosen one first, then Enhet 200–204
    expect(page.locator("#unit-options li").first).to_contain_text("Åby skola")
    expect(page.locator("#unit-options li").first.locator("input")).to_be_checked()
    page.locator("#unit-options li").first.locator("input").focus()
    check_accessibility(page, "the person form's unit picker")
    page.screenshot(path=str(screenshot_dir / f"unit-picker-{TEST_DB}.png"), full_page=True)
    assert not errors, errors

    page.locator("#roles-2").check()  # unit member
    page.locator("main form button.button[type=submit]:not([name])").click()
    expect(page.locator("h1")).to_have_text("Nils Nilsson")
    person_page = page.content()
    assert "Åby skola" in person_page and "Åby förskola" not in person_page


@pytest.mark.browser
def test_the_lists_and_the_import_preview_have_no_axe_violations(
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    check_accessibility: Callable[[Any, str], None],
    tmp_path: Path,
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    make_unit("Åby skola", owner="Åby kommun")
    make_user("unit_member", units=[make_unit("Eken", owner="Byns AB")], name="Örjan Öst")
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="samordnare@example.se")
    page = tablet_context(1024, 768).new_page()
    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/start$"))

    for name, path in (("follow-ups", "/follow-ups?status=all&sort=unit"), ("people", "/people?owner=Byns+AB")):
        page.goto(f"{live_server_url}{path}")
        check_accessibility(page, f"the {name} list")
        page.screenshot(path=str(screenshot_dir / f"list-{name}-{TEST_DB}.png"), full_page=True)

    csv_file = tmp_path / "personer.csv"
    csv_file.write_text("email;name;role;units\nny@aby.se;Nora Ny;unit_member;Åby skola\nfel;;boss;\n", "utf-8")
    page.goto(f"{live_server_url}/people/import")
    check_accessibility(page, "the people import")
    page.locator("#file").set_input_files(str(csv_file))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("Rad 3, email")
    check_accessibility(page, "the import's errors")
    csv_file.write_text("email;name;role;units\nny@aby.se;Nora Ny;unit_member;Åby skola\n", "utf-8")
    page.locator("#file").set_input_files(str(csv_file))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".import-preview")).to_contain_text("Nora Ny <ny@aby.se>")
    check_accessibility(page, "the import's preview")
    page.screenshot(path=str(screenshot_dir / f"import-preview-{TEST_DB}.png"), full_page=True)
    page.locator(".import-preview button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator("main")).to_contain_text("Nora Ny")
