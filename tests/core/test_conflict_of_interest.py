"""Jäv (DESIGN.md 2, 4.6): a peer reviewer who is a member of a unit takes part as the unit in everything of
that unit — they see no draft, no internal note and no working material of its visits, and cannot change them —
while in every other unit they are a reviewer like any other."""

from __future__ import annotations

import pytest

from app.core import access
from app.core.errors import Forbidden, NotFound
from app.dialogue import policy as dialogue_policy
from app.visits import policy as visits_policy


@pytest.fixture
def peer(make_unit, make_user):
    """Karin: a reviewer, and a member of her own school."""
    own = make_unit("Östra gymnasiet")
    return make_user("reviewer", "unit_member", units=[own], name="Karin Kollega"), own


def test_a_peer_reviewer_does_not_see_the_draft_of_a_visit_to_her_own_unit(peer, make_visit):
    karin, own = peer
    visit = make_visit("draft", unit=own)
    assert not visits_policy.can_see_visit_content(karin, visit)
    with pytest.raises(NotFound):
        visits_policy.get_finding(karin, visit.findings[0].id)
    with pytest.raises(NotFound):
        visits_policy.get_visit_with_content(karin, visit.id)


def test_a_peer_reviewer_sees_drafts_of_other_units(peer, make_visit):
    karin, _own = peer
    visit = make_visit("draft")
    assert visits_policy.can_see_visit_content(karin, visit)
    assert visits_policy.get_finding(karin, visit.findings[0].id) == visit.findings[0]


def test_a_peer_reviewer_cannot_change_a_visit_to_her_own_unit_even_as_coordinator(make_unit, make_user, make_visit):
    own = make_unit("Solrosens förskola")
    both = make_user("coordinator", "unit_member", units=[own], name="Sara Samordnare")
    visit = make_visit("in_progress", unit=own)
    assert not visits_policy.can_edit_visit(both, visit)
    with pytest.raises(Forbidden):
        visits_policy.require_visit_editor(both, visit)


def test_a_peer_reviewer_takes_the_units_side_in_her_own_unit(peer, make_unit):
    karin, own = peer
    assert access.takes_unit_side(karin, own.id)
    assert not access.supervises(karin, own.id)
    assert not dialogue_policy.sees_internal_notes(karin, own.id)
    other = make_unit("Björkbackens äldreboende")
    assert access.supervises(karin, other.id)


def test_the_visit_page_shows_a_peer_reviewer_only_date_and_team_of_her_own_units_draft(peer, make_visit, browser):
    karin, own = peer
    visit = make_visit("draft", unit=own, findings=(("strength", None, "Hemligt utkast om studieron."),))
    browser.login(karin)
    page = browser.get(f"/visits/{visit.id}")
    assert page.status_code == 200
    assert "Hemligt utkast om studieron." not in page.text
    assert browser.get(f"/visits/{visit.id}/report").status_code == 404
    assert browser.get(f"/findings/{visit.findings[0].id}/edit").status_code == 404


def test_the_audit_api_gives_a_peer_reviewer_her_own_units_history_as_the_unit_reads_it(
    peer, make_visit, client, api_token
):
    karin, own = peer
    visit = make_visit("draft", unit=own, findings=(("strength", None, "Hemligt utkast."),))
    answer = client.get(f"/api/v1/audit?object_type=unit&object_id={own.id}", headers=api_token(karin))
    assert answer.status_code == 200
    kinds = {item["object_type"] for item in answer.get_json()["items"]}
    assert "finding" not in kinds
    assert "Hemligt utkast." not in answer.get_data(as_text=True)
    everything = client.get("/api/v1/audit?per_page=200", headers=api_token(karin)).get_data(as_text=True)
    assert "Hemligt utkast." not in everything
    assert str(visit.id) in everything  # the visit itself is the unit's to know of
