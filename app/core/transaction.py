"""Work tied to the outcome of the current database transaction.

``on_commit(fn)`` runs ``fn`` once the outermost transaction has committed; ``on_rollback(fn)`` runs it if the
transaction (or the savepoint) open when it was registered rolls back. A savepoint that is released hands its
callbacks to its parent; one that rolls back runs its rollback callbacks and forgets its commit callbacks.
Queued tasks (app.core.tasks) and uploaded files on disk (app.core.files) both rely on this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "transaction_callbacks"


def _register(kind: str, callback: Callable[[], None]) -> None:
    session = db.session()
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_KEY, []).append((owner, kind, callback))


def on_commit(callback: Callable[[], None]) -> None:
    _register("commit", callback)


def on_rollback(callback: Callable[[], None]) -> None:
    _register("rollback", callback)


def _within(owner: Any, transaction: Any) -> bool:
    """Whether ``owner`` is ``transaction`` or nested inside it (None: registered before the session began)."""
    if owner is None:
        return transaction.parent is None
    while owner is not None:
        if owner is transaction:
            return True
        owner = owner.parent
    return False


def _run(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # the transaction's outcome stands; a failed side effect is logged, not raised
        log.exception("a callback after the transaction failed")


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released (SQLAlchemy calls this hook for it too); the outer one may still roll back
    for _owner, kind, callback in session.info.pop(_KEY, []):
        if kind == "commit":
            _run(callback)


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(_KEY)
    if not pending:
        return
    kept = []
    for owner, kind, callback in pending:
        if _within(owner, previous_transaction):
            if kind == "rollback":
                _run(callback)
        else:
            kept.append((owner, kind, callback))
    session.info[_KEY] = kept


def install() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
