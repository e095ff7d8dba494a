"""One truth for the follow-up workflow (DESIGN.md 4.4, section 5): for every status × who proposed × role ×
before/after the due date, the follow-up's page is rendered and every workflow step is tried through its
service (in a savepoint rolled back afterwards): the page offers a step exactly when the service accepts it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.core.errors import DomainError

STATUSES = ["proposed_by_supervisor", "proposed_by_unit", "agreed", "done_reported", "verified", "cancelled"]
ROLES = ["owner", "colleague", "responsible_reviewer", "other_reviewer", "coordinator"]
MOMENTS = ["before_due", "after_due"]


def offered(html: str, follow_up: Any) -> set[str]:
    """The workflow steps the page offers, by name."""
    base = f"/follow-ups/{follow_up.id}"
    steps = {
        "accept": f'action="{base}/accept"',
        "report_done": f'action="{base}/report-done"',
        "verify": f'action="{base}/verify"',
        "reopen": f'action="{base}/reopen"',
        "cancel": f'action="{base}/cancel"',
        "update": f'href="{base}/edit"',
    }
    return {name for name, marker in steps.items() if marker in html}


def accepted(follow_up: Any, actor: Any) -> set[str]:
    """Every step tried through its service (at the travelled-to moment), each rolled back afterwards."""
    from app.extensions import db
    from app.followups import services

    attempts: dict[str, Callable[[], Any]] = {
        "accept": lambda: services.accept(follow_up.id, actor=actor),
        "report_done": lambda: services.report_done(follow_up.id, actor=actor, description="Rutinen är införd."),
        "verify": lambda: services.verify(follow_up.id, actor=actor, note="Kontrollerat i larmloggen."),
        "reopen": lambda: services.reopen(follow_up.id, actor=actor, note="Rutinen saknas på natten."),
        "cancel": lambda: services.cancel(follow_up.id, actor=actor, reason="Ersätts av en annan åtgärd."),
        "update": lambda: services.update(follow_up.id, actor=actor),
    }
    result: set[str] = set()
    for name, attempt in attempts.items():
        savepoint = db.session.begin_nested()
        try:
            attempt()
        except DomainError:
            pass
        else:
            result.add(name)
        finally:
            savepoint.rollback()
        db.session.expire_all()
    return result


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_follow_up_page_offers_exactly_what_the_services_accept(
    status, role, moment, people, make_follow_up, make_user, new_browser, enqueued, db
):
    proposer = people.owner if status == "proposed_by_unit" else None
    follow_up = make_follow_up(status.split("_by_")[0], proposer=proposer)
    actor = {
        "owner": people.owner,
        "colleague": people.colleague,
        "responsible_reviewer": people.reviewer,
        "other_reviewer": make_user("reviewer", name="Olle Utanför"),
        "coordinator": people.coordinator,
    }[role]
    day = follow_up.due_date - timedelta(days=3) if moment == "before_due" else follow_up.due_date + timedelta(days=3)
    with time_machine.travel(datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Stockholm")), tick=False):
        browser = new_browser()
        browser.login(actor)
        page = browser.get(f"/follow-ups/{follow_up.id}")
        assert page.status_code == 200
        shown = offered(page.text, follow_up)
        db.session.expire_all()
        allowed = accepted(follow_up, actor)
    assert shown == allowed


def test_accepting_after_the_due_date_is_neither_offered_nor_accepted(people, make_follow_up, new_browser, db):
    follow_up = make_follow_up("proposed")
    day = follow_up.due_date + timedelta(days=1)
    with time_machine.travel(datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Stockholm")), tick=False):
        browser = new_browser()
        browser.login(people.owner)
        page = browser.get(f"/follow-ups/{follow_up.id}").text
        assert "accept" not in offered(page, follow_up)
        assert "accept" not in accepted(follow_up, people.owner)
        assert "The due date has passed. Change it before accepting." in page  # why, on the page (Olivia reads English)
