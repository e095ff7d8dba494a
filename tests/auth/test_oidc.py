"""Login through an OpenID Connect provider, against node's oidc-provider on a loopback port (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import LinkedIdentity
from tests.auth.peers import through_oidc_provider

CALLBACK = "http://localhost/login/oidc/test/callback"


@pytest.fixture
def app_config(app_config, oidc_peer):
    app_config["OIDC_PROVIDERS"] = [oidc_peer.provider_config()]
    return app_config


def oidc_login(client, peer, login: str, *, alter_authorization=None, alter_callback=None):
    start = client.get("/login/oidc/test")
    assert start.status_code == 302, start.text
    authorization = start.headers["Location"]
    if alter_authorization:
        authorization = alter_authorization(authorization)
    callback = through_oidc_provider(authorization, login=login, stop_at=CALLBACK)
    if alter_callback:
        callback = alter_callback(callback)
    return client.get(callback)


def test_first_login_links_by_verified_email(client, db, oidc_peer, make_user):
    person = make_user("reviewer", email="rita@kommun.example", name="Rita Reviewer")
    oidc_peer.add_account("rita-sub", email="rita@kommun.example", email_verified=True)
    response = oidc_login(client, oidc_peer, "rita-sub")
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/start")
    assert "Rita Reviewer" in client.get("/start").text
    link = db.session.scalar(select(LinkedIdentity))
    assert (link.user_id, link.issuer, link.subject) == (person.id, oidc_peer.issuer, "rita-sub")
