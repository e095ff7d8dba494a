"""People, login sessions, set-password links and API tokens (DESIGN.md 2, 4.6; issue: foundation)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.orm import selectinload

from app.auth import passwords
from app.auth import policy as auth_policy
from app.auth.models import ApiToken, AuthSession, Role, SetPasswordToken, User, UserRole, hash_secret
from app.core import access, audit, mail, signals
from app.core import input as input_layer
from app.core.errors import DomainError, InvalidInput
from app.core.input import fold
from app.core.models import utcnow
from app.core.pagination import Key, keyset_order
from app.core.urls import external_url
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Membership, Unit
from app.units.services import normalise_email

# ---- people ---------------------------------------------------------------------------------------

PEOPLE_SORTS = ("name", "email", "roles", "status")


@dataclass
class PeopleFilter:
    """What the people list shows (issue 16), kept in the URL: part of the name or e-mail ``q``, a ``role``,
    membership of a unit (or of a unit whose name holds ``unit_name``), of any unit of an owner (huvudman: the
    municipality), active or deactivated accounts, sorted by one of ``PEOPLE_SORTS`` either way."""

    q: str = ""
    role: Role | None = None
    unit_id: uuid.UUID | None = None
    unit_owner: str | None = None
    unit_name: str = ""  # part of a unit's name, any case
    active: bool | None = None
    sort: str = "name"
    descending: bool = False


def people_rows(actor: User, filters: PeopleFilter) -> list[tuple[str, str, list[Role], list[str], bool]]:
    """The whole filtered people list in its order as plain rows for a CSV download, in three statements however
    long: ``(name, email, roles, unit names sorted, active)``."""
    query = people_query(actor, filters, with_memberships=False)
    people = db.session.execute(query.with_only_columns(User.id, User.name, User.email, User.is_active_account)).all()
    ids = query.with_only_columns(User.id).order_by(None)
    roles: dict[uuid.UUID, list[Role]] = {}
    for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(ids))):
        roles.setdefault(user_id, []).append(role)
    units: dict[uuid.UUID, list[str]] = {}
    for user_id, name in db.session.execute(
        select(Membership.user_id, Unit.name)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.user_id.in_(ids))
        .order_by(Unit.name_key)
    ):
        units.setdefault(user_id, []).append(name)
    return [(n, e, sorted(roles.get(i, [])), units.get(i, []), a) for i, n, e, a in people]


def people_query(actor: User, filters: PeopleFilter, *, with_memberships: bool = True) -> Select[User]:
    """The people the actor may see (``auth_policy.visible_users``) under ``filters``, sorted by the column with
    the person's id as the unique tiebreaker (so a page never repeats or skips anyone): ``people_keyset``'s
    query in its keys' order. Roles sort by the first of the person's roles in the order coordinator, reviewer,
    unit member."""
    query, keys = people_keyset(actor, filters, with_memberships=with_memberships)
    return query.order_by(*(keyset_order(key) for key in keys))


def people_keyset(
    actor: User, filters: PeopleFilter, *, with_memberships: bool = True
) -> tuple[Select[User], list[Key]]:
    """``people_query`` for keyset pages (``app.core.pagination.keyset_page``, issue 17): the filtered query
    without an ORDER BY, and its keys all one way: name ``(name_key, id)`` and e-mail ``(email, id)`` (the e-mail
    is unique), status ``(is_active_account, name_key, id)`` (each a range of one index), roles ``(first role's
    rank, name_key, id)`` (a per-person subquery: sorted, not an index range; the list holds people, not
    visits)."""
    query = auth_policy.visible_users(actor)
    if with_memberships:
        query = query.options(selectinload(User.memberships))
    if filters.q:
        key = fold(filters.q)
        query = query.where(User.name_key.contains(key, autoescape=True) | User.email.contains(key, autoescape=True))
    if filters.role is not None:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == filters.role)))
    if filters.unit_id is not None:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.unit_id == filters.unit_id)))
    if filters.unit_name:
        named = select(Unit.id).where(Unit.name_key.contains(fold(filters.unit_name), autoescape=True))
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.unit_id.in_(named))))
    if filters.unit_owner:
        of_owner = select(Unit.id).where(Unit.owner == filters.unit_owner)
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.unit_id.in_(of_owner))))
    if filters.active is not None:
        query = query.where(User.is_active_account.is_(filters.active))
    rank = case((UserRole.role == Role.coordinator, 1), (UserRole.role == Role.reviewer, 2), else_=3)
    columns: dict[str, list[Any]] = {
        "name": [User.name_key],
        "email": [User.email],
        "roles": [select(func.min(rank)).where(UserRole.user_id == User.id).scalar_subquery(), User.name_key],
        "status": [User.is_active_account, User.name_key],
    }
    sort = filters.sort if filters.sort in columns else "name"
    return query, [Key(column, descending=filters.descending) for column in [*columns[sort], User.id]]


def _validate_person(
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    unit_ids: Iterable[uuid.UUID],
    language: str | None,
    user_id: uuid.UUID | None,
) -> dict:
    errors: dict[str, list[str]] = {}
    try:
        email_norm = normalise_email(email, "email", required=True)
        clash = select(User.id).where(User.email == email_norm)
        if user_id is not None:
            clash = clash.where(User.id != user_id)
        if db.session.scalar(clash) is not None:
            errors["email"] = [_("Someone already has this e-mail address.")]
    except InvalidInput as exc:
        errors.update(exc.errors)
        email_norm = None
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the person's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name may be at most %(n)d characters long.", n=200)]
    try:
        role_set = {Role(r) for r in roles}
    except ValueError:
        role_set = set()
        errors["roles"] = [_("Choose roles from the list.")]
    if not role_set and "roles" not in errors:
        errors["roles"] = [_("Choose at least one role.")]
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(list(unit_ids))))) if unit_ids else []
    if Role.unit_member in role_set and not units:
        errors["units"] = [_("A unit member must belong to at least one unit.")]
    if language not in (None, "", *current_app.config["LANGUAGES"]):
        errors["language"] = [_("Choose Swedish or English.")]
    if errors:
        raise InvalidInput(errors)
    return {"email": email_norm, "name": name, "roles": role_set, "units": units, "language": language or None}


def _sync_roles_and_units(person: User, roles: set[Role], units: list[Unit]) -> None:
    for row in list(person.role_rows):
        if row.role not in roles:
            person.role_rows.remove(row)
    for role in roles - person.roles:
        person.role_rows.append(UserRole(role=role))
    wanted = {u.id for u in units}
    joined = [u.id for u in units if u.id not in person.unit_ids]
    if joined and person.id is not None:
        # Another domain refuses a membership that would make the person the unit side of a visit they review.
        signals.before_membership_added.send(person, unit_ids=joined)
    for membership in list(person.memberships):
        if membership.unit_id not in wanted:
            person.memberships.remove(membership)
    for unit in units:
        if unit.id not in person.unit_ids:
            person.memberships.append(Membership(unit=unit))


def create_user(
    *,
    actor: User | access.Operator,
    email: str,
    name: str,
    roles: Iterable[str],
    unit_ids: Iterable[uuid.UUID] = (),
    language: str | None = None,
    password: str | None = None,
) -> User:
    access.require_role(actor, Role.coordinator)  # type: ignore[arg-type]
    data = _validate_person(email=email, name=name, roles=roles, unit_ids=unit_ids, language=language, user_id=None)
    if password is not None:
        found = passwords.problems(password, email=data["email"], name=data["name"])
        if found:
            raise InvalidInput({"password": found})
    person = User(email=data["email"], name=data["name"], language=data["language"], is_active_account=True)
    person.password_hash = passwords.hash_password(password) if password is not None else None
    db.session.add(person)
    _sync_roles_and_units(person, data["roles"], data["units"])
    db.session.flush()
    return person


def update_user(
    user_id: uuid.UUID,
    *,
    actor: User,
    email: str,
    name: str,
    roles: Iterable[str],
    unit_ids: Iterable[uuid.UUID],
    language: str | None,
) -> User:
    person = auth_policy.get_user(actor, user_id)
    access.require_role(actor, Role.coordinator)
    data = _validate_person(
        email=email, name=name, roles=roles, unit_ids=unit_ids, language=language, user_id=person.id
    )
    if person.id == actor.id and Role.coordinator not in data["roles"]:
        raise DomainError(_("You cannot remove your own coordinator role."), field="roles")
    person.email, person.name, person.language = data["email"], data["name"], data["language"]
    _sync_roles_and_units(person, data["roles"], data["units"])
    db.session.flush()
    return person


def add_representative(
    *, actor: User, unit_id: uuid.UUID, email: str, name: str, language: str | None = None, send_link: bool = True
) -> tuple[User, bool]:
    """Make someone a representative (a unit member) of the unit (issue 16; coordinators). An e-mail address
    already registered attaches that person (their name kept; the unit-member role added if missing), refused as
    ``InvalidInput`` on ``units`` where they review an open visit of the unit (jäv over time, DESIGN.md 4.6) and
    as ``InvalidInput`` on ``email`` where they already belong to it. Otherwise a new person is created and, with
    ``send_link``, e-mailed a set-password link through the outbox in the same transaction, as the person form
    does. Returns ``(person, created)``."""
    access.require_role(actor, Role.coordinator)
    unit = units_policy.get_unit(actor, unit_id)
    address = normalise_email(email, "email", required=True)
    existing = db.session.scalar(select(User).where(User.email == address))
    if existing is None:
        person = create_user(
            actor=actor,
            email=address or "",
            name=name,
            roles=[Role.unit_member.value],
            unit_ids=[unit.id],
            language=language,
        )
        if send_link:
            issue_set_password_link(person.id)
        return person, True
    if unit.id in existing.unit_ids:
        raise InvalidInput({"email": [_("%(name)s already belongs to this unit.", name=existing.name)]})
    current = list(db.session.scalars(select(Unit).where(Unit.id.in_(list(existing.unit_ids)))))
    _sync_roles_and_units(existing, set(existing.roles) | {Role.unit_member}, [*current, unit])
    db.session.flush()
    return existing, False


def set_language(*, actor: User, language: str | None) -> User:
    if language not in (None, "", *current_app.config["LANGUAGES"]):
        raise InvalidInput({"language": [_("Choose Swedish or English.")]})
    actor.language = language or None
    db.session.flush()
    return actor


def deactivate_user(user_id: uuid.UUID, *, actor: User) -> User:
    """Deactivation ends every session and token of the person at once."""
    person = auth_policy.get_user(actor, user_id)
    access.require_role(actor, Role.coordinator)
    if person.id == actor.id:
        raise DomainError(_("You cannot deactivate yourself."))
    person.is_active_account = False
    end_all_sessions(person.id)
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = utcnow()
    db.session.flush()
    return person


def reactivate_user(user_id: uuid.UUID, *, actor: User) -> User:
    person = auth_policy.get_user(actor, user_id)
    access.require_role(actor, Role.coordinator)
    person.is_active_account = True
    db.session.flush()
    return person


# ---- set-password links ---------------------------------------------------------------------------


def issue_set_password_link(user_id: uuid.UUID, *, send_email: bool = True) -> str:
    """A one-time link valid for SET_PASSWORD_LINK_HOURS; earlier unused links of the person stop working."""
    person = db.session.get(User, user_id)
    if person is None:
        raise DomainError(_("The person does not exist."))
    now = utcnow()
    db.session.execute(
        update(SetPasswordToken)
        .where(SetPasswordToken.user_id == person.id, SetPasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    hours = current_app.config["SET_PASSWORD_LINK_HOURS"]
    db.session.add(
        SetPasswordToken(user_id=person.id, token_hash=hash_secret(raw), expires_at=now + timedelta(hours=hours))
    )
    audit.record(db.session, action="set_password_link", object_type="user", object_id=person.id)
    link = external_url("auth.set_password", token=raw)
    if send_email:
        mail.queue(
            mail.render_email(
                "auth/set_password", to=person.email, language=person.language, person=person, link=link, hours=hours
            ),
            source="auth.set_password",
        )
    db.session.flush()
    return link


def _live_set_password_token(raw: str) -> SetPasswordToken | None:
    row = db.session.scalar(select(SetPasswordToken).where(SetPasswordToken.token_hash == hash_secret(raw)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.is_active_account:
        return None
    return row


def person_for_set_password_token(raw: str) -> User | None:
    row = _live_set_password_token(raw)
    return row.user if row else None


def set_password_with_token(raw: str, password: str) -> User:
    row = _live_set_password_token(raw)
    if row is None:
        raise DomainError(_("This link has expired or has already been used. Ask a coordinator for a new one."))
    found = passwords.problems(password, email=row.user.email, name=row.user.name)
    if found:
        raise InvalidInput({"password": found})
    row.used_at = utcnow()
    row.user.password_hash = passwords.hash_password(password)
    end_all_sessions(row.user_id)
    db.session.flush()
    return row.user


def change_password(*, actor: User, current: str, new: str, keep_session: str | None = None) -> User:
    """Change one's own password (ASVS 7.4.3): every other login session of the person ends; the one whose
    cookie token is ``keep_session`` (the request's own) goes on. API tokens stay: the profile offers to revoke
    them (``revoke_all_api_tokens``). Raises ``InvalidInput`` on ``current_password`` or ``new_password``."""
    if not passwords.verify_password(actor.password_hash, current):
        raise InvalidInput({"current_password": [_("The current password is not right.")]})
    found = passwords.problems(new, email=actor.email, name=actor.name)
    if found:
        raise InvalidInput({"new_password": found})
    actor.password_hash = passwords.hash_password(new)
    end_all_sessions(actor.id, keep=keep_session)
    audit.record(db.session, action="password_changed", object_type="user", object_id=actor.id)
    db.session.flush()
    return actor


# ---- login sessions -------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The person for these credentials, or None. Records the attempt either way."""
    person = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    # One hash verification for every kind of account (unknown, deactivated, no password set yet), so the
    # answer's timing tells nothing about which kind it is (ASVS 6.3.8).
    stored = person.password_hash if person is not None and person.password_hash else None
    matches = passwords.verify_password(stored or passwords.DUMMY_HASH, password) and stored is not None
    ok = person is not None and person.is_active_account and matches
    audit.record(
        db.session,
        action="login" if ok else "login_failed",
        object_type="user",
        object_id=person.id if person else "-",
        changes={"method": "password"},
        actor_label=None if ok else (email or "")[:320],
    )
    return person if ok else None


def start_session(person: User, *, client_address: str | None, method: str = "password") -> str:
    """A new server-side session; the returned token goes into the (signed) cookie, its hash into the database.
    ``method`` is how the person logged in ("password", "oidc:<provider>", "saml"), kept with the session."""
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthSession(user_id=person.id, token_hash=hash_secret(raw), client_address=client_address, method=method)
    )
    db.session.flush()
    return raw


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])


