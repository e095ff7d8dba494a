"""Tasks of the trust domain: the periodic sweep decides set-wise which units' boundaries may change verdict
(``services.units_whose_verdict_may_change``, a fixed number of statements) and fans out one evaluation per such unit.
Both are safe to run twice: an evaluation never opens a second breach for the same facts."""

from __future__ import annotations

import random
import uuid

from celery import shared_task
from sqlalchemy.exc import OperationalError

from app.core import audit
from app.extensions import db
from app.trust import services

MAX_RETRIES = 5


@shared_task(name="trust.sweep")
def sweep() -> int:
    """Beat's entry: select what is due (the units whose boundaries in force may change verdict) and fan out."""
    unit_ids = services.units_whose_verdict_may_change()
    db.session.rollback()
    for unit_id in unit_ids:
        evaluate_unit.delay(str(unit_id))
    return len(unit_ids)


@shared_task(bind=True, name="trust.evaluate_unit", max_retries=MAX_RETRIES)
def evaluate_unit(self, unit_id: str) -> int:  # type: ignore[no-untyped-def]
    """Evaluate one unit's boundaries and commit; a lock timeout or deadlock is retried with back-off."""
    audit.set_audit_context(db.session(), audit.SYSTEM)
    try:
        opened = services.evaluate_unit(uuid.UUID(unit_id))
        db.session.commit()
    except OperationalError as exc:
        db.session.rollback()
        raise self.retry(exc=exc, countdown=min(600, 15 * 2**self.request.retries) * random.uniform(0.5, 1.0)) from exc
    except Exception:
        db.session.rollback()
        raise
    return len(opened)
