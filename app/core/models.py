"""Base mixins (ids, timestamps, auditing, stored files) and the append-only audit trail."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.extensions import Model


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """Where the supervision happens (Europe/Stockholm): dates, deadlines and the hour reminders go out."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    """Today in Stockholm: due dates, deadlines and months are judged by this day (just after midnight in
    Sweden the UTC date is still yesterday's)."""
    return (now or utcnow()).astimezone(local_zone()).date()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use app.core.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class IdMixin:
    # Client-visible ids are UUIDs (API.md); set eagerly so the audit hook can name new objects before the INSERT.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FileKind(enum.StrEnum):
    """What a stored upload is: a photo (JPEG or PNG, metadata stripped, with a thumbnail) or a document (PDF)."""

    photo = "photo"
    document = "document"


class StoredFileMixin:
    """The columns of a row describing one stored upload (a finding's evidence, a message's attachment, a done
    report's photo): what app.core.files.write_upload returns goes here. The file itself lives under UPLOAD_DIR
    by ``storage_name``, never under the person's name for it."""

    kind: Mapped[FileKind] = mapped_column(Enum(FileKind, native_enum=False, length=10, validate_strings=True))
    # The person's name for the file (cleaned), for display and download only.
    original_name: Mapped[str] = mapped_column(String(255))
    # The type found in the content (image/jpeg, image/png, application/pdf), never the name's.
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumbnail_name: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Auditable:
    """Marks a model whose creates, updates and deletes are written to the audit trail.

    ``__audit_type__`` names the object in the trail; ``__audit_redact__`` lists columns recorded
    only as "changed" (secrets); ``audit_scope()`` tells which unit (and parent object) an event belongs to.
    """

    __audit_type__: str = ""
    __audit_redact__: frozenset[str] = frozenset()
    __audit_ignore__: frozenset[str] = frozenset({"updated_at", "created_at"})

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        """(unit id, (parent type, parent id)) of this object, for timelines and access."""
        return None, None


class AuditEvent(IdMixin, Model):
    """One change to a domain object. Append-only: nothing updates or deletes a row (DB triggers enforce it)."""

    __tablename__ = "audit_events"

    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # Who acted when no person did: "cli", "system", or the e-mail typed at a failed login.
    actor_label: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    parent_type: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # {field: [before, after]}; redacted fields carry "***".
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_address: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(10), default="system")

    actor = relationship("User", viewonly=True, lazy="raise")

    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_parent", "parent_type", "parent_id"),
        # The whole trail in its order (API /audit): a page's ids from the index alone (issue 17).
        Index("ix_audit_events_occurred_at_id", "occurred_at", "id"),
    )


class OutboxStatus(enum.StrEnum):
    queued = "queued"  # written with its cause; a send task is on its way (until lease_until)
    sending = "sending"  # claimed by a send task that is talking to the mail server (until lease_until)
    sent = "sent"
    failed = "failed"  # refused for good (SMTP 5xx) or given up after the last attempt


class OutboxEmail(IdMixin, Model):
    """One e-mail to one recipient, written in the transaction of the change that causes it (DESIGN.md 4.9).

    Rendered when it is written, in the recipient's language; sent by the one send task (``mail.send``) and, if
    that task is lost, found again by the sweep once ``lease_until`` has passed."""

    __tablename__ = "outbox_emails"

    # The Message-ID header, the same for every attempt: a receiving system recognises a duplicate by it.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # What caused it ("reminder:<id>:<person id>", "auth.set_password", …): told to whoever listens for a refusal.
    source: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=20, validate_strings=True), default=OutboxStatus.queued
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While queued or sending: until when its task owns it; past it, the sweep sends it again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it failed; the last temporary error while it is retried.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The sweep's query: leases that ran out; only unsent rows are indexed.
        Index(
            "ix_outbox_emails_unsent",
            "status",
            "lease_until",
            postgresql_where=sql("status IN ('queued', 'sending')"),
            sqlite_where=sql("status IN ('queued', 'sending')"),
        ),
    )
