"""Which visits the tablet keeps for working without a network (DESIGN.md 4.8): the person is on the team, and the
visit is planned from today to 14 days ahead or in progress; the start page marks them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.visits.services import kept_offline

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("status", "days_ahead", "kept"),
    [
        ("planned", 0, True),
        ("planned", 14, True),
        ("planned", 15, False),
        ("planned", -1, False),
        ("in_progress", -3, True),
        ("in_progress", 15, False),
        ("draft", 0, False),
    ],
)
def test_the_tablet_keeps_the_coming_visits_of_the_team(status, days_ahead, kept, make_visit):
    visit = make_visit(status, visit_date=TODAY + timedelta(days=days_ahead), today=TODAY)
    assert kept_offline(visit, visit.lead, TODAY) is kept


def test_a_reviewer_not_on_the_team_has_nothing_kept(make_visit, make_user):
    visit = make_visit("in_progress", visit_date=TODAY, today=TODAY)
    assert kept_offline(visit, make_user("reviewer"), TODAY) is False


def test_the_start_page_names_the_pages_to_keep_of_each_coming_visit(browser, make_visit):
    visit = make_visit("in_progress")
    browser.login(visit.lead)
    page = browser.get("/start").get_data(as_text=True)
    assert f'data-offline-pages="/visits/{visit.id} /visits/{visit.id}/site"' in page
    assert 'class="offline-mark" hidden' in page  # shown by the script once the pages are kept
