"""A hash chain over the audit trail (issue 13 item 5; DESIGN.md 4.6 "append-only audit trail"): tampering with,
removing or slipping in an event is found by ``flask --app app audit verify``.

Each committed audit event gets one link: its place in the chain (``seq``), the previous link's hash and its own
``hash = sha256(previous hash + "\\n" + canonical JSON of the event)``. Events are written during flushes, in no
order a reader could rely on; links are made when the transaction commits, under a lock (PostgreSQL: a
transaction-level advisory lock; SQLite serialises writers anyway), so the chain's order is the commit order and
two transactions never fork it. The lock is held only from the start of the commit to its end.

Links live beside the events (``audit_links``) rather than in them: an event is inserted before its transaction's
place in the commit order is known, and events are never updated. Both tables refuse UPDATE, DELETE and TRUNCATE
on PostgreSQL (migration 0010).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Uuid, event, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.models import AuditEvent
from app.extensions import Model

GENESIS = "0" * 64
PENDING_KEY = "audit_chain_pending"
CHAIN_LOCK_ID = 0x7A7D17  # the advisory lock that orders commits that carry audit events


class AuditLink(Model):
    """One audit event's place in the hash chain."""

    __tablename__ = "audit_links"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("audit_events.id", ondelete="RESTRICT"), unique=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    # sha256 hex of previous_hash + "\n" + the event's canonical JSON (``canonical``).
    hash: Mapped[str] = mapped_column(String(64))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical(row: Any) -> str:
    """The event's content as the chain hashes it: every column, keys sorted, compact JSON, UTF-8 as is."""
    values = {column.key: _plain(getattr(row, column.key)) for column in AuditEvent.__table__.columns}
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def link_hash(previous_hash: str, row: Any) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical(row)}".encode()).hexdigest()


def _remember(session: Session, flush_context: Any) -> None:
    """After each flush: the ids of the audit events it wrote (the ORM's and those inserted by ``audit``)."""
    pending: list[uuid.UUID] = session.info.setdefault(PENDING_KEY, [])
    pending.extend(obj.id for obj in session.new if isinstance(obj, AuditEvent))
    pending.extend(session.info.pop("audit_chain_core_ids", []))


def note_inserted(session: Session, ids: list[uuid.UUID]) -> None:
    """``audit`` inserts the automatic events with Core on the flush's connection: it reports their ids here."""
    session.info.setdefault("audit_chain_core_ids", []).extend(ids)


def _link(session: Session) -> None:
    """Before the commit: link this transaction's surviving events (a rolled-back savepoint took its own with it)."""
    session.flush()  # the commit's own flush comes after this hook: its events must be linked too
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    events = AuditEvent.__table__
    _append(session, events.c.id.in_(pending))


def _append(session: Session, which: Any) -> int:
    """Link the events ``which`` selects, in the order they happened, after the chain's last link."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK_ID})
    events = AuditEvent.__table__
    rows = list(connection.execute(select(events).where(which).order_by(events.c.occurred_at, events.c.id)))
    if not rows:
        return 0
    links = AuditLink.__table__
    last = connection.execute(select(links.c.seq, links.c.hash).order_by(links.c.seq.desc()).limit(1)).first()
    seq, previous = (last.seq, last.hash) if last else (0, GENESIS)
    new_links = []
    for row in rows:
        seq += 1
        digest = link_hash(previous, row)
        new_links.append({"seq": seq, "event_id": row.id, "previous_hash": previous, "hash": digest})
        previous = digest
    connection.execute(links.insert(), new_links)  # type: ignore[attr-defined]
    return len(new_links)


def seal(session: Session) -> int:
    """Link every event that is not in the chain yet (those written before the chain existed: run once after
    upgrading to migration 0010). Returns how many it linked; the caller commits."""
    links = AuditLink.__table__
    events = AuditEvent.__table__
    return _append(session, ~events.c.id.in_(select(links.c.event_id)))


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back)
        session.info.pop(PENDING_KEY, None)
        session.info.pop("audit_chain_core_ids", None)


def install(session_class: type[Session] = Session) -> None:
    if not event.contains(session_class, "after_flush", _remember):
        event.listen(session_class, "after_flush", _remember)
        event.listen(session_class, "before_commit", _link)
        event.listen(session_class, "after_transaction_end", _forget)


@dataclass
class Verification:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, *, batch: int = 5000) -> Verification:
    """Walk the chain from its start: every link's previous hash is the link before it, every hash matches its
    event's content as stored now, no number is missing, and no event lacks a link. Returns what it found."""
    problems: list[str] = []
    links = AuditLink.__table__
    events = AuditEvent.__table__
    previous, expected_seq, checked = GENESIS, 1, 0
    while True:
        rows = list(
            session.execute(
                select(links, events)
                .join(events, events.c.id == links.c.event_id, isouter=True)
                .where(links.c.seq >= expected_seq)
                .order_by(links.c.seq)
                .limit(batch)
            )
        )
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                problems.append(f"links {expected_seq}–{row.seq - 1} are missing")
            if row.previous_hash != previous:
                problems.append(f"link {row.seq}: does not follow the link before it")
            if row.id is None:
                problems.append(f"link {row.seq}: its event {row.event_id} is gone")
            elif link_hash(row.previous_hash, row) != row.hash:
                problems.append(f"link {row.seq}: event {row.id} differs from what was recorded")
            previous, expected_seq = row.hash, row.seq + 1
            checked += 1
    unlinked = session.scalar(
        select(func.count()).select_from(events).where(~events.c.id.in_(select(links.c.event_id)))
    )
    if unlinked:
        problems.append(f"{unlinked} events are not in the chain (written outside the application?)")
    return Verification(checked=checked, problems=problems)
