"""Keyset pages (app.core.pagination.keyset_page, issue 17): every row once, in order, across pages with equal
keys; links that stay put while rows are added; previous pages; a bad cursor is a 422 naming the field. And the
API's deferred pages keep API.md's convention."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.errors import InvalidInput
from app.core.models import OutboxEmail, OutboxStatus
from app.core.pagination import Key, decode_cursor, encode_cursor, keyset_page, paginate, paginate_deferred

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KEYS = [Key(OutboxEmail.created_at, descending=True), Key(OutboxEmail.id, descending=True)]


def add_emails(db, count: int, *, start: datetime = START, same_time_every: int = 3) -> None:
    """E-mails whose created_at repeats for each run of ``same_time_every`` (ties broken by the id)."""
    for n in range(count):
        db.session.add(
            OutboxEmail(
                id=uuid.uuid4(),
                message_id=f"<{uuid.uuid4()}@test>",
                recipient=f"p{n}@example.se",
                subject=f"E-post {n}",
                text="Text",
                html="<p>Text</p>",
                source="test",
                status=OutboxStatus.sent,
                created_at=start + timedelta(minutes=n // same_time_every),
            )
        )
    db.session.commit()


def newest_first(db) -> list[uuid.UUID]:
    return list(db.session.scalars(select(OutboxEmail.id).order_by(*(k.column.desc() for k in KEYS))))


def walk(db, *, per_page: int) -> list[uuid.UUID]:
    seen, args = [], {"per_page": str(per_page)}
    while True:
        page = keyset_page(select(OutboxEmail), args, KEYS)
        seen.extend(e.id for e in page.items)
        if not page.has_next:
            return seen
        args = {"per_page": str(per_page), "after": page.next_cursor}


def test_pages_hold_every_row_once_in_order_also_when_keys_are_equal(db):
    add_emails(db, 23)
    assert walk(db, per_page=5) == newest_first(db)
    assert walk(db, per_page=1) == newest_first(db)
    assert walk(db, per_page=200) == newest_first(db)


def test_the_next_page_stays_the_same_when_newer_rows_arrive(db):
    add_emails(db, 12)
    order = newest_first(db)
    first = keyset_page(select(OutboxEmail), {"per_page": "5"}, KEYS)
    add_emails(db, 4, start=START + timedelta(days=1))  # newer: at the top of the list
    second = keyset_page(select(OutboxEmail), {"per_page": "5", "after": first.next_cursor}, KEYS)
    assert [e.id for e in second.items] == order[5:10]  # OFFSET 5 would have shown 4 rows again


def test_previous_leads_back_to_the_same_rows_and_the_first_page_has_none(db):
    add_emails(db, 12)
    order = newest_first(db)
    first = keyset_page(select(OutboxEmail), {"per_page": "5"}, KEYS)
    assert not first.has_prev and first.has_next
    second = keyset_page(select(OutboxEmail), {"per_page": "5", "after": first.next_cursor}, KEYS)
    third = keyset_page(select(OutboxEmail), {"per_page": "5", "after": second.next_cursor}, KEYS)
    assert [e.id for e in third.items] == order[10:] and not third.has_next
    back = keyset_page(select(OutboxEmail), {"per_page": "5", "before": third.prev_cursor}, KEYS)
    assert [e.id for e in back.items] == order[5:10] and back.has_prev
    start = keyset_page(select(OutboxEmail), {"per_page": "5", "before": back.prev_cursor}, KEYS)
    assert [e.id for e in start.items] == order[:5] and not start.has_prev


def test_counting_is_asked_for_or_given(db):
    add_emails(db, 7)
    assert keyset_page(select(OutboxEmail), {}, KEYS).total is None
    assert keyset_page(select(OutboxEmail), {}, KEYS, count=True).total == 7
    assert keyset_page(select(OutboxEmail), {}, KEYS, total=99).total == 99


@pytest.mark.parametrize("cursor", ["x", "bm90IGpzb24", encode_cursor(["only one value"]), "A" * 700])
def test_a_bad_cursor_is_refused_naming_the_field(db, cursor):
    with pytest.raises(InvalidInput) as refused:
        keyset_page(select(OutboxEmail), {"after": cursor}, KEYS)
    assert "after" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        keyset_page(select(OutboxEmail), {"before": cursor}, KEYS)
    assert "before" in refused.value.errors


def test_a_cursor_keeps_the_values_exactly():
    moment, ident = START + timedelta(microseconds=7), uuid.uuid4()
    assert decode_cursor(encode_cursor([moment, ident, "Åby", 3]), field="after", size=4) == [
        moment,
        ident,
        "Åby",
        3,
    ]


def test_the_outbox_page_answers_422_for_a_bad_cursor(browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.get("/admin/outbox?after=%%%").status_code == 422


def test_deferred_pages_are_the_pages_of_paginate(db):
    add_emails(db, 23)
    query = select(OutboxEmail).order_by(*(k.column.desc() for k in KEYS))
    for number in ("1", "2", "3", "4", "9"):
        args = {"page": number, "per_page": "7"}
        plain, deferred = paginate(query, args), paginate_deferred(query, args, OutboxEmail)
        assert [e.id for e in deferred.items] == [e.id for e in plain.items]
        assert (deferred.page, deferred.per_page, deferred.total) == (plain.page, plain.per_page, plain.total)


def test_the_visit_list_pages_stay_put_while_visits_are_added(browser, make_user, make_visit, make_unit):
    unit = make_unit("Lärkans skola")
    visits = [make_visit("planned", unit=unit) for _ in range(30)]
    browser.login(make_user("coordinator"))
    first = browser.get("/visits").text
    shown_first = set(re.findall(r"/visits/([0-9a-f-]{36})\"", first))
    make_visit("planned", unit=unit)
    second = browser.get(html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))).text
    shown_second = set(re.findall(r"/visits/([0-9a-f-]{36})\"", second))
    assert shown_first and shown_second and not shown_first & shown_second
    assert shown_first | shown_second == {str(v.id) for v in visits}


def test_a_key_with_nulls_first_pages_through_every_row_once(db, make_visit, make_unit):
    """The visit list's own order: those without a date first, then the newest date; forwards and back."""
    from datetime import date

    from app.visits.models import Visit
    from app.visits.views import DEFAULT_VISIT_KEYS

    unit = make_unit("Tallens skola")
    for day in (None, date(2026, 3, 1), None, date(2026, 3, 1), date(2026, 1, 5), None, date(2026, 5, 2)):
        visit = make_visit("planned", unit=unit)
        visit.visit_date = day
    db.session.commit()
    expected = [
        v.id
        for v in sorted(
            db.session.scalars(select(Visit)).all(),
            key=lambda v: (v.visit_date is not None, -(v.visit_date.toordinal() if v.visit_date else 0)),
        )
    ]
    assert sum(1 for v in db.session.scalars(select(Visit)) if v.visit_date is None) == 3
    for size in ("1", "2", "3"):
        seen, pages, args = [], [], {"per_page": size}
        while True:
            page = keyset_page(select(Visit), args, DEFAULT_VISIT_KEYS)
            seen.extend(v.id for v in page.items)
            pages.append(page)
            if not page.has_next:
                break
            args = {"per_page": size, "after": page.next_cursor}
        assert len(seen) == len(set(seen)) == len(expected)
        dates = [db.session.get(Visit, i).visit_date for i in seen]
        assert dates == [db.session.get(Visit, i).visit_date for i in expected]  # NULLs first, then newest
        back = [v.id for v in pages[-2].items] if len(pages) > 1 else []
        if back:
            again = keyset_page(select(Visit), {"per_page": size, "before": pages[-1].prev_cursor}, DEFAULT_VISIT_KEYS)
            assert [v.id for v in again.items] == back


