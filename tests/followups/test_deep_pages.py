"""Keyset pages of the follow-ups list (issue 17): walked forwards to the end and back from the "Last page" link
in every sort, both ways, each is the whole ordered list (no row twice, none skipped); the caption keeps the
total; a deep page runs as many statements as the first; the API's deferred pages are ``paginate``'s pages."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from app.core.input import fold
from app.followups import services
from app.followups.models import FollowUp, FollowUpStatus

ROW = re.compile(r'<td><a href="/follow-ups/([0-9a-f-]{36})">')
LAST = re.compile(r'<a href="([^"]+)">(?:Sista sidan|Last page)</a>')
STATUSES = [FollowUpStatus.agreed, FollowUpStatus.proposed, FollowUpStatus.done_reported, FollowUpStatus.verified]


@pytest.fixture
def many(people, make_follow_up, make_unit, make_user, db):
    """Seventeen follow-ups over two units and three responsible people, with repeated titles, statuses and due
    dates (ties broken by creation and id)."""
    other_unit = make_unit("Aspens förskola")
    other_owner = make_user("unit_member", units=[other_unit], name="Agnes Ask")
    third_owner = make_user("unit_member", units=[people.unit], name="Bertil Berg")
    today = date.today()
    made = []
    for n in range(17):
        follow_up = make_follow_up(title=f"atgard {n % 5}", due_date=today + timedelta(days=10 + n % 4))
        follow_up.status = STATUSES[n % 4]
        if n % 3 == 1:
            follow_up.unit_id, follow_up.owner_id = other_unit.id, other_owner.id
        elif n % 3 == 2:
            follow_up.owner_id = third_owner.id
        made.append(follow_up)
    db.session.commit()
    return made


def expected(db, sort: str, descending: bool) -> list[str]:
    """The whole list in the sort's order, computed here (not by the app's query)."""
    from app.auth.models import User
    from app.units.models import Unit

    def key(f: FollowUp) -> tuple:
        head = {
            "title": (f.title,),
            "status": (f.status.value,),
            "unit": (fold(db.session.get(Unit, f.unit_id).name),),
            "responsible": (fold(db.session.get(User, f.owner_id).name),),
            "due": (),
        }[sort]
        return (*head, f.due_date, f.created_at, f.id)

    rows = db.session.query(FollowUp).all()
    return [str(f.id) for f in sorted(rows, key=key, reverse=descending)]


def walk(browser, url: str, rel: str) -> tuple[list[list[str]], list[str]]:
    """The rows of each page from ``url`` following ``rel`` links (next or prev), and each page's HTML."""
    pages, texts = [], []
    while url:
        response = browser.get(url)
        assert response.status_code == 200
        texts.append(response.text)
        pages.append(ROW.findall(response.text))
        found = re.search(rf'href="([^"]+)" rel="{rel}"', response.text)
        url = html.unescape(found.group(1)) if found else ""
    return pages, texts


@pytest.mark.parametrize("sort", services.SORT_COLUMNS)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_walking_forwards_and_back_shows_every_row_once_in_order(browser, people, many, db, sort, direction):
    browser.login(people.coordinator)
    order = expected(db, sort, direction == "desc")
    assert len(order) == 17
    start = f"/follow-ups?status=all&sort={sort}&dir={direction}&per_page=4"
    forwards, texts = walk(browser, start, "next")
    assert [len(p) for p in forwards] == [4, 4, 4, 4, 1]
    assert [i for p in forwards for i in p] == order
    assert all("17 uppföljningar" in t or "17 follow-ups" in t for t in texts)  # the caption's total stays
    last_link = LAST.search(texts[0])
    assert last_link and "last=1" in last_link.group(1)
    backwards, texts = walk(browser, html.unescape(last_link.group(1)), "prev")
    assert [len(p) for p in backwards] == [4, 4, 4, 4, 1]  # the last page is full, the first holds the rest
    assert [i for p in reversed(backwards) for i in p] == order
    assert not LAST.search(texts[0]) and all("17 uppföljningar" in t or "17 follow-ups" in t for t in texts)


def test_a_unit_s_list_pages_with_keys_too(browser, people, many):
    browser.login(people.coordinator)
    forwards, _texts = walk(
        browser, f"/units/{people.unit.id}/follow-ups?status=all&sort=responsible&per_page=3", "next"
    )
    shown = [i for p in forwards for i in p]
    assert len(shown) == len(set(shown)) == sum(1 for f in many if f.unit_id == people.unit.id)


def test_a_bad_cursor_answers_422_naming_the_field(browser, people, many):
    browser.login(people.coordinator)
    response = browser.get("/follow-ups?status=all&after=%%%")
    assert response.status_code == 422
    assert browser.get("/follow-ups?status=all&last=yes").status_code == 422


@pytest.mark.parametrize("sort", ["due", "title", "unit"])
def test_the_last_page_runs_as_many_statements_as_the_first(browser, people, many, count_queries, sort):
    browser.login(people.coordinator)
    first_url = f"/follow-ups?status=all&sort={sort}&per_page=4"
    browser.get(first_url)  # the session's first touch
    first = browser.get(first_url).text
    last_url = html.unescape(LAST.search(first).group(1))
    middle_url = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    statements = count_queries.get(browser, first_url)
    assert count_queries.get(browser, last_url) == statements
    assert count_queries.get(browser, middle_url) == statements


def test_the_api_pages_are_the_whole_list_in_order(client, api_token, people, many, db):
    headers = api_token(people.coordinator)
    for sort, direction in [("due", "asc"), ("unit", "desc"), ("responsible", "asc"), ("title", "desc")]:
        seen, number = [], 1
        while True:
            url = f"/api/v1/follow-ups?status=all&sort={sort}&dir={direction}&per_page=5&page={number}"
            body = client.get(url, headers=headers).json
            assert body["total"] == 17 and body["per_page"] == 5 and body["page"] == number
            seen.extend(item["id"] for item in body["items"])
            if number * 5 >= body["total"]:
                break
            number += 1
        assert seen == expected(db, sort, direction == "desc")