def _absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def load_session(raw: str | None, *, touch: bool = True) -> AuthSession | None:
    """The live session for a cookie token, or None when it ended, went idle (``IDLE_TIMEOUT_MINUTES``), reached
    its absolute lifetime (``SESSION_MAX_HOURS`` since login, however active: ASVS 7.3.2) or its person was
    deactivated. An ending session is marked ended (the caller commits)."""
    if not raw:
        return None
    row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == hash_secret(raw)))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    too_old = now - row.created_at > _absolute_limit()
    if now - row.last_seen_at > _idle_limit() or too_old or not row.user.is_active_account:
        row.ended_at = now
        return None
    if touch and now - row.last_seen_at > timedelta(seconds=15):
        row.last_seen_at = now
    return row


def session_owner(raw: str | None) -> uuid.UUID | None:
    """The person a session token was issued to, live or ended (whose typed text to keep, DESIGN.md 4.8)."""
    if not raw:
        return None
    return db.session.scalar(select(AuthSession.user_id).where(AuthSession.token_hash == hash_secret(raw)))


def extend_session(raw: str | None) -> None:
    row = load_session(raw, touch=False)
    if row is not None:
        row.last_seen_at = utcnow()


def end_session(raw: str | None) -> None:
    if raw:
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == hash_secret(raw), AuthSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all_sessions(user_id: uuid.UUID, *, keep: str | None = None) -> None:
    """End every live session of the person, but the one whose cookie token is ``keep``."""
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
    if keep:
        query = query.where(AuthSession.token_hash != hash_secret(keep))
    db.session.execute(query.values(ended_at=utcnow()))


