"""One truth for what a person may do with a visit (DESIGN.md section 5: each domain owns its policy).

For every status × role × moment of kommunicering, the visit page is rendered and every action is tried
through its service (in a savepoint rolled back afterwards): the page offers the action exactly when the
service accepts it. Among the cases: responding after the comment deadline (neither offered nor accepted)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.core.errors import DomainError
from app.visits.models import VisitStatus

STATUSES = [s.value for s in VisitStatus]
ROLES = ["lead", "team_member", "other_reviewer", "coordinator", "unit_member", "peer_reviewer"]
# Before the comment deadline, after it, and before it with the unit's response in.
MOMENTS = ["before_deadline", "after_deadline", "responded"]
WAIVER = "Enheten har avstått från att yttra sig i telefonsamtal."
REASON = "Besöket planerades av misstag och behövs inte."


def _cases() -> list[tuple[str, str, str]]:
    return [
        (status, role, moment)
        for status in STATUSES
        for role in ROLES
        for moment in MOMENTS
        if moment != "responded" or status == "sent_for_comment"
    ]


@dataclass
class Scene:
    visit: Any
    people: dict[str, Any]
    today: date


@pytest.fixture
def scene(make_visit, make_unit, make_user, db) -> Callable[[str, str], Scene]:
    def build(status: str, moment: str) -> Scene:
        from app.visits import services

        unit = make_unit("Solrosen")
        lead = make_user("reviewer", name="Lena Lead")
        member = make_user("reviewer", name="Tore Team")
        people = {
            "lead": lead,
            "team_member": member,
            "other_reviewer": make_user("reviewer", name="Olle Utanför"),
            "coordinator": make_user("coordinator", name="Cora Coordinator"),
            "unit_member": make_user("unit_member", units=[unit], name="Ulla Enhet"),
            "peer_reviewer": make_user("reviewer", "unit_member", units=[unit], name="Petra Peer"),
        }
        visit = make_visit(status, unit=unit, lead=lead, members=(member,))
        if moment == "responded":
            services.submit_response(visit.id, actor=people["unit_member"], overall="Vi instämmer i stort.")
            db.session.commit()
        deadline = visit.comment_deadline or date.today() + timedelta(days=14)
        today = deadline + timedelta(days=3) if moment == "after_deadline" else deadline - timedelta(days=3)
        return Scene(visit, people, today)

    return build


def _transition_forms(html: str) -> dict[str, str]:
    """The visit page's step forms, by the status they move to."""
    forms = re.findall(r'<form method="post" action="/visits/[^"]+/transition".*?</form>', html, flags=re.S)
    found: dict[str, str] = {}
    for form in forms:
        match = re.search(r'name="to" value="(\w+)"', form)
        assert match
        found[match.group(1)] = form
    return found


def offered(html: str, visit: Any) -> set[str]:
    """What the page offers the person, in the names of ``accepted``."""
    actions: set[str] = set()
    forms = _transition_forms(html)
    for target, form in forms.items():
        actions.add(f"transition:{target}")
        if target == "final" and 'name="waiver_reason"' not in form:
            actions.add("finalise_without_waiver")
    if f'href="/visits/{visit.id}/respond"' in html:
        actions.add("respond")
    if f'href="/visits/{visit.id}/edit"' in html:
        actions.add("update_plan")
    if f'href="/visits/{visit.id}/site"' in html:
        actions.add("add_finding")
    if f'action="/visits/{visit.id}/follow-up"' in html:
        actions.add("start_follow_up_visit")
    if f'/follow-ups/new?visit={visit.id}"' in html:
        actions.add("propose_follow_up")
    return actions


def accepted(visit: Any, actor: Any, today: date, owner: Any) -> set[str]:
    """Every action tried through its service, each in a savepoint rolled back afterwards; ``owner``: a member
    of the unit, to be responsible for a proposed follow-up."""
    from app.extensions import db
    from app.followups import services as follow_up_services
    from app.visits import services

    lead = visit.lead
    attempts: dict[str, Callable[[], Any]] = {
        **{
            f"transition:{target.value}": (
                lambda target=target: services.transition(
                    visit.id, actor=actor, to=target, waiver_reason=WAIVER, reason=REASON, today=today
                )
            )
            for target in VisitStatus
        },
        "finalise_without_waiver": lambda: services.transition(visit.id, actor=actor, to="final", today=today),
        "respond": lambda: services.submit_response(visit.id, actor=actor, overall="Vi har synpunkter.", today=today),
        "update_plan": lambda: services.update_plan(
            visit.id,
            actor=actor,
            visit_date=visit.visit_date,
            lead_id=lead.id,
            member_ids=[m.user_id for m in visit.team if not m.is_lead],
            aim=visit.aim,
        ),
        "add_finding": lambda: services.add_finding(visit.id, actor=actor, kind="strength", text="Bra."),
        "start_follow_up_visit": lambda: services.start_follow_up(
            visit.id, actor=actor, visit_date=today + timedelta(days=30)
        ),
        "propose_follow_up": lambda: follow_up_services.propose(
            actor=actor,
            unit_id=visit.unit_id,
            title="Rutin för nattlarm",
            description="Ta fram en rutin för larm nattetid.",
            due_date=today + timedelta(days=30),
            owner_id=owner.id,
            visit_id=visit.id,
        ),
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


@pytest.mark.parametrize(("status", "role", "moment"), _cases())
def test_the_visit_page_offers_exactly_what_the_services_accept(
    status, role, moment, scene, new_browser, monkeypatch, db
):
    monkeypatch.setattr("app.visits.report.store_final_report", lambda visit: None)  # the PDF is not the rule
    built = scene(status, moment)
    actor = built.people[role]
    noon = datetime.combine(built.today, time(12), tzinfo=ZoneInfo("Europe/Stockholm"))
    with time_machine.travel(noon, tick=False):
        browser = new_browser()
        browser.login(actor)
        page = browser.get(f"/visits/{built.visit.id}")
        assert page.status_code == 200
        shown = offered(page.text, built.visit)
        db.session.expire_all()
        allowed = accepted(built.visit, actor, built.today, built.people["unit_member"])
    assert shown == allowed


def test_responding_after_the_deadline_is_neither_offered_nor_accepted(scene, new_browser, db):
    built = scene("sent_for_comment", "after_deadline")
    member = built.people["unit_member"]
    with time_machine.travel(datetime.combine(built.today, time(12), tzinfo=ZoneInfo("Europe/Stockholm"))):
        browser = new_browser()
        browser.login(member)
        page = browser.get(f"/visits/{built.visit.id}").text
        assert "respond" not in offered(page, built.visit)
        assert "respond" not in accepted(built.visit, member, built.today, member)
