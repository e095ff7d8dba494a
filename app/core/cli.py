"""What every command of the command line shares: it runs as the operator ("cli" in the audit trail), commits once
on success, and turns a refused change into a one-line error with exit code 1 (API.md, command line)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from app.core import audit
from app.core.errors import DomainError
from app.extensions import db


def operator_context() -> None:
    """Record what follows in the audit trail as done by the operator on the command line."""
    audit.set_audit_context(db.session(), audit.AuditContext(actor_id=None, actor_label="cli", via="cli"))


def as_operator(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command: run it as the operator, commit once; a ``DomainError`` rolls back and becomes a
    ``click.ClickException`` naming the fields ("field: message; …") or giving the message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        operator_context()
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except DomainError as exc:
            db.session.rollback()
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()) or exc.message
            raise click.ClickException(fields) from None

    return wrapper
