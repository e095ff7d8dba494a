"""E-mails speak for the authority (DESIGN.md 4.1, 4.2; issue 14 item 8): the From display name is the organisation's
name when configured, and every e-mail (text and HTML) is signed with the authority's name and contact."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core import mail

ROOT = Path(__file__).resolve().parents[2]
ORGANISATION = {
    "ORGANISATION_NAME": "Socialförvaltningen i Exempelby",
    "ORGANISATION_ADDRESS": "Box 123|123 45 Exempelby",
    "ORGANISATION_PHONE": "010-123 45 67",
    "ORGANISATION_EMAIL": "tillsyn@exempelby.se",
}


@pytest.fixture
def organisation(app):
    saved = {key: app.config.get(key) for key in (*ORGANISATION, "MAIL_FROM")}
    app.config.update(ORGANISATION, MAIL_FROM="Lärande tillsyn <noreply@exempelby.se>")
    yield ORGANISATION
    app.config.update(saved)


def test_the_sender_is_the_authority_by_name_on_the_configured_address(app, organisation):
    with app.app_context():
        assert mail.sender() == "Socialförvaltningen i Exempelby <noreply@exempelby.se>"
        message = mail.OutgoingEmail(to="x@example.se", subject="Hej", text="t", html="<p>t</p>").to_message(
            mail.sender()
        )
        assert message["From"].addresses[0].display_name == "Socialförvaltningen i Exempelby"


def test_without_an_organisation_name_the_configured_sender_stands(app):
    with app.app_context():
        saved = app.config.get("ORGANISATION_NAME")
        app.config["ORGANISATION_NAME"] = None
        try:
            assert mail.sender() == app.config["MAIL_FROM"]
        finally:
            app.config["ORGANISATION_NAME"] = saved


def test_the_smtp_server_receives_the_authoritys_name_and_signature(app, organisation, smtp_server, db, make_user):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False, SMTP_USER=None)
    person = make_user("unit_member", name="Ulla Enhet", email="ulla@example.se")
    with app.test_request_context():
        email = mail.render_email(
            "auth/set_password", to=person.email, language="sv", person=person, link="http://localhost/x", hours=24
        )
        mail.deliver(email)
    [received] = smtp_server.messages
    assert received["From"].addresses[0].display_name == "Socialförvaltningen i Exempelby"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert "Socialförvaltningen i Exempelby" in part
        assert "Box 123" in part and "123 45 Exempelby" in part
        assert "Telefon: 010-123 45 67" in part
        assert "E-post: tillsyn@exempelby.se" in part


def test_every_e_mail_template_is_signed_by_the_one_layout():
    """The text part gets ``_layout/signature.txt`` from ``render_email`` itself; each HTML template extends the
    layout that carries the same signature, so no template can leave it out."""
    html = sorted(p for p in (ROOT / "templates" / "emails").glob("*/*.html") if p.parent.name != "_layout")
    assert html
    for path in html:
        assert '{% extends "emails/_layout/base.html" %}' in path.read_text(encoding="utf-8"), path.name
    layout = (ROOT / "templates" / "emails" / "_layout" / "base.html").read_text(encoding="utf-8")
    assert "organisation.display_name" in layout and "organisation.phone" in layout
