"""Delivery of rendered e-mails: temporary failures (SMTP 4xx, timeouts, refused connections) are retried
with exponential back-off and jitter; permanent ones (5xx) fail at once instead of retrying forever."""

from __future__ import annotations

import random
import smtplib

from celery import shared_task
from celery.exceptions import Retry

from app.core import mail

MAX_RETRIES = 8
# Never schedule a retry further ahead than the broker's visibility timeout (1 h with Redis).
MAX_BACKOFF_SECONDS = 1800


def is_temporary(exc: BaseException) -> bool:
    """SMTP 4xx, a dropped or refused connection, a timeout: worth trying again later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # smtplib's other errors (disconnects) and plain network errors all derive from OSError.
    return isinstance(exc, OSError)


def backoff_seconds(retries: int, *, base: float = 30.0, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential back-off with jitter: 30 s, 60 s, 120 s… capped, times a random factor (0.5–1)."""
    return min(cap, base * 2**retries) * random.uniform(0.5, 1.0)


@shared_task(bind=True, name="mail.deliver", max_retries=MAX_RETRIES)
def deliver_email(self, payload: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    try:
        mail.deliver(mail.OutgoingEmail(**payload))
    except Retry:
        raise
    except Exception as exc:
        if is_temporary(exc) and self.request.retries < MAX_RETRIES:
            raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
        raise