# ---- the last page (?last=1): read backwards from the end, one index range like the first -------------------


def walk_back_from_the_end(query, keys, *, per_page: int) -> list:
    """Every row of the list, from its last page back to its first by the "Previous" links, in the list's order."""
    pages, args = [], {"per_page": str(per_page), "last": "1"}
    while True:
        page = keyset_page(query, args, keys)
        pages.insert(0, [row.id for row in page.items])
        if not page.has_prev:
            return [i for rows in pages for i in rows]
        args = {"per_page": str(per_page), "before": page.prev_cursor}


def test_the_last_page_holds_the_last_rows_and_leads_back_to_the_first(db):
    add_emails(db, 23)  # ties: three e-mails share each moment
    order = newest_first(db)
    last = keyset_page(select(OutboxEmail), {"per_page": "5", "last": "1"}, KEYS)
    assert [e.id for e in last.items] == order[-5:]
    assert last.has_prev and not last.has_next and last.is_last and not last.is_first
    for size in (1, 4, 5, 23, 200):
        assert walk_back_from_the_end(select(OutboxEmail), KEYS, per_page=size) == order
    first = keyset_page(select(OutboxEmail), {"per_page": "5"}, KEYS)
    assert first.is_first and not first.is_last
    whole = keyset_page(select(OutboxEmail), {"per_page": "50", "last": "1"}, KEYS)
    assert [e.id for e in whole.items] == order and not whole.has_prev and not whole.has_next


def test_the_last_page_of_an_empty_list_is_empty(db):
    page = keyset_page(select(OutboxEmail), {"last": "1"}, KEYS)
    assert page.items == [] and not page.has_prev and not page.has_next


