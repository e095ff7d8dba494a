"""Each unit's stored plan (DESIGN.md 4.7): its interval, the reason as a code with the date its sentence names,
and the next visit due, so that the planning page and the units list filter, sort and page in SQL (issues 16, 17).

Written by ``app.planning.services.recalculate`` in the transaction of every change the rule reads (a visit
becoming final or leaving final, a finding of a final visit, a breach, a trust change, a new unit) and by
``flask planning recalculate`` after the settings of 4.7 change. The rows are facts of the data only, never of
today: the one input that changes with time alone (a breach older than ``VISIT_INTERVAL_MONTHS`` no longer
counts) is stored as the day it stops counting (``changes_on``) and the plan that holds from then on
(``later_*``); a reader picks by its own today (``services.effective``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import UTCDateTime, utcnow
from app.extensions import Model


class StoredPlan(Model):
    """One unit's plan. ``interval_reason`` is an ``IntervalReason`` code, never a sentence (the sentence is made
    in the reader's language); ``interval_since`` the date that sentence names (empty for "earned", whose date is
    the reader's today minus ``VISIT_INTERVAL_MONTHS``)."""

    __tablename__ = "unit_plans"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    interval_months: Mapped[int] = mapped_column(Integer)
    interval_reason: Mapped[str] = mapped_column(String(30))
    interval_since: Mapped[date | None] = mapped_column(Date)
    next_visit_due: Mapped[date] = mapped_column(Date, index=True)
    # From this day on (a breach then older than VISIT_INTERVAL_MONTHS) the later_* values hold; empty: never.
    changes_on: Mapped[date | None] = mapped_column(Date)
    later_interval_months: Mapped[int | None] = mapped_column(Integer)
    later_interval_reason: Mapped[str | None] = mapped_column(String(30))
    later_next_visit_due: Mapped[date | None] = mapped_column(Date)
    # The latest final visit's date and its lead reviewer: the units list's "latest visit" column and sort, and
    # the reviewer filter.
    last_visit_date: Mapped[date | None] = mapped_column(Date, index=True)
    last_lead_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<StoredPlan {self.unit_id} {self.interval_months} {self.interval_reason} {self.next_visit_due}>"
