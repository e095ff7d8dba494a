"""The interval rule of DESIGN.md 4.7 against hand-computed cases, each with its sentence in both languages."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from app.planning.services import IntervalReason, UnitFacts, add_months, interval_for
from app.units.models import TrustLevel

TODAY = date(2026, 11, 30)  # 24 months back: 30 November 2024
REGISTERED = date(2023, 1, 15)


def facts(*visits: tuple[date, bool], breach: date | None = None, closer_since: date | None = None) -> UnitFacts:
    return UnitFacts(
        trust_level=TrustLevel.closer_review if closer_since else TrustLevel.baseline,
        registered=REGISTERED,
        final_visits=visits,
        latest_breach=breach,
        closer_since=closer_since,
    )


def sentences(app, interval) -> tuple[str, str]:
    with app.test_request_context():
        with force_locale("en"):
            english = interval.sentence
        with force_locale("sv"):
            swedish = interval.sentence
    return english, swedish


def test_two_clean_final_visits_and_no_breach_earn_36_months(app):
    with app.app_context():
        interval = interval_for(facts((date(2026, 5, 10), False), (date(2024, 4, 2), False)), TODAY)
    assert (interval.months, interval.reason, interval.next_due) == (36, IntervalReason.earned, date(2029, 5, 10))
    assert sentences(app, interval) == (
        "36 months: no serious deviation in the two latest visits and no boundary crossed since November 2024.",
        "36 månader: ingen allvarlig brist vid de två senaste besöken och ingen gräns överskriden sedan november 2024.",
    )


def test_a_serious_deviation_in_the_latest_visit_keeps_24_months(app):
    with app.app_context():
        interval = interval_for(facts((date(2026, 5, 10), True), (date(2024, 4, 2), False)), TODAY)
    assert (interval.months, interval.reason, interval.next_due) == (
        24,
        IntervalReason.serious_deviation,
        date(2028, 5, 10),
    )
    assert sentences(app, interval) == (
        "24 months: a serious deviation was recorded at the visit of May 10, 2026.",
        "24 månader: en allvarlig brist noterades vid besöket den 10 maj 2026.",
    )


def test_a_serious_deviation_in_the_earlier_of_the_two_visits_keeps_24_months(app):
    with app.app_context():
        interval = interval_for(facts((date(2026, 5, 10), False), (date(2024, 4, 2), True)), TODAY)
    assert (interval.months, interval.since, interval.next_due) == (24, date(2024, 4, 2), date(2028, 5, 10))


def test_a_breach_within_24_months_keeps_24_months(app):
    with app.app_context():
        interval = interval_for(
            facts((date(2026, 5, 10), False), (date(2024, 4, 2), False), breach=date(2025, 2, 3)), TODAY
        )
    assert (interval.months, interval.reason, interval.next_due) == (24, IntervalReason.breach, date(2028, 5, 10))
    assert sentences(app, interval) == (
        "24 months: a boundary was crossed in February 2025.",
        "24 månader: en gräns överskreds i februari 2025.",
    )


def test_a_breach_older_than_24_months_no_longer_counts(app):
    with app.app_context():
        interval = interval_for(
            facts((date(2026, 5, 10), False), (date(2024, 4, 2), False), breach=date(2024, 11, 29)), TODAY
        )
    assert interval.months == 36


def test_closer_review_gives_6_months_from_the_latest_visit(app):
    with app.app_context():
        interval = interval_for(
            facts((date(2026, 5, 10), False), (date(2024, 4, 2), False), closer_since=date(2026, 9, 1)), TODAY
        )
    assert (interval.months, interval.reason, interval.next_due) == (
        6,
        IntervalReason.closer_review,
        date(2026, 11, 10),
    )
    assert sentences(app, interval) == (
        "6 months: the unit has been in closer review since September 1, 2026.",
        "6 månader: enheten har varit under fördjupad granskning sedan den 1 september 2026.",
    )


def test_a_unit_never_visited_is_due_24_months_after_registration(app):
    with app.app_context():
        interval = interval_for(facts(), TODAY)
    assert (interval.months, interval.reason, interval.next_due) == (
        24,
        IntervalReason.never_visited,
        date(2025, 1, 15),
    )
    assert sentences(app, interval) == (
        "24 months: not visited yet, so the first visit is due 24 months after the unit was registered.",
        "24 månader: enheten har inte besökts än, så det första besöket ska göras senast 24 månader efter att "
        "enheten registrerades.",
    )


def test_a_single_clean_final_visit_keeps_24_months(app):
    with app.app_context():
        interval = interval_for(facts((date(2026, 5, 10), False)), TODAY)
    assert (interval.months, interval.reason, interval.next_due) == (24, IntervalReason.one_visit, date(2028, 5, 10))
    assert sentences(app, interval) == (
        "24 months: only one final visit so far; two visits without a serious deviation earn a longer interval.",
        "24 månader: bara ett avslutat besök hittills; två besök utan allvarlig brist ger ett längre intervall.",
    )


def test_the_intervals_follow_the_settings(app):
    app.config.update(VISIT_INTERVAL_MONTHS=12, EARNED_INTERVAL_MONTHS=18)
    with app.app_context():
        earned = interval_for(facts((date(2026, 5, 10), False), (date(2025, 4, 2), False)), TODAY)
        single = interval_for(facts((date(2026, 5, 10), False)), TODAY)
    assert (earned.months, earned.next_due, single.months) == (18, date(2027, 11, 10), 12)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2024, 2, 29), 36, date(2027, 2, 28)),
        (date(2026, 11, 30), -24, date(2024, 11, 30)),
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected
