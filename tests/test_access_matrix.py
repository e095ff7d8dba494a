"""The isolation matrix: every route in ``app.url_map`` × role × own/other unit (DESIGN.md 4.6).

A unit member must get 404 for anything of another unit, and nothing in the database may change. The
matrix is built from the URL map itself, so a new route joins it automatically; a route whose URL takes a
parameter this file does not know fails the test until the parameter is described in ``PARAMS`` below.

Each domain adds its own objects in ``tests/<domain>/matrix.py``: a ``PARAMS`` dict merged into the one below
and an ``extend(world, request)`` function that creates the own and other unit's objects (with the fixtures it
asks ``request`` for) and keeps them in ``world.extra``.
"""

from __future__ import annotations

import hashlib
import importlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db as _db

ROLES = ("coordinator", "reviewer", "unit_member")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class World:
    own_unit: Any
    other_unit: Any
    actors: dict[str, Any]
    own_member: Any  # another member of the unit member's own unit
    other_member: Any  # a member of the other unit
    tokens: dict[str, Any]  # person id -> their API token row
    raw_tokens: dict[str, str]
    outbox_name: str
    set_password_token: str
    own_visit: Any  # out for comment, so the unit member sees its content
    other_visit: Any
    template: Any
    own_evidence: Any
    other_evidence: Any
    extra: dict[str, Any] = field(default_factory=dict)  # the domains' objects (tests/<domain>/matrix.py)


# How to fill each URL parameter: (kind, value for the actor's own side, value for the other unit's side).
# kind "unit" = belongs to a unit (another unit's must be 404 for a unit member);
# "personal" = belongs to one person (someone else's is 404 for everyone);
# "unscoped" = not unit data (a static file name, a secret link token, a role-gated file).
PARAMS: dict[str, tuple[str, Any, Any]] = {
    "unit_id": ("unit", lambda w, actor: w.own_unit.id, lambda w, actor: w.other_unit.id),
    "user_id": ("unit", lambda w, actor: w.own_member.id, lambda w, actor: w.other_member.id),
    "token_id": ("personal", lambda w, actor: w.tokens[actor.id].id, lambda w, actor: w.tokens[w.other_member.id].id),
    "filename": ("unscoped", lambda w, actor: "css/app.css", lambda w, actor: "css/app.css"),
    "name": ("unscoped", lambda w, actor: w.outbox_name, lambda w, actor: w.outbox_name),
    "email_id": ("unscoped", lambda w, actor: w.extra["outbox_email_id"], lambda w, actor: w.extra["outbox_email_id"]),
    "token": ("unscoped", lambda w, actor: w.set_password_token, lambda w, actor: w.set_password_token),
    "visit_id": ("unit", lambda w, actor: w.own_visit.id, lambda w, actor: w.other_visit.id),
    "finding_id": ("unit", lambda w, actor: w.own_visit.findings[0].id, lambda w, actor: w.other_visit.findings[0].id),
    "template_id": ("unscoped", lambda w, actor: w.template.id, lambda w, actor: w.template.id),
    "evidence_id": ("unit", lambda w, actor: w.own_evidence.id, lambda w, actor: w.other_evidence.id),
}

EXTENSIONS = [
    importlib.import_module(f"tests.{path.parent.name}.matrix")
    for path in sorted(Path(__file__).resolve().parent.glob("*/matrix.py"))
]
for _extension in EXTENSIONS:
    PARAMS.update(_extension.PARAMS)


def _visit_with_photo(make_visit, unit, lead, template) -> tuple[Any, Any]:
    """A visit out for comment with a photo on its first finding (evidence is added while still a draft)."""
    from PIL import Image

    from app.core import access
    from app.visits import evidence, services

    visit = make_visit("draft", unit=unit, lead=lead, template=template)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, format="JPEG")
    item = evidence.store_upload(visit.findings[0].id, actor=lead, filename="foto.jpg", data=photo.getvalue())
    services.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=14)
    )
    _db.session.commit()
    return visit, item


# When a session or token was last used is bookkeeping of the login itself, not data a request changes.
BOOKKEEPING = {("auth_sessions", "last_seen_at"), ("api_tokens", "last_used_at")}


def database_fingerprint() -> str:
    """A hash of every row of every table: equal before and after means nothing changed."""
    digest = hashlib.sha256()
    _db.session.expire_all()
    for table in _db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
        rows = _db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        digest.update(table.name.encode())
        digest.update(repr([tuple(r) for r in rows]).encode())
    _db.session.rollback()
    return digest.hexdigest()