def purge_stale_sessions() -> int:
    """Forget sessions that ended or went idle more than a day ago."""
    cutoff = utcnow() - _idle_limit() - timedelta(days=1)
    result = db.session.execute(
        delete(AuthSession).where((AuthSession.ended_at < cutoff) | (AuthSession.last_seen_at < cutoff))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- API tokens -----------------------------------------------------------------------------------


def create_api_token(*, actor: User, label: str) -> tuple[ApiToken, str]:
    """A new personal token; the raw value is returned once and only its hash is kept."""
    label = (label or "").strip() or _("API token")
    if len(label) > 100:
        raise InvalidInput({"label": [_("The label may be at most %(n)d characters long.", n=100)]})
    raw = "tl_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, label=label, token_hash=hash_secret(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    return token, raw


def revoke_api_token(token_id: uuid.UUID, *, actor: User) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.is_coordinator):
        from app.core.errors import NotFound

        raise NotFound(_("The token does not exist."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    return token


def revoke_all_api_tokens(*, actor: User) -> int:
    """Revoke every live API token of the actor (offered after a password change); returns how many."""
    live = db.session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))).all()
    for token in live:
        revoke_api_token(token.id, actor=actor)
    return len(live)


def person_for_api_token(raw: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active_account:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return token.user


# ---- importing people (issue 16; API.md: flask users import) ---------------------------------------

IMPORT_COLUMNS = ("email", "name", "role", "units")


@dataclass
class PeopleImport:
    """What an import did, or would do in a dry run: "Name <email>" of the people created and of those who
    were given more units or roles, in file order."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class _PlannedPerson:
    line: int
    existing: User | None
    email: str
    name: str
    roles: set[Role]
    units: list[Unit]


def _import_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows by line number (the header is line 1), comma- or semicolon-separated, a BOM allowed;
    ``InvalidInput`` on ``file`` when the header is not ``email,name,role,units`` (any order, units optional)."""
    header, rows = input_layer.csv_rows(text)
    wrong = len(set(header)) < len(header) or any(h not in IMPORT_COLUMNS for h in header)
    if wrong or any(c not in header for c in ("email", "name", "role")):
        raise InvalidInput(
            {
                "file": [
                    _(
                        "Line 1: the columns must be %(columns)s (units may be left out).",
                        columns=", ".join(IMPORT_COLUMNS),
                    )
                ]
            }
        )
    return rows


def _plan_line(
    line: int,
    row: dict[str, str],
    *,
    people: dict[str, User],
    units_by_key: dict[str, Unit],
    units_by_id: dict[str, Unit],
) -> tuple[_PlannedPerson | None, list[tuple[str, str]]]:
    """One line checked: the planned person, or the (column, message) pairs of what is wrong with it."""
    errors: list[tuple[str, str]] = []
    email = ""
    try:
        email = normalise_email(row.get("email"), "email", required=True) or ""
    except InvalidInput as exc:
        errors.extend(("email", m) for m in exc.errors["email"])
    name = row.get("name", "")
    if not name:
        errors.append(("name", _("Enter the person's name.")))
    elif len(name) > 200:
        errors.append(("name", _("The name may be at most %(n)d characters long.", n=200)))
    roles: set[Role] = set()
    for value in filter(None, (r.strip().lower() for r in row.get("role", "").split("|"))):
        if value not in Role.__members__:
            errors.append(("role", _("Use coordinator, reviewer or unit_member (several separated by |).")))
            break
        roles.add(Role(value))
    if not roles and not any(c == "role" for c, _m in errors):
        errors.append(("role", _("Choose at least one role.")))
    units: list[Unit] = []
    for ref in filter(None, (u.strip() for u in row.get("units", "").split("|"))):
        unit = units_by_id.get(ref.lower()) or units_by_key.get(fold(ref))
        if unit is None:
            errors.append(("units", _("There is no unit named %(name)s.", name=ref)))
        elif unit not in units:
            units.append(unit)
    existing = people.get(email)
    unit_errors = any(c == "units" for c, _m in errors)
    if Role.unit_member in roles and not units and not unit_errors and not (existing and existing.unit_ids):
        errors.append(("units", _("A unit member must belong to at least one unit.")))
    if existing is not None and not errors:
        joined = [u.id for u in units if u.id not in existing.unit_ids]
        if joined:
            try:  # jäv over time (DESIGN.md 4.6): refused as the person form and users add-unit refuse it
                signals.before_membership_added.send(existing, unit_ids=joined)
            except InvalidInput as exc:
                errors.extend(("units", m) for messages in exc.errors.values() for m in messages)
    if errors:
        return None, errors
    return _PlannedPerson(line, existing, email, name, roles, units), []


def import_people(*, actor: User | access.Operator, text: str, dry_run: bool = False) -> PeopleImport:
    """Create people from CSV text (``email,name,role,units``, several roles or units separated by ``|``, a unit
    by its name in any case or its id; API.md ``users import``), all or nothing. A line whose e-mail address
    belongs to someone already gives that person the line's roles and units in addition (their name is kept),
    refused where jäv forbids the membership (DESIGN.md 4.6). Every bad line is named in one
    ``InvalidInput({"file": ["Line 3, role: …", …]})`` and nothing is written; an address twice in the file is
    an error on its second line. New people are e-mailed a set-password link through the outbox, in the same
    transaction. ``dry_run`` checks everything and reports what would change, writing nothing. Coordinators
    and the operator only."""
    access.require_role(actor, Role.coordinator)  # type: ignore[arg-type]
    rows = _import_rows(text)
    emails = set()
    for _line, row in rows:
        try:
            emails.add(normalise_email(row.get("email"), "email", required=True))
        except InvalidInput:
            continue
    people = {p.email: p for p in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    all_units = list(db.session.scalars(select(Unit)))
    units_by_key = {u.name_key: u for u in all_units}
    units_by_id = {str(u.id): u for u in all_units}
    errors: list[str] = []
    seen: dict[str, int] = {}
    plan: list[_PlannedPerson] = []
    for line, row in rows:
        planned, problems = _plan_line(line, row, people=people, units_by_key=units_by_key, units_by_id=units_by_id)
        errors.extend(
            _("Line %(line)d, %(column)s: %(message)s", line=line, column=column, message=message)
            for column, message in problems
        )
        if planned is None:
            continue
        if planned.email in seen:
            errors.append(
                _(
                    "Line %(line)d: %(email)s is also on line %(first)d.",
                    line=line,
                    email=planned.email,
                    first=seen[planned.email],
                )
            )
            continue
        seen[planned.email] = line
        plan.append(planned)
    if not rows:
        errors.append(_("The file has no people."))
    if errors:
        raise InvalidInput({"file": errors})
    report = PeopleImport(dry_run=dry_run)
    for planned in plan:
        label = f"{planned.existing.name if planned.existing else planned.name} <{planned.email}>"
        if planned.existing is None:
            report.created.append(label)
        elif (planned.roles - planned.existing.roles) or any(
            u.id not in planned.existing.unit_ids for u in planned.units
        ):
            report.updated.append(label)
        if dry_run:
            continue
        if planned.existing is None:
            person = User(email=planned.email, name=planned.name, language=None, is_active_account=True)
            db.session.add(person)
            _sync_roles_and_units(person, planned.roles, planned.units)
            db.session.flush()
            issue_set_password_link(person.id)
        else:
            person = planned.existing
            current_units = list(db.session.scalars(select(Unit).where(Unit.id.in_(list(person.unit_ids)))))
            _sync_roles_and_units(
                person,
                set(person.roles) | planned.roles,
                current_units + [u for u in planned.units if u not in current_units],
            )
    db.session.flush()
    return report
