"""The one input layer (issue 13 items 2, 7, 8, 10; API.md conventions): text, numbers, pages and bodies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.units.models import Unit
from tests.conftest import csrf_from


@pytest.fixture
def coordinator_api(make_user, api_token):
    return api_token(make_user("coordinator"))


def _post_unit(client, headers, name):
    return client.post("/api/v1/units", json={"name": name}, headers=headers)


@pytest.mark.parametrize(
    "name",
    [
        "Skola\x00",
        "Skola\x0b",
        "Skola\x1b",
        "Skola\x7f",
        "Skola\x85",
        "Rad ett\r\nRad två",
        "Skola\u202etxet",
        "\ud800",
    ],
)
def test_unit_name_with_a_control_character_is_a_422_naming_the_field(client, coordinator_api, db, name):
    response = _post_unit(client, coordinator_api, name)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "name" in response.json["errors"]
    assert db.session.scalar(select(Unit).where(Unit.name.like("Skola%"))) is None


def test_unit_name_is_stored_in_nfc(client, coordinator_api, db):
    response = _post_unit(client, coordinator_api, "A\u030aby skola")  # Å written as A + combining ring
    assert response.status_code == 201
    assert response.json["name"] == "\u00c5by skola"
    assert db.session.scalar(select(Unit.name)) == "\u00c5by skola"


def test_a_lone_surrogate_anywhere_in_json_is_a_422(client, coordinator_api):
    body = b'{"name": "Skola", "extra": {"deep": "\\udc00"}}'
    response = client.post("/api/v1/units", data=body, content_type="application/json", headers=coordinator_api)
    assert response.status_code == 422
    assert "extra.deep" in response.json["errors"]


def test_json_nested_a_thousand_deep_is_a_422(client, coordinator_api):
    body = '{"name": "Skola", "x": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post("/api/v1/units", data=body, content_type="application/json", headers=coordinator_api)
    assert response.status_code == 422
    assert "32" in response.json["detail"]


def test_a_json_body_over_one_megabyte_is_a_413_stating_the_limit(client, coordinator_api):
    body = json.dumps({"name": "Skola", "padding": "x" * (1024 * 1024)})
    response = client.post("/api/v1/units", data=body, content_type="application/json", headers=coordinator_api)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert "1 MB" in response.json["detail"]


def test_the_413_page_states_the_limit(browser, make_user):
    browser.login(make_user("coordinator"))
    page = browser.get("/units/new")
    response = browser.client.post(
        "/units/new", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "name": "x" * (1024 * 1024 + 10)}
    )
    assert response.status_code == 413
    assert "1 MB" in response.get_data(as_text=True)


def test_a_nul_in_a_query_string_is_a_422_naming_the_parameter(client, coordinator_api):
    response = client.get("/api/v1/units?trust_level=%00", headers=coordinator_api)
    assert response.status_code == 422
    assert "trust_level" in response.json["errors"]


def test_a_nul_in_the_unit_search_of_the_page_is_a_422(browser, make_user):
    browser.login(make_user("coordinator"))
    response = browser.get("/units?q=a%00b")
    assert response.status_code == 422
    assert "q:" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", [str(2**63), "-1", "0", "abc", "1" * 400])
def test_an_insane_page_is_a_422_in_the_api(client, coordinator_api, page):
    response = client.get(f"/api/v1/units?page={page}", headers=coordinator_api)
    assert response.status_code == 422
    assert "page" in response.json["errors"]


def test_an_insane_page_is_a_422_on_a_page(browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.get(f"/units?page={2**63}").status_code == 422


def test_a_page_beyond_the_last_is_an_empty_list(client, coordinator_api, make_unit):
    make_unit("Åby skola")
    response = client.get("/api/v1/units?page=999", headers=coordinator_api)
    assert response.status_code == 200
    assert response.json["items"] == []
    assert response.json["total"] == 1


def test_a_four_hundred_digit_reading_value_is_a_422(client, make_user, make_unit, api_token):
    unit = make_unit()
    headers = api_token(make_user("coordinator"))
    body = '{"indicator": "x", "period": "2026-01", "value": ' + "9" * 400 + "}"
    response = client.post(
        f"/api/v1/units/{unit.id}/readings", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert "value" in response.json["errors"]


def test_an_idempotency_key_over_200_characters_is_a_422(client, coordinator_api):
    headers = {**coordinator_api, "Idempotency-Key": "k" * 201}
    response = client.post("/api/v1/units", json={"name": "Skola"}, headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]


def test_a_form_field_with_a_control_character_is_refused_beside_the_field(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post("/units/new", {"name": "Skola\x0bett", "kind": "school"})
    assert response.status_code == 422
    assert "U+000B" in response.get_data(as_text=True)
    assert db.session.scalar(select(Unit)) is None


def test_a_form_name_with_a_line_break_is_refused(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post("/units/new", {"name": "Skola\r\nett", "kind": "school"})
    assert response.status_code == 422
    assert db.session.scalar(select(Unit)) is None


def test_a_form_name_is_stored_in_nfc(browser, make_user, db):
    browser.login(make_user("coordinator"))
    response = browser.post("/units/new", {"name": "O\u0308stra gymnasiet", "kind": "school"})
    assert response.status_code == 302
    assert db.session.scalar(select(Unit.name)) == "Östra gymnasiet"


def test_a_line_break_in_a_query_parameter_is_a_422(client):
    response = client.get("/accessibility", query_string={"from": "/x\r\nY"})
    assert response.status_code == 422
    assert "from:" in response.get_data(as_text=True)


def test_a_csv_line_with_a_nul_is_refused_naming_the_line(app, make_unit, tmp_path):
    make_unit("Östra gymnasiet")
    csv = tmp_path / "avlasningar.csv"
    csv.write_bytes(b"indicator,period,value\nlarm\x00,2026-01,95\n")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(csv), "--unit", "Östra gymnasiet"])
    assert result.exit_code == 1
    assert "2" in result.output
    assert "U+0000" in result.output


def test_a_csv_upload_with_control_characters_is_a_422_page_naming_the_line(browser, make_user, make_unit):
    import io

    unit = make_unit("Åby skola")
    browser.login(make_user("coordinator"))
    data = {"file": (io.BytesIO(b"indicator,period,value\nlarm,2026-01,9\x1b5\n"), "a.csv")}
    response = browser.post(f"/units/{unit.id}/readings/import", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "U+001B" in response.get_data(as_text=True)


def test_clean_csv_normalises_to_nfc_utf8():
    from app.core.input import clean_csv

    assert clean_csv("\ufeffindicator\nO\u0308stra".encode()) == "indicator\nÖstra".encode()


def test_a_sync_batch_refuses_a_nul_item_alone(client, make_visit, api_token):
    import uuid

    visit = make_visit("in_progress", findings=())

    def op(text: str) -> dict:
        args = {"visit_id": str(visit.id), "id": str(uuid.uuid4()), "kind": "strength", "text": text}
        return {"id": str(uuid.uuid4()), "op": "add_finding", "args": args}

    batch = {"operations": [op("Bra\x00rutin"), op("Bra rutin")], "on_error": "continue"}
    response = client.post("/api/v1/sync", json=batch, headers=api_token(visit.lead))
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == [422, 201]
    assert "args.text" in response.json["results"][0]["problem"]["errors"]


def test_an_uploaded_files_name_with_a_nul_is_a_422(client, make_visit, api_token):
    import io

    visit = make_visit("in_progress")
    data = {"file": (io.BytesIO(b"%PDF-1.4\n"), "rapport\x00.pdf")}
    response = client.post(
        f"/api/v1/findings/{visit.findings[0].id}/evidence",
        data=data,
        content_type="multipart/form-data",
        headers=api_token(visit.lead),
    )
    assert response.status_code == 422
    assert "file" in response.json["errors"]