@pytest.fixture
def world(app, db, make_unit, make_user, make_template, make_visit, tmp_path, request) -> World:
    from app.auth import services
    from app.core import mail

    own_unit, other_unit = make_unit("Egna enheten"), make_unit("Andra enheten")
    actors = {
        "coordinator": make_user("coordinator", name="Cora Coordinator"),
        "reviewer": make_user("reviewer", name="Rita Reviewer"),
        "unit_member": make_user("unit_member", units=[own_unit], name="Ulf Unitmember"),
    }
    own_member = make_user("unit_member", units=[own_unit], name="Olle Ownmember")
    other_member = make_user("unit_member", units=[other_unit], name="Otto Othermember")
    tokens, raw = {}, {}
    for person in [*actors.values(), own_member, other_member]:
        token, secret = services.create_api_token(actor=person, label="matrix")
        tokens[person.id], raw[person.id] = token, secret
    link = services.issue_set_password_link(other_member.id, send_email=False)
    db.session.commit()
    mail.OutboxBackend(app.config).send(mail.OutgoingEmail(to="x@example.se", subject="Hej", text="t", html="<p>t</p>"))
    outbox_name = next(iter(sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))))
    template = make_template()
    lead = make_user("reviewer", name="Lars Lead")
    own_visit, own_evidence = _visit_with_photo(make_visit, own_unit, lead, template)
    other_visit, other_evidence = _visit_with_photo(make_visit, other_unit, lead, template)
    built = World(
        own_unit,
        other_unit,
        actors,
        own_member,
        other_member,
        tokens,
        raw,
        outbox_name,
        link.rsplit("/", 1)[1],
        own_visit,
        other_visit,
        template,
        own_evidence,
        other_evidence,
    )
    from app.core.models import OutboxEmail, OutboxStatus

    row = OutboxEmail(
        message_id="<matrix@example.se>",
        recipient="x@example.se",
        subject="Hej",
        text="t",
        html="<p>t</p>",
        source="matrix",
        status=OutboxStatus.sent,
    )
    db.session.add(row)
    db.session.flush()
    built.extra["outbox_email_id"] = row.id
    for extension in EXTENSIONS:
        extension.extend(built, request)
    db.session.commit()
    return built


def _routes(app) -> list[tuple[Any, str]]:
    cases = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            cases.append((rule, method))
    # Revoking the actor's own token runs last, so that the API rows still have a working token.
    return sorted(cases, key=lambda case: ("revoke" in case[0].endpoint, case[0].rule, case[1]))


def _build(app, rule, world: World, actor, side: str) -> tuple[str, str]:
    """The URL for this rule with the own or other side's objects, and the strictest kind among its parameters."""
    values, kinds = {}, []
    for arg in sorted(rule.arguments):
        if arg not in PARAMS:
            pytest.fail(f"route {rule.rule} takes <{arg}>: describe it in PARAMS of {__file__}")
        kind, own, other = PARAMS[arg]
        values[arg] = (own if side == "own" else other)(world, actor)
        kinds.append(kind)
    url = app.url_map.bind("localhost").build(rule.endpoint, values, method=None)
    strictest = "unit" if "unit" in kinds else "personal" if "personal" in kinds else "unscoped" if kinds else "none"
    return url, strictest


def _request(client, browser, url: str, method: str, headers: dict[str, str]) -> Any:
    if url.startswith("/api/"):
        response = client.open(url, method=method, json={} if method in WRITE_METHODS else None, headers=headers)
    elif method in WRITE_METHODS:
        response = client.open(url, method=method, data={"csrf_token": browser.token()})
    else:
        response = client.open(url, method=method)
    response.get_data()
    response.close()  # static files are streamed from an open file
    return response


def test_every_route_is_in_the_matrix_and_isolates_units(app, world, new_browser):
    """Every route × role × own/other: another unit's object is a 404 for a unit member, with no change."""
    checked = 0
    problems: list[str] = []
    for role in ROLES:
        actor = world.actors[role]
        browser = new_browser()
        assert browser.login(actor).status_code == 302
        headers = {"Authorization": f"Bearer {world.raw_tokens[actor.id]}"}
        for rule, method in _routes(app):
            if rule.endpoint in ("auth.logout",):
                continue  # ends the matrix's own session; covered by tests/auth
            for side in ("own", "other"):
                url, kind = _build(app, rule, world, actor, side)
                if side == "other" and kind in ("none", "unscoped"):
                    continue  # no object of another unit in this URL
                before = database_fingerprint()
                response = _request(browser.client, browser, url, method, headers)
                changed = database_fingerprint() != before
                checked += 1
                where = f"{role} {method} {url} ({side})"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                if role == "unit_member" and side == "other" and kind == "unit":
                    if response.status_code != 404:
                        problems.append(f"{where}: expected 404, got {response.status_code}")
                    if changed:
                        problems.append(f"{where}: the database changed")
                if kind == "personal" and side == "other" and response.status_code != 404:
                    problems.append(f"{where}: someone else's personal object answered {response.status_code}")
                if method == "GET" and changed:
                    problems.append(f"{where}: a GET changed the database")
                visible = role != "unit_member" or side == "own"
                if method == "GET" and kind == "unit" and response.status_code == 404 and visible:
                    problems.append(f"{where}: visible object answered 404")
    assert not problems, "\n".join(problems)
    assert checked > 3 * len(_routes(app))


