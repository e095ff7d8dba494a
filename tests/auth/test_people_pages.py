"""Keyset pages of the people list (issue 17): walked forwards to the end and back from the "Last page" link in
every sort, both ways, each is the whole ordered list (no one twice, nobody skipped); the caption keeps the total;
the last page runs as many statements as the first."""

from __future__ import annotations

import html
import re

import pytest

from app.auth.models import Role, User
from app.core.input import fold

ROW = re.compile(r'<td><a href="/people/([0-9a-f-]{36})">')
LAST = re.compile(r'<a href="([^"]+)">(?:Sista sidan|Last page)</a>')
RANK = {Role.coordinator: 1, Role.reviewer: 2, Role.unit_member: 3}


@pytest.fixture
def crowd(make_unit, make_user):
    """Fifteen people: repeated names (ties by id), every role, some deactivated."""
    unit = make_unit("Åby skola")
    coordinator = make_user("coordinator", name="Cora Samordnare", email="cora@tillsyn.se")
    for n in range(14):
        roles = [("unit_member",), ("reviewer",), ("coordinator", "reviewer"), ("unit_member",)][n % 4]
        make_user(
            *roles,
            units=[unit] if "unit_member" in roles else [],
            name=["Anna Ek", "Bo Berg", "Åsa Öst"][n % 3],
            email=f"person{n:02d}@example.se",
            is_active_account=n % 5 != 0,
        )
    return coordinator


def expected(db, sort: str, descending: bool) -> list[str]:
    def key(person: User) -> tuple:
        head = {
            "name": (fold(person.name),),
            "email": (person.email,),
            "roles": (min(RANK[r] for r in person.roles), fold(person.name)),
            "status": (person.is_active_account, fold(person.name)),
        }[sort]
        return (*head, person.id)

    return [str(p.id) for p in sorted(db.session.query(User).all(), key=key, reverse=descending)]


def walk(browser, url: str, rel: str) -> tuple[list[list[str]], list[str]]:
    pages, texts = [], []
    while url:
        response = browser.get(url)
        assert response.status_code == 200
        texts.append(response.text)
        pages.append(ROW.findall(response.text))
        found = re.search(rf'href="([^"]+)" rel="{rel}"', response.text)
        url = html.unescape(found.group(1)) if found else ""
    return pages, texts


@pytest.mark.parametrize("sort", ["name", "email", "roles", "status"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_walking_forwards_and_back_shows_everyone_once_in_order(browser, crowd, db, sort, direction):
    browser.login(crowd)
    order = expected(db, sort, direction == "desc")
    assert len(order) == 15
    forwards, texts = walk(browser, f"/people?sort={sort}&dir={direction}&per_page=4", "next")
    assert [len(p) for p in forwards] == [4, 4, 4, 3]
    assert [i for p in forwards for i in p] == order
    assert all("15 personer" in t or "15 people" in t for t in texts)
    backwards, texts = walk(browser, html.unescape(LAST.search(texts[0]).group(1)), "prev")
    assert [len(p) for p in backwards] == [4, 4, 4, 3]
    assert [i for p in reversed(backwards) for i in p] == order


def test_the_last_page_runs_as_many_statements_as_the_first(browser, crowd, count_queries):
    browser.login(crowd)
    browser.get("/people?per_page=4")  # the session's first touch
    first = browser.get("/people?per_page=4").text
    statements = count_queries.get(browser, "/people?per_page=4")
    assert count_queries.get(browser, html.unescape(LAST.search(first).group(1))) == statements
    assert count_queries.get(browser, html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))) == (
        statements
    )


def test_a_bad_cursor_answers_422(browser, crowd):
    browser.login(crowd)
    assert browser.get("/people?after=nonsense").status_code == 422
    assert browser.get("/people?before=%%%&sort=roles").status_code == 422
