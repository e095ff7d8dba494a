"""Fixtures for the login-method tests: the real protocol peers (tests/auth/peers.py) and apps configured for them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.auth.peers import (
    OidcPeer,
    SamlIdentityProvider,
    make_key_and_certificate,
    missing_peer,
    saml_post_form,
    start_oidc_peer,
    stop,
)

# The browser suite's fixtures (a live server, Chromium, axe) and the isolation matrix's world, for this folder's
# browser and matrix tests of the login methods.
from tests.browser.conftest import (  # noqa: F401
    axe_source,
    check_accessibility,
    chromium,
    live_server_url,
    open_journey,
    screenshot_dir,
    tablet_context,
)
from tests.test_access_matrix import world  # noqa: F401

HMAC_KEY = "test-personal-number-key"
PERSONAL_NUMBER = "19121212-1212"  # Skatteverket's test number (Tolvan Tolvansson); the Luhn digit is right


@pytest.fixture(scope="module")
def oidc_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcPeer]:
    """node's oidc-provider for the test client (http://localhost, the Flask test client's host)."""
    peer = start_oidc_peer(
        tmp_path_factory.mktemp("oidc"),
        redirect_uris=["http://localhost/login/oidc/test/callback"],
        post_logout_redirect_uris=["http://localhost/login"],
    )
    try:
        yield peer
    finally:
        stop(peer.process)


@pytest.fixture
def saml_idp(tmp_path: Path) -> Iterator[SamlIdentityProvider]:
    """A pysaml2 identity provider with its own key and certificate, on a loopback port."""
    if shutil.which("xmlsec1") is None:
        missing_peer("xmlsec1 is missing (apt-get install xmlsec1): SAML cannot sign or verify")
    idp = SamlIdentityProvider(tmp_path)
    try:
        yield idp
    finally:
        idp.close()


def saml_config(tmp_path: Path, idp: SamlIdentityProvider) -> dict[str, Any]:
    """The app's settings for e-legitimation against ``idp``, with a fresh key and certificate of its own."""
    key, cert = make_key_and_certificate(tmp_path, "sp")
    return {
        "SAML_IDP_METADATA": str(idp.metadata_file),
        "SAML_SP_KEY_FILE": str(key),
        "SAML_SP_CERT_FILE": str(cert),
        "PERSONAL_NUMBER_HMAC_KEY": HMAC_KEY,
    }


def start_saml(client: Any) -> Any:
    """The login page's e-legitimation button: a POST with the page's CSRF token."""
    from tests.conftest import csrf_from

    page = client.get("/login")
    token = csrf_from(page.text) if page.status_code == 200 else csrf_from(client.get("/profile").text)
    return client.post("/saml/login", data={"csrf_token": token})


def saml_login(client: Any, idp: SamlIdentityProvider) -> Any:
    """The whole SAML round trip of a browser: our request to the IdP, its signed answer posted back to us."""
    start = start_saml(client)
    assert start.status_code == 302, start.text
    answer = requests.get(start.headers["Location"], timeout=10)
    action, fields = saml_post_form(answer.text)
    return client.post(action, data=fields)


def idp_answer(client: Any, idp: SamlIdentityProvider) -> tuple[str, dict[str, str]]:
    """Only the first half: the IdP's answer (action, form fields), not yet posted to us."""
    start = start_saml(client)
    answer = requests.get(start.headers["Location"], timeout=10)
    return saml_post_form(answer.text)
