"""The trust pages in a real browser on a tablet: the unit page with its charts, the boundaries page and the
overview load without errors and fit the screen; a screenshot of each goes to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.journey import VIEWPORTS
from tests.conftest import PASSWORD, TEST_DB


@pytest.mark.browser
@pytest.mark.parametrize("orientation", list(VIEWPORTS))
def test_trust_pages_fit_a_tablet_and_load_without_errors(
    orientation: str,
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    db: Any,
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_indicator: Callable[..., Any],
    make_boundary: Callable[..., Any],
    make_visit: Callable[..., Any],
    report: Callable[..., Any],
    enqueued: Any,
) -> None:
    from app.trust import services

    unit = make_unit("Björkbackens äldreboende")
    make_visit("planned", unit=unit)
    larm = make_indicator("larm")
    fall = make_indicator("fall", name_sv="Antal fall per 1000 vårddygn", unit_of_measure="per 1000 vårddygn")
    make_boundary(unit, indicator=larm, periods=3)
    make_boundary(unit, indicator=fall, comparator=">", threshold=9, periods=2)
    values = [94.1, 95.0, 93.2, 92.8, 94.6, 96.0, 93.9, 91.7, 92.4, 90.8, 91.2, 88.6, 86.5, 84.9]
    report(unit, larm, {f"{2028 + (i + 6) // 12}-{(i + 6) % 12 + 1:02d}": v for i, v in enumerate(values)})
    report(unit, fall, {f"{2028 + (i + 6) // 12}-{(i + 6) % 12 + 1:02d}": 5 + i % 4 for i in range(14)})
    services.propose_boundary(
        unit.id, actor=make_user("reviewer"), kind="overdue_follow_up", days=30, rationale="Det vi lovar ska göras."
    )
    db.session.commit()
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="samordnare@example.se")

    page = tablet_context(*VIEWPORTS[orientation]).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/start$"))

    for name, path in (
        ("unit", f"/units/{unit.id}"),
        ("boundaries", f"/units/{unit.id}/boundaries"),
        ("breaches", f"/units/{unit.id}/breaches"),
        ("readings", f"/units/{unit.id}/readings"),
        ("overview", "/trust"),
    ):
        page.goto(f"{live_server_url}{path}")
        page.wait_for_load_state("load")
        width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{name}: horizontal scroll at {orientation}: {width}px > {inner}px"
        page.screenshot(path=screenshot_dir / f"trust-{name}-{orientation}-{TEST_DB}.png", full_page=True, scale="css")
    assert not errors, errors
