"""app.core.run: how every view runs a service — one commit on success; on a refusal nothing is kept, and the
person is told beside the form or in a flashed message, or sent to the error page for 403/404."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from wtforms import StringField

from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.forms import EmptyForm
from app.core.run import run_service
from app.units.models import Unit


class NameForm(EmptyForm):
    name = StringField()


def units(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def refuse(error: DomainError):
    def call() -> None:
        raise error

    return call


def add_unit(db, name: str) -> Unit:
    unit = Unit(name=name)
    db.session.add(unit)
    db.session.flush()
    return unit


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_a_successful_call_is_committed_and_its_value_returned(db, request_context):
    outcome = run_service(lambda: add_unit(db, "Ekbacken"))
    db.session.rollback()  # only what was committed is left
    assert outcome and outcome.value is not None and outcome.value.name == "Ekbacken"
    assert units(db) == 1


def test_a_refusal_keeps_nothing_and_names_the_field_on_the_form(db, request_context):
    form = NameForm(meta={"csrf": False})

    def refused() -> Unit:
        add_unit(db, "Ekbacken")
        raise InvalidInput({"name": ["Write a name."], "elsewhere": ["Not a field of the form."]})

    outcome = run_service(refused, form=form)
    assert not outcome and outcome.status == 422
    assert units(db) == 0
    assert form.name.errors == ["Write a name."]
    assert form.form_errors == ["Not a field of the form."]


def test_a_rule_without_a_field_becomes_an_error_of_the_whole_form(db, request_context):
    form = NameForm(meta={"csrf": False})
    outcome = run_service(refuse(DomainError("Not now.")), form=form)
    assert outcome.status == 409 and form.form_errors == ["Not now."]


def test_a_refusal_can_be_flashed_instead(db, request_context):
    run_service(refuse(DomainError("Not now.")), flash_refusal=True)
    assert get_flashed_messages(with_categories=True) == [("error", "Not now.")]


@pytest.mark.parametrize("error", [Forbidden("No."), NotFound("Gone.")])
def test_forbidden_and_not_found_go_to_the_error_page_after_a_rollback(db, request_context, error):
    def refused() -> None:
        add_unit(db, "Ekbacken")
        raise error

    with pytest.raises(type(error)):
        run_service(refused, form=NameForm(meta={"csrf": False}))
    assert units(db) == 0


def test_only_the_refusals_asked_for_are_caught(db, request_context):
    with pytest.raises(DomainError):
        run_service(refuse(DomainError("Not now.")), refusals=InvalidInput)


def test_in_the_api_every_refusal_goes_on_to_the_problem_json_handler(app, db):
    with app.test_request_context("/api/v1/units", method="POST"), pytest.raises(InvalidInput):
        run_service(refuse(InvalidInput({"name": ["Write a name."]})), form=NameForm(meta={"csrf": False}))
