"""Search (issue 16): case numbers, Swedish word forms, ranked hits across kinds, and visibility."""

from __future__ import annotations

from typing import Any

import pytest


def kinds_and_titles(result: Any) -> set[tuple[str, str]]:
    return {(h.kind, h.title) for h in result.hits}


def run(app: Any, actor: Any, query: str) -> Any:
    from app.search.services import search

    with app.test_request_context():
        return search(actor, query)


@pytest.fixture
def setting(make_user, make_unit, make_visit):
    """Two units; a visit of each, sent for comment, with a serious deviation about night alarms."""
    from types import SimpleNamespace

    own, other = make_unit("Äppelgården"), make_unit("Björkängen")
    lead = make_user("reviewer", name="Lena Lead")
    text = "Rutinerna för nattlarmen följs inte; larmen besvaras sent."
    mine = make_visit("sent_for_comment", unit=own, lead=lead, findings=(("deviation", "serious", text),))
    theirs = make_visit("sent_for_comment", unit=other, lead=lead, findings=(("deviation", "serious", text),))
    return SimpleNamespace(own=own, other=other, lead=lead, mine=mine, theirs=theirs)


def test_a_case_number_goes_straight_to_the_visit(browser, make_user, setting):
    browser.login(make_user("coordinator"))
    case = setting.mine.case_number

    response = browser.get(f"/search?q={case.lower()}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/visits/{setting.mine.id}")


def test_another_units_case_number_finds_nothing_for_a_unit_member(app, make_user, setting):
    member = make_user("unit_member", units=[setting.own])

    result = run(app, member, setting.theirs.case_number)

    assert result.visit is None and result.hits == []


@pytest.mark.parametrize("word", ["rutin", "rutiner", "rutinerna", "RUTINERNA", "nattlarm"])
def test_swedish_word_forms_find_the_finding(app, make_user, setting, word):
    result = run(app, make_user("coordinator"), word)

    assert ("finding", setting.mine.case_number) in kinds_and_titles(result)


def test_every_word_must_match(app, make_user, setting):
    coordinator = make_user("coordinator")

    assert run(app, coordinator, "larmen besvaras").hits
    assert not run(app, coordinator, "larmen brandövning").hits


def test_units_are_found_by_name_with_å_ä_ö(app, make_user, setting):
    result = run(app, make_user("coordinator"), "äppel")

    assert ("unit", "Äppelgården") in kinds_and_titles(result)


def test_a_unit_member_never_finds_another_units_finding(app, make_user, setting):
    member = make_user("unit_member", units=[setting.own])

    titles = kinds_and_titles(run(app, member, "nattlarmen"))

    assert ("finding", setting.mine.case_number) in titles
    assert ("finding", setting.theirs.case_number) not in titles
    assert ("unit", "Björkängen") not in kinds_and_titles(run(app, member, "björkängen"))


def test_a_unit_member_never_finds_an_internal_note(app, make_user, setting, write):
    member = make_user("unit_member", units=[setting.own])
    write(setting.lead, visit=setting.mine, text="Internt: personalen verkar stressad.", internal=True)
    write(setting.lead, visit=setting.mine, text="Tack för ett bra möte, personalen var engagerad.")

    member_hits = [h.excerpt for h in run(app, member, "personalen").hits if h.kind == "message"]
    staff_hits = [h.excerpt for h in run(app, make_user("coordinator"), "personalen").hits if h.kind == "message"]

    assert member_hits == ["Tack för ett bra möte, personalen var engagerad."]
    assert len(staff_hits) == 2


def test_a_peer_reviewer_never_finds_their_own_units_draft(app, make_user, make_visit, setting):
    draft = make_visit(
        "draft", unit=setting.own, lead=setting.lead, findings=(("deviation", "minor", "Hygienrutinen brister."),)
    )
    other_draft = make_visit(
        "draft", unit=setting.other, lead=setting.lead, findings=(("deviation", "minor", "Hygienrutinen brister."),)
    )
    peer = make_user("reviewer", units=[setting.own])

    titles = kinds_and_titles(run(app, peer, "hygienrutinen"))

    assert ("finding", draft.case_number) not in titles
    assert ("finding", other_draft.case_number) in titles


def test_a_unit_member_finds_own_follow_ups_only(app, make_follow_up, people, make_user):
    make_follow_up(title="Rutin för läkemedelshantering")
    stranger = make_user("unit_member", units=[])

    mine = run(app, people.owner, "läkemedelshanteringen")
    theirs = run(app, stranger, "läkemedelshanteringen")

    assert ("follow_up", "Rutin för läkemedelshantering") in kinds_and_titles(mine)
    assert theirs.hits == []


def test_a_query_without_words_finds_nothing_and_is_no_error(browser, make_user, api_token):
    person = make_user("coordinator")
    browser.login(person)

    assert browser.get("/search?q=%22%27%2A%28%29%3A%26%7C!").status_code == 200
    assert browser.get("/api/v1/search?q=*:&", headers=api_token(person)).get_json()["items"] == []


def test_the_api_answers_a_case_number_with_its_visit(client, make_user, setting, api_token):
    body = client.get(
        f"/api/v1/search?q={setting.mine.case_number}", headers=api_token(make_user("reviewer"))
    ).get_json()

    assert body["visit"]["id"] == str(setting.mine.id)


def test_the_search_page_lists_ranked_hits_with_links(browser, make_user, setting):
    browser.login(make_user("coordinator"))

    html = browser.get("/search?q=nattlarm").get_data(as_text=True)

    assert f"/visits/{setting.mine.id}#finding-" in html and f"/visits/{setting.theirs.id}#finding-" in html


def test_search_statements_do_not_grow_with_the_hits(browser, make_user, make_unit, make_visit, setting, count_queries):
    browser.login(make_user("coordinator"))
    small = count_queries.get(browser, "/search?q=nattlarm")
    for n in range(4):
        make_visit(
            "sent_for_comment",
            unit=make_unit(f"Nattlarmsgatan {n}"),
            lead=setting.lead,
            findings=(("deviation", "serious", "Nattlarmen besvaras sent."),),
        )

    assert count_queries.get(browser, "/search?q=nattlarm") == small
