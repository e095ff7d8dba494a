"""Both login methods in a real Chromium (issue 18): the organisation's account through node's oidc-provider, and
e-legitimation through the pysaml2 identity provider, followed by a unit member's page set (each page checked by
axe-core for WCAG 2.1 AA, as every browser journey is)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.auth.conftest import PERSONAL_NUMBER, saml_config
from tests.auth.peers import OidcPeer, free_port, start_oidc_peer, stop

pytestmark = pytest.mark.browser


@pytest.fixture
def oidc_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config, oidc_port: int, saml_idp, tmp_path: Path):
    """Every login method at once: password, the organisation's account (OIDC) and e-legitimation (SAML)."""
    from tests.auth.peers import CLIENT_ID, CLIENT_SECRET

    app_config["OIDC_PROVIDERS"] = [
        {
            "name": "test",
            "label": "Testkommunen",
            "issuer": f"http://127.0.0.1:{oidc_port}",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "roles": ["coordinator", "reviewer"],
        }
    ]
    app_config.update(saml_config(tmp_path, saml_idp))
    return app_config


@pytest.fixture
def live_oidc_peer(live_server_url: str, oidc_port: int, tmp_path: Path) -> Iterator[OidcPeer]:
    peer = start_oidc_peer(
        tmp_path,
        port=oidc_port,
        redirect_uris=[f"{live_server_url}/login/oidc/test/callback"],
        post_logout_redirect_uris=[f"{live_server_url}/login"],
    )
    try:
        yield peer
    finally:
        stop(peer.process)


def test_staff_log_in_with_the_organisations_account_and_out_again(
    app, db, live_server_url, live_oidc_peer, open_journey, make_user
) -> None:
    from sqlalchemy import select

    from app.auth.models import AuthSession

    make_user("reviewer", email="rita@kommun.example", name="Rita Reviewer")
    live_oidc_peer.add_account("rita-sub", email="rita@kommun.example", email_verified=True)
    rita = open_journey("oidc-login", "landscape")
    page = rita.page
    rita.goto("/login")
    rita.step("login page with every method")
    page.get_by_role("link", name="Logga in med organisationens konto").click()
    page.locator("input[name=login]").fill("rita-sub")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server_url}/start")
    expect(page.get_by_text("Rita Reviewer").first).to_be_visible()
    rita.step("start page after the organisation's login")
    page.locator("header form button[type=submit]").click()
    page.wait_for_url(f"{live_oidc_peer.issuer}/session/end**")
    page.locator("button[name=logout][value=yes]").click()
    page.wait_for_url(f"{live_server_url}/login**")
    expect(page.locator("#email")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(AuthSession.ended_at)) is not None
    page.goto(f"{live_server_url}/start")
    expect(page.locator("#email")).to_be_visible()


def test_unit_member_logs_in_with_e_legitimation_and_reads_their_pages(
    app, db, live_server_url, saml_idp, open_journey, make_user, make_unit, make_visit
) -> None:
    import requests

    from app.auth import identity

    unit = make_unit("Solrosens förskola")
    coordinator = make_user("coordinator")
    member = make_user("unit_member", units=[unit], name="Tolvan Tolvansson")
    visit = make_visit("sent_for_comment", unit=unit)
    identity.register_personal_number(member.id, PERSONAL_NUMBER, actor=coordinator)
    db.session.commit()
    saml_idp.trust(requests.get(f"{live_server_url}/saml/metadata", timeout=10).text)
    saml_idp.person = {"personalIdentityNumber": ["191212121212"]}

    tolvan = open_journey("saml-unit-member", "portrait")
    page = tolvan.page
    tolvan.goto("/login")
    page.get_by_role("button", name="Logga in med BankID eller Freja").click()
    page.wait_for_url(f"{live_server_url}/start")
    expect(page.get_by_text("Tolvan Tolvansson").first).to_be_visible()
    tolvan.step("start page after e-legitimation")
    for label, path in (
        ("own unit", f"/units/{unit.id}"),
        ("visit out for comment", f"/visits/{visit.id}"),
        ("messages", "/messages"),
        ("follow-ups", "/follow-ups"),
        ("profile", "/profile"),
    ):
        tolvan.goto(path)
        tolvan.step(label)
    tolvan.goto(f"/visits/{visit.id}")
    assert "Solrosens förskola" in page.content()


def test_refusal_page_is_accessible(app, live_server_url, saml_idp, open_journey) -> None:
    import requests

    saml_idp.trust(requests.get(f"{live_server_url}/saml/metadata", timeout=10).text)
    saml_idp.person = {"personalIdentityNumber": ["191212121212"]}  # registered for nobody
    stranger = open_journey("saml-refused", "landscape")
    stranger.goto("/login")
    stranger.page.get_by_role("button", name="Logga in med BankID eller Freja").click()
    stranger.page.wait_for_url(f"{live_server_url}/saml/acs")
    stranger.problems.clear()  # the refusal is a 403 by design
    stranger.step("refused")
    expect(stranger.page.get_by_role("heading", name="Du kunde inte loggas in")).to_be_visible()