def test_a_cursor_wins_over_last(db):
    add_emails(db, 12)
    order = newest_first(db)
    first = keyset_page(select(OutboxEmail), {"per_page": "5"}, KEYS)
    second = keyset_page(select(OutboxEmail), {"per_page": "5", "last": "1", "after": first.next_cursor}, KEYS)
    assert [e.id for e in second.items] == order[5:10]


@pytest.mark.parametrize("value", ["yes", "2", "-1", "x" * 30])
def test_a_bad_last_is_refused_naming_the_field(db, value):
    with pytest.raises(InvalidInput) as refused:
        keyset_page(select(OutboxEmail), {"last": value}, KEYS)
    assert "last" in refused.value.errors


def test_the_last_page_with_nulls_first_keys(db, make_visit, make_unit):
    """The visit list's order (no date first, then the newest date, ties by id): from the end back to the start."""
    from datetime import date

    from app.visits.models import Visit
    from app.visits.views import DEFAULT_VISIT_KEYS

    unit = make_unit("Granens skola")
    for day in (None, date(2026, 3, 1), None, date(2026, 3, 1), date(2026, 1, 5), None, date(2026, 5, 2), None):
        make_visit("planned", unit=unit).visit_date = day
    db.session.commit()
    forwards, args = [], {"per_page": "100"}
    forwards = [v.id for v in keyset_page(select(Visit), args, DEFAULT_VISIT_KEYS).items]
    assert len(forwards) == 8
    for size in (1, 2, 3, 5):
        assert walk_back_from_the_end(select(Visit), DEFAULT_VISIT_KEYS, per_page=size) == forwards
    last = keyset_page(select(Visit), {"per_page": "3", "last": "1"}, DEFAULT_VISIT_KEYS)
    assert [v.id for v in last.items] == forwards[-3:]


def test_the_pager_links_the_last_page_and_it_costs_what_the_first_does(browser, make_user, db, count_queries):
    add_emails(db, 60, same_time_every=1)
    browser.login(make_user("coordinator"))
    browser.get("/admin/outbox")  # the session's first touch
    first = browser.get("/admin/outbox")
    assert first.status_code == 200
    link = re.search(r'<a href="([^"]+)">Sista sidan</a>', first.text)
    assert link and "last=1" in link.group(1)
    last = browser.get(html.unescape(link.group(1)))
    assert last.status_code == 200
    assert "p0@example.se" in last.text and "p59@example.se" not in last.text
    assert "Sista sidan" not in last.text and "Första sidan" in last.text
    assert browser.get("/admin/outbox?last=ja").status_code == 422
    assert count_queries.get(browser, html.unescape(link.group(1))) == count_queries.get(browser, "/admin/outbox")


def test_a_cursor_of_another_sort_is_refused_naming_the_field(db, browser, make_user, make_visit, make_unit):
    """A title in the place of a date or a status (a cursor of another sort, or edited by hand): 422, not 500."""
    from app.followups.models import FollowUp
    from app.visits.models import Visit
    from app.visits.views import DEFAULT_VISIT_KEYS

    with pytest.raises(InvalidInput) as refused:
        keyset_page(select(Visit), {"after": encode_cursor(["a title", "b", uuid.uuid4()])}, DEFAULT_VISIT_KEYS[:3])
    assert "after" in refused.value.errors
    status_keys = [Key(FollowUp.status), Key(FollowUp.due_date), Key(FollowUp.created_at), Key(FollowUp.id)]
    good = encode_cursor(["agreed", datetime(2026, 1, 1).date(), START, uuid.uuid4()])
    assert keyset_page(select(FollowUp), {"after": good}, status_keys).items == []
    for values in (
        ["Åtgärd 1", datetime(2026, 1, 1).date(), START, uuid.uuid4()],  # a title for a status
        ["agreed", "2026-01-01", START, uuid.uuid4()],  # a string for a date
        ["agreed", START, START, uuid.uuid4()],  # a moment for a date
        ["agreed", datetime(2026, 1, 1).date(), START, 7],  # a number for an id
    ):
        with pytest.raises(InvalidInput) as refused:
            keyset_page(select(FollowUp), {"before": encode_cursor(values)}, status_keys)
        assert "before" in refused.value.errors
    browser.login(make_user("coordinator"))
    title_cursor = encode_cursor(["Åtgärd 1", datetime(2026, 1, 1).date(), START, uuid.uuid4()])
    assert browser.get(f"/follow-ups?status=all&sort=status&after={title_cursor}").status_code == 422
    assert browser.get(f"/follow-ups?status=all&sort=due&after={title_cursor}").status_code == 422
    assert browser.get(f"/people?sort=status&after={title_cursor}").status_code == 422
