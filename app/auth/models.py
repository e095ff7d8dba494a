"""People, their roles, login sessions, set-password links and API tokens."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.input import fold
from app.core.models import Auditable, IdMixin, TimestampMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import Membership


class Role(enum.StrEnum):
    coordinator = "coordinator"
    reviewer = "reviewer"
    unit_member = "unit_member"


def hash_secret(secret: str) -> str:
    """Tokens are long random strings, so a fast hash is enough (and lets us look them up)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class User(IdMixin, TimestampMixin, Auditable, Model):
    __tablename__ = "users"
    __audit_type__ = "user"
    __audit_redact__ = frozenset({"password_hash", "personal_number_hmac"})
    __audit_ignore__ = frozenset({"updated_at", "created_at", "name_key"})

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name folded (app.core.input.fold: NFKC + casefold) for search: "åsa" finds "Åsa" on SQLite too.
    name_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # "sv" or "en"; empty means the browser's choice, falling back to Swedish.
    language: Mapped[str | None] = mapped_column(String(5))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # HMAC-SHA256 (key PERSONAL_NUMBER_HMAC_KEY) of the 12-digit personal identity number, for e-legitimation
    # (SAML); the number itself is never stored (app.auth.identity).
    personal_number_hmac: Mapped[str | None] = mapped_column(String(64), unique=True)

    # The people list's default order (folded name, then id: issue 16), read in index order a page at a time.
    # Sorted by status (active first or last), then name: keyset pages of one index range (issue 17).
    __table_args__ = (
        Index("ix_users_name_key_id", "name_key", "id"),
        Index("ix_users_status_order", "is_active_account", "name_key", "id"),
    )

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    memberships: Mapped[list[Membership]] = relationship(cascade="all, delete-orphan")

    # Flask-Login protocol (we load people from our own session rows, see app.auth.sessions).
    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = fold(name or "")
        return name

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_coordinator(self) -> bool:
        return Role.coordinator in self.roles

    @property
    def is_reviewer(self) -> bool:
        return Role.reviewer in self.roles

    @property
    def is_staff(self) -> bool:
        """Coordinators and reviewers see every unit of the supervising body (DESIGN.md 4.6)."""
        return self.has_role(Role.coordinator, Role.reviewer)

    @property
    def unit_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(m.unit_id for m in self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"


class UserRole(Auditable, Model):
    __tablename__ = "user_roles"
    __audit_type__ = "user_role"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20, validate_strings=True))

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (UniqueConstraint("user_id", "role"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("user", self.user_id)


class AuthSession(IdMixin, Model):
    """A server-side login session: the cookie holds only a random token whose hash is here,
    so logout, deactivation and the idle timeout end the session for real (a replayed cookie is worthless)."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(64))
    # How the person logged in: "password", "oidc:<provider name>" or "saml".
    method: Mapped[str] = mapped_column(String(60), default="password")

    user: Mapped[User] = relationship()


class LinkedIdentity(IdMixin, Auditable, Model):
    """A person's account at an OpenID Connect provider: the provider's stable subject (``iss`` + ``sub``),
    linked on the first login by verified e-mail (DESIGN.md 4.6; issue 18)."""

    __tablename__ = "linked_identities"
    __audit_type__ = "linked_identity"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The name of the provider in OIDC_PROVIDERS it was linked through (for the person's page).
    provider: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __audit_ignore__ = frozenset({"created_at", "last_login_at"})
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("user", self.user_id)


class SamlMessageId(Model):
    """SAML ids this service provider has seen, until they expire: the ids of its own authentication requests
    (a response must answer one of them) and of every assertion it accepted (one is never accepted twice)."""

    __tablename__ = "saml_message_ids"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # "request" (an AuthnRequest we sent) or "assertion" (an assertion we accepted).
    kind: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SetPasswordToken(IdMixin, Model):
    """A one-time, expiring link to choose a password (new people, and forgotten passwords)."""

    __tablename__ = "set_password_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(IdMixin, Auditable, Model):
    """A personal bearer token for the JSON API; stored hashed, shown once."""

    __tablename__ = "api_tokens"
    __audit_type__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __audit_ignore__ = frozenset({"created_at", "last_used_at"})

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("user", self.user_id)
