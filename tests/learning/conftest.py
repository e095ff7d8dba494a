"""Factories of the learning tests: a visit with a strength, proposed and (optionally) consented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def make_example(db, make_visit, make_user, make_unit) -> Callable[..., Any]:
    """A strength with ``text`` on a visit out for comment, proposed by the lead; with ``consent`` a member of the
    unit consents (``named`` or by kind). Returns the example; ``example.member`` is a member of its unit."""
    from app.learning import services

    def make(
        text: str = "Skolan har tydliga rutiner för överlämning.",
        *,
        unit: Any = None,
        consent: bool = True,
        named: bool = True,
        status: str = "sent_for_comment",
        member: Any = None,
    ) -> Any:
        unit = unit or make_unit()
        member = member or make_user("unit_member", units=[unit])
        visit = make_visit(status, unit=unit, findings=(("strength", None, text),))
        example = services.propose(visit.findings[0].id, actor=visit.lead)
        if consent:
            services.answer(example.id, actor=member, consent=True, named=named)
        db.session.commit()
        example.member = member
        return example

    return make
