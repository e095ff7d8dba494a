"""Arbitrary Unicode into the writes (issue 13): whatever is typed or sent — NUL, lone surrogates, bidi overrides,
line breaks in names, decomposed letters, huge and tiny numbers — never answers 500; the API either stores the
text exactly as normalised (NFC, trimmed) or answers 422 naming the field. Bounded: ``EXAMPLES`` per write."""

from __future__ import annotations

import itertools
import json
import unicodedata
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 25
NASTY = ["\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\r\n", "\n", "\t", "\x0b", "\x1b", "\x7f", "\x85", "\u2028"]
LETTERS = ["A\u030a", "Å", "ä", "Ö", "ß", "\ufb01", "é", "e\u0301", " ", "x", "漢", "🙂", "\u200f"]
texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(NASTY + LETTERS), min_size=1, max_size=12).map("".join),
)
numbers = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1e-300, -1e-300, 10**15, "93,5", "1e400", "", "NaN"]),
)
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
_serial = itertools.count()


def _expected(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _urlencoded(fields: dict[str, str]) -> str:
    """A form or query string as raw bytes would carry it: a lone surrogate goes as its (invalid) UTF-8 bytes."""
    from urllib.parse import quote_from_bytes

    return "&".join(f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in fields.items())


def _raw_json(body: dict[str, Any]) -> bytes:
    """JSON as a client may send it: lone surrogates written as \\uXXXX escapes (Python's json does that)."""
    return json.dumps(body).encode()


@pytest.fixture
def world(make_user, make_unit, make_visit, api_token, request) -> dict[str, Any]:
    unit = make_unit("Åby skola")
    visit = make_visit("in_progress", unit=unit)
    coordinator = make_user("coordinator")
    member = make_user("unit_member", units=[unit])
    request.getfixturevalue("make_indicator")("larm_inom_10_min")
    return {"unit": unit, "visit": visit, "coordinator": api_token(coordinator), "member": api_token(member)}


def _post(client, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(url, data=_raw_json(body), content_type="application/json", headers=headers)


def _check_text(response: Any, field: str, sent: str, stored: Any) -> None:
    assert response.status_code != 500, response.get_data(as_text=True)
    if response.status_code in (200, 201):
        assert stored(response.json) == _expected(sent)
    else:
        assert response.status_code in (409, 422), response.get_data(as_text=True)
        if response.status_code == 422:
            assert field in response.json.get("errors", {}) or field in response.json["detail"], response.json


def test_unit_names_via_the_api(client, world):
    @given(texts)
    @BOUNDED
    def check(name: str) -> None:
        sent = f"Enhet {next(_serial)} {name}"
        response = _post(client, "/api/v1/units", {"name": sent}, world["coordinator"])
        _check_text(response, "name", sent, lambda body: body["name"])

    check()


def test_finding_texts_via_the_api(client, world):
    url = f"/api/v1/visits/{world['visit'].id}/findings"

    @given(texts)
    @BOUNDED
    def check(text: str) -> None:
        response = _post(client, url, {"kind": "strength", "text": text}, world["coordinator"])
        _check_text(response, "text", text, lambda body: body["text"])

    check()


def test_messages_via_the_api(client, world):
    url = f"/api/v1/visits/{world['visit'].id}/messages"

    @given(texts)
    @BOUNDED
    def check(text: str) -> None:
        response = _post(client, url, {"text": text, "internal": True}, world["coordinator"])
        _check_text(response, "text", text, lambda body: body["text"])

    check()


def test_follow_up_titles_via_the_api(client, world):
    url = f"/api/v1/units/{world['unit'].id}/follow-ups"
    due = (date.today() + timedelta(days=30)).isoformat()

    @given(texts, texts)
    @BOUNDED
    def check(title: str, description: str) -> None:
        body = {"title": f"Åtgärd {title}", "description": f"Beskrivning {description}", "due_date": due}
        response = _post(client, url, body, world["member"])
        assert response.status_code != 500, response.get_data(as_text=True)
        if response.status_code == 201:
            assert response.json["title"] == _expected(body["title"])
            assert response.json["description"] == _expected(body["description"])
        else:
            assert response.status_code == 422
            assert set(response.json["errors"]) & {"title", "description"}

    check()


def test_indicator_keys_and_names_via_the_api(client, world):
    @given(texts, texts)
    @BOUNDED
    def check(key: str, name: str) -> None:
        body = {"key": f"k{next(_serial)}{key}", "name_sv": f"Namn {name}", "name_en": "Name"}
        response = _post(client, "/api/v1/indicators", body, world["coordinator"])
        assert response.status_code != 500, response.get_data(as_text=True)
        if response.status_code == 201:
            assert response.json["name_sv"] == _expected(body["name_sv"])
        else:
            assert response.status_code == 422
            assert set(response.json["errors"]) & {"key", "name_sv"}

    check()


def test_reading_values_via_the_api(client, world):
    url = f"/api/v1/units/{world['unit'].id}/readings"

    @given(numbers)
    @BOUNDED
    def check(value: Any) -> None:
        body = {"indicator": "larm_inom_10_min", "period": "2026-01", "value": value}
        response = _post(client, url, body, world["member"])
        assert response.status_code != 500, response.get_data(as_text=True)
        assert response.status_code in (200, 201, 422), response.get_data(as_text=True)
        if response.status_code == 422:
            assert "value" in response.json["errors"], response.json

    check()


def test_indicator_ranges_via_the_api(client, world):
    @given(numbers, numbers)
    @BOUNDED
    def check(low: Any, high: Any) -> None:
        body = {"key": f"r{next(_serial)}", "name_sv": "Andel", "name_en": "Share", "min_value": low, "max_value": high}
        response = _post(client, "/api/v1/indicators", body, world["coordinator"])
        assert response.status_code in (201, 422), response.get_data(as_text=True)
        if response.status_code == 422:
            assert set(response.json["errors"]) & {"min_value", "max_value"}, response.json

    check()


def test_withdrawal_reasons_via_the_api(client, world):
    stored = _post(
        client,
        f"/api/v1/units/{world['unit'].id}/readings",
        {"indicator": "larm_inom_10_min", "period": "2026-01", "value": 90},
        world["member"],
    )
    url = f"/api/v1/readings/{stored.json['readings'][0]['id']}/withdraw"

    @given(texts)
    @BOUNDED
    def check(reason: str) -> None:
        response = _post(client, url, {"reason": reason}, world["member"])
        assert response.status_code in (200, 422), response.get_data(as_text=True)
        if response.status_code == 200:
            assert response.json["withdrawal_reason"] == _expected(reason).strip()
        else:
            assert set(response.json["errors"]) & {"reason", "reading"}, response.json

    check()


def test_query_strings_of_the_api(client, world):
    @given(texts)
    @BOUNDED
    def check(text: str) -> None:
        query = _urlencoded({"q": text, "page": text})
        response = client.get(f"/api/v1/units?{query}", headers=world["coordinator"])
        assert response.status_code in (200, 422), response.get_data(as_text=True)

    check()


# ---- forms: never 500 ---------------------------------------------------------------------------------------------

FORMS = {
    "/units/new": ("name", {"kind": "school"}),
    "/indicators/new": ("name_sv", {"key": "nyckel", "name_en": "x"}),
    "/accessibility": ("description", {}),
}


@pytest.mark.parametrize("url", sorted(FORMS))
def test_forms_never_answer_500(browser, make_user, url):
    field, rest = FORMS[url]
    browser.login(make_user("coordinator"))
    token = browser.token()

    @given(texts)
    @BOUNDED
    def check(text: str) -> None:
        body = _urlencoded({"csrf_token": token, field: text, **rest})
        response = browser.client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 302, 422, 429), response.get_data(as_text=True)[:2000]

    check()


def test_the_message_form_never_answers_500(browser, world, make_user):
    lead = world["visit"].lead
    browser.login(lead)
    token = browser.token()

    @given(texts)
    @BOUNDED
    def check(text: str) -> None:
        body = _urlencoded({"csrf_token": token, "text": text})
        url = f"/visits/{world['visit'].id}/messages"
        response = browser.client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code in (302, 422), response.get_data(as_text=True)[:2000]

    check()