def test_unit_member_sees_no_trace_of_another_unit_on_any_page(app, world, new_browser):
    """Pages without an object in the URL (lists, start page, API lists) never mention another unit."""
    actor = world.actors["unit_member"]
    browser = new_browser()
    browser.login(actor)
    headers = {"Authorization": f"Bearer {world.raw_tokens[actor.id]}"}
    for rule, method in _routes(app):
        if method != "GET" or rule.arguments:
            continue
        url = app.url_map.bind("localhost").build(rule.endpoint, {})
        response = browser.client.get(url, headers=headers if url.startswith("/api/") else None)
        body = response.get_data(as_text=True)
        response.close()
        assert world.other_unit.name not in body, url
        assert str(world.other_unit.id) not in body, url
        assert world.other_member.name not in body, url


# ---- creates with a client-chosen id (issue 13 item 1; app/core/client_ids.py) -------------------------------------
# Each: who posts, where (to their own side), and the body, with the id of the other unit's object of that kind.


def _other_message(world: World) -> Any:
    from app.dialogue.models import Message, Thread

    return _db.session.scalar(
        select(Message).join(Thread).where(Thread.visit_id == world.other_visit.id, Message.is_internal.is_(False))
    )


def _photo_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


CLIENT_ID_CREATES: dict[str, tuple[str, Any]] = {
    "visit": (
        "reviewer",
        lambda w: (
            "/api/v1/visits",
            {
                "json": {
                    "id": str(w.other_visit.id),
                    "unit_id": str(w.own_unit.id),
                    "template_id": str(w.template.id),
                    "lead_id": str(w.actors["reviewer"].id),
                    "visit_date": (date.today() + timedelta(days=30)).isoformat(),
                }
            },
            w.other_visit.id,
        ),
    ),
    "finding": (
        "coordinator",
        lambda w: (
            f"/api/v1/visits/{w.own_visit.id}/findings",
            {"json": {"id": str(w.other_visit.findings[0].id), "kind": "strength", "text": "Ny styrka."}},
            w.other_visit.findings[0].id,
        ),
    ),
    "evidence": (
        "coordinator",
        lambda w: (
            f"/api/v1/findings/{w.own_visit.findings[0].id}/evidence",
            {
                "data": {"id": str(w.other_evidence.id), "file": (io.BytesIO(_photo_bytes()), "bild.jpg")},
                "content_type": "multipart/form-data",
            },
            w.other_evidence.id,
        ),
    ),
    "message": (
        "unit_member",
        lambda w: (
            f"/api/v1/visits/{w.own_visit.id}/messages",
            {"json": {"id": str(_other_message(w).id), "text": "Hej från enheten."}},
            _other_message(w).id,
        ),
    ),
    "follow-up": (
        "unit_member",
        lambda w: (
            f"/api/v1/units/{w.own_unit.id}/follow-ups",
            {
                "json": {
                    "id": str(w.extra["other_follow_up"].id),
                    "title": "Rutin för larm",
                    "description": "Ta fram en rutin.",
                    "due_date": (date.today() + timedelta(days=60)).isoformat(),
                }
            },
            w.extra["other_follow_up"].id,
        ),
    ),
    "boundary": (
        "unit_member",
        lambda w: (
            f"/api/v1/units/{w.own_unit.id}/boundaries",
            {"json": {"id": str(w.extra["other_proposal"].id), "kind": "serious_deviation", "rationale": "Vår."}},
            w.extra["other_proposal"].id,
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(CLIENT_ID_CREATES))
def test_a_create_with_another_units_id_answers_as_unknown(client, world, kind):
    """The id of another unit's object on a create: a 422 on ``id`` that names nothing of that object, and no change."""
    from app.core.client_ids import ID_TAKEN

    role, build = CLIENT_ID_CREATES[kind]
    url, body, taken_id = build(world)
    headers = {"Authorization": f"Bearer {world.raw_tokens[world.actors[role].id]}"}
    before = database_fingerprint()
    response = client.post(url, headers=headers, **body)
    text = response.get_data(as_text=True)
    assert response.status_code == 422, text
    assert response.json["errors"] == {"id": [str(ID_TAKEN)]}
    assert str(taken_id) not in text
    assert world.other_unit.name not in text
    assert database_fingerprint() == before
