"""Refused access to objects is logged, rate-limited, with who, what and when (issue 13 item 6; ASVS 16.3.2)."""

from __future__ import annotations

import logging
import uuid

import pytest

from app.core import security_log


@pytest.fixture(autouse=True)
def _fresh_windows():
    security_log.reset()
    yield
    security_log.reset()


def _refusals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "security_event", None) == "access_refused"]


def test_another_units_visit_is_logged_with_who_what_and_when(
    client, make_user, make_unit, make_visit, api_token, caplog
):
    own, other = make_unit("Egen"), make_unit("Annan")
    member = make_user("unit_member", units=[own])
    visit = make_visit("planned", unit=other)
    with caplog.at_level(logging.WARNING, logger="tillsyn.security"):
        response = client.get(f"/api/v1/visits/{visit.id}", headers=api_token(member))
    assert response.status_code == 404
    (record,) = _refusals(caplog)
    assert record.actor == f"user:{member.id}"
    assert record.objects == {"visit_id": str(visit.id)}
    assert record.status == 404
    assert record.created  # when: the record's own time


def test_a_page_url_refused_is_logged_too(browser, make_user, caplog):
    browser.login(make_user("unit_member", units=[]))
    with caplog.at_level(logging.WARNING, logger="tillsyn.security"):
        browser.get(f"/visits/{uuid.uuid4()}")
    assert len(_refusals(caplog)) == 1


def test_a_visible_object_is_not_logged(client, make_user, make_unit, api_token, caplog):
    unit = make_unit()
    with caplog.at_level(logging.WARNING, logger="tillsyn.security"):
        assert client.get(f"/api/v1/units/{unit.id}", headers=api_token(make_user("reviewer"))).status_code == 200
    assert _refusals(caplog) == []


def test_probing_many_ids_is_logged_at_most_the_limit_a_minute(app, client, make_user, api_token, caplog):
    app.config["SECURITY_LOG_PER_MINUTE"] = 3
    headers = api_token(make_user("unit_member", units=[]))
    with caplog.at_level(logging.WARNING, logger="tillsyn.security"):
        for _ in range(10):
            client.get(f"/api/v1/visits/{uuid.uuid4()}", headers=headers)
    assert len(_refusals(caplog)) == 3
