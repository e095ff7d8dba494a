"""The keyset pager (issue 17) in a real browser: the outbox read page by page with "Nästa", "Föregående",
"Första sidan" and "Sista sidan", the same rows back again, no axe violations; a screenshot goes to
test-artifacts/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, TEST_DB


@pytest.mark.browser
def test_the_outbox_pages_forward_and_back_with_the_keyboard(
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    check_accessibility: Callable[[Any, str], None],
    db: Any,
    make_user: Callable[..., Any],
) -> None:
    from app.core.models import OutboxEmail, OutboxStatus

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for n in range(7):
        db.session.add(
            OutboxEmail(
                id=uuid.uuid4(),
                message_id=f"<{uuid.uuid4()}@test>",
                recipient=f"person{n}@example.se",
                subject=f"Påminnelse {n}",
                text="Text",
                html="<p>Text</p>",
                source="test",
                status=OutboxStatus.sent,
                created_at=start + timedelta(minutes=n),
            )
        )
    db.session.commit()
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="samordnare@example.se")

    page = tablet_context(1024, 768).new_page()
    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/start$"))

    page.goto(f"{live_server_url}/admin/outbox?per_page=3")
    expect(page.get_by_text("person6@example.se")).to_be_visible()
    check_accessibility(page, "the outbox, first page")
    page.get_by_role("link", name="Nästa").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("person3@example.se")).to_be_visible()
    expect(page.get_by_text("person6@example.se")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / f"keyset-outbox-second-page-{TEST_DB}.png"), full_page=True)
    check_accessibility(page, "the outbox, second page")
    page.get_by_role("link", name="Föregående").click()
    expect(page.get_by_text("person6@example.se")).to_be_visible()
    page.get_by_role("link", name="Nästa").click()
    page.get_by_role("link", name="Nästa").click()
    expect(page.get_by_text("person0@example.se")).to_be_visible()
    expect(page.get_by_role("link", name="Nästa")).to_have_count(0)
    page.get_by_role("link", name="Första sidan").click()
    expect(page.get_by_text("person6@example.se")).to_be_visible()
    page.get_by_role("link", name="Sista sidan").focus()  # the list's end, read backwards (issue 17)
    page.keyboard.press("Enter")
    expect(page.get_by_text("person0@example.se")).to_be_visible()
    expect(page.get_by_text("person2@example.se")).to_be_visible()
    expect(page.get_by_text("person3@example.se")).to_have_count(0)
    expect(page.get_by_role("link", name="Sista sidan")).to_have_count(0)
    check_accessibility(page, "the outbox, last page")
    page.get_by_role("link", name="Föregående").click()
    expect(page.get_by_text("person5@example.se")).to_be_visible()
    expect(page.get_by_text("person3@example.se")).to_be_visible()
