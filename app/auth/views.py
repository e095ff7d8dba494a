"""Thin views: read the form, call one service, commit, then flash and redirect (or show the errors)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth import bp, identity, services
from app.auth import policy as auth_policy
from app.auth.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    PersonForm,
    RepresentativeForm,
    SetPasswordForm,
    TokenForm,
)
from app.auth.login import begin_session
from app.auth.models import ApiToken, Role, User
from app.core import access, audit, csvexport
from app.core.errors import DomainError, InvalidInput
from app.core.forms import EmptyForm
from app.core.imports import ImportForm, upload_page
from app.core.input import fold
from app.core.pagination import keyset_page
from app.core.run import form_errors, run_service
from app.core.web import SESSION_KEY, client_address
from app.extensions import db, limiter
from app.units import policy as units_policy
from app.units.models import Unit


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_options() -> dict[str, Any]:
    """What the login page offers besides the password: the configured OpenID Connect providers (name, label)
    and whether e-legitimation (SAML) is configured."""
    from app.auth import oidc, saml

    return {
        "oidc_providers": oidc.provider_buttons(),
        "saml_enabled": saml.is_configured(),
        "saml_form": EmptyForm() if saml.is_configured() else None,
    }


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account() -> str:
    """The account a login attempt names: throttled apart from the address, which a proxy chain may vary."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _account_limit, methods=["POST"], key_func=_login_account, deduct_when=lambda response: response.status_code != 302
)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.start"))
    form = LoginForm()
    if form.validate_on_submit():
        person = services.authenticate(form.email.data or "", form.password.data or "")
        if person is None:
            db.session.commit()  # keep the record of the failed attempt
            current_app.logger.warning("failed login for %r from %s", form.email.data, client_address())
            form.password.errors = [_("The e-mail address or the password is not right.")]
        else:
            begin_session(person, method="password")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("main.start"))
    return render_template(
        "auth/login.html", form=form, **login_options()
    ), 200 if request.method == "GET" else 422 if form.errors else 200


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    form = EmptyForm()
    if form.validate_on_submit():
        from app.auth import oidc

        if current_user.is_authenticated:
            audit.record(db.session, action="logout", object_type="user", object_id=current_user.id)
        services.end_session(session.get(SESSION_KEY))
        db.session.commit()
        provider_logout = oidc.end_session_url(session)
        session.clear()
        flash(_("You are logged out."), "success")
        if provider_logout:
            return redirect(provider_logout)
    return redirect(url_for("auth.login"))


@bp.post("/session/extend")
@login_required
def extend_session():  # type: ignore[no-untyped-def]
    """The idle warning's "Continue" button: the request itself renews the session."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.start"))
    services.extend_session(session.get(SESSION_KEY))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"idle_timeout_seconds": current_app.config["IDLE_TIMEOUT_MINUTES"] * 60})
    return redirect(_safe_next(request.form.get("next")) or url_for("main.start"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):  # type: ignore[no-untyped-def]
    person = services.person_for_set_password_token(token)
    if person is None:
        return render_template("auth/link_expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit() and run_service(
        lambda: services.set_password_with_token(token, form.password.data or ""), form=form, refusals=InvalidInput
    ):
        session.clear()
        flash(_("Your password is set. Log in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, person=person), 422 if form.errors else 200


def _live_tokens() -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query))


def _profile_page(*, password_form: ChangePasswordForm | None = None, new_token: str | None = None) -> str:
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "auth/profile.html",
        language_form=LanguageForm(language=current_user.language or ""),
        password_form=password_form or ChangePasswordForm(),
        token_form=TokenForm(),
        revoke_form=EmptyForm(),
        tokens=tokens,
        live_token_count=sum(1 for t in tokens if t.revoked_at is None),
        new_token=new_token,
    )


@bp.route("/profile", methods=["GET"])
@login_required
def profile():  # type: ignore[no-untyped-def]
    return _profile_page()


@bp.post("/profile/language")
@login_required
def profile_language():  # type: ignore[no-untyped-def]
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_language(actor=current_user, language=form.language.data)
        db.session.commit()
        session.pop("lang", None)
        flash(_("Your language is saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/password")
@login_required
def profile_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():

        def password_field(exc: DomainError) -> dict[str, list[str]]:
            errors = form_errors(exc)
            if "new_password" in errors:
                errors["password"] = errors.pop("new_password")  # the form's field is "password"
            return errors

        changed = run_service(
            lambda: services.change_password(
                actor=current_user,
                current=form.current_password.data or "",
                new=form.password.data or "",
                keep_session=session.get(SESSION_KEY),
            ),
            form=form,
            errors=password_field,
            refusals=InvalidInput,
        )
        if changed:
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            if _live_tokens():
                flash(
                    _(
                        "Your API tokens still work. If someone else may have known your password, "
                        "revoke them under API tokens below."
                    ),
                    "info",
                )
            return redirect(url_for("auth.profile", _anchor="tok-h"))
    return _profile_page(password_form=form), 422


@bp.post("/profile/tokens")
@login_required
def create_token():  # type: ignore[no-untyped-def]
    form = TokenForm()
    if form.validate_on_submit():
        _token, raw = services.create_api_token(actor=current_user, label=form.label.data or "")
        db.session.commit()
        # Shown once, on this answer (never kept in the cookie, which is signed, not encrypted).
        flash(_("The token is created. Copy it now: it will not be shown again."), "success")
        return _profile_page(new_token=raw), 201
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens/revoke-all")
@login_required
def revoke_all_tokens():  # type: ignore[no-untyped-def]
    """After a password change (or any time): every API token of one's own stops working."""
    form = EmptyForm()
    if form.validate_on_submit():
        count = services.revoke_all_api_tokens(actor=current_user)
        db.session.commit()
        flash(_("%(n)d API tokens are revoked.", n=count), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens/<uuid:token_id>/revoke")
@login_required
def revoke_token(token_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = EmptyForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        from flask import abort

        abort(404)
    if form.validate_on_submit():
        services.revoke_api_token(token_id, actor=current_user)
        db.session.commit()
        flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.profile"))


# ---- people (coordinators) ------------------------------------------------------------------------


def _person_form(obj: User | None = None) -> PersonForm:
    form = PersonForm(obj=obj) if obj is not None and request.method == "GET" else PersonForm()
    form.roles.choices = [(r.value, ROLE_LABELS[r.value]) for r in Role]
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    form.units.choices = [(str(u.id), u.name) for u in units]
    if obj is not None and request.method == "GET":
        form.roles.data = sorted(r.value for r in obj.roles)
        form.units.data = [str(uid) for uid in obj.unit_ids]
        form.language.data = obj.language or ""
    return form


PICKER_LIMIT = 50


def _unit_picker(form: PersonForm) -> dict[str, Any]:
    """What the person form's unit picker shows (issue 16): the chosen units first (checked), then the units
    matching the search ``unit_q`` (every unit when it is empty), at most ``PICKER_LIMIT``, by name. Works
    without JavaScript: the "Find" button posts the form back and nothing is saved."""
    chosen_ids = set(_unit_ids(form.units.data))
    query = (request.values.get("unit_q") or "").strip()[:200]
    chosen = (
        [
            (str(i), n)
            for i, n in db.session.execute(
                select(Unit.id, Unit.name).where(Unit.id.in_(chosen_ids)).order_by(Unit.name_key)
            )
        ]
        if chosen_ids
        else []
    )
    others = select(Unit.id, Unit.name).order_by(Unit.name_key, Unit.id)
    if query:
        others = others.where(Unit.name_key.contains(fold(query), autoescape=True))
    if chosen_ids:
        others = others.where(Unit.id.not_in(chosen_ids))
    matches = [(str(i), n) for i, n in db.session.execute(others.limit(PICKER_LIMIT + 1))]
    return {
        "picker_query": query,
        "picker_chosen": chosen,
        "picker_matches": matches[:PICKER_LIMIT],
        "picker_more": len(matches) > PICKER_LIMIT,
        "picker_limit": PICKER_LIMIT,
    }


def _searching_units() -> bool:
    """The person form was posted back by the unit picker's "Find" button (nothing to save yet)."""
    return request.method == "POST" and "search_units" in request.form


@bp.get("/people/unit-options")
@login_required
def unit_options():  # type: ignore[no-untyped-def]
    """The unit picker's progressive enhancement: units whose name holds ``q`` as JSON ``[{"id", "name"}]``, at
    most ``PICKER_LIMIT``, by name (coordinators, who see every unit)."""
    access.require_role(current_user, Role.coordinator)
    query = (request.args.get("q") or "").strip()[:200]
    rows = select(Unit.id, Unit.name).order_by(Unit.name_key, Unit.id).limit(PICKER_LIMIT)
    if query:
        rows = rows.where(Unit.name_key.contains(fold(query), autoescape=True))
    return jsonify([{"id": str(i), "name": n} for i, n in db.session.execute(rows)])


def _unit_ids(values: list[str] | None) -> list[uuid.UUID]:
    ids = []
    for value in values or []:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _personal_number_options() -> dict[str, Any]:
    return {"personal_numbers_enabled": identity.personal_numbers_enabled()}


def _people_filter() -> services.PeopleFilter:
    """The people list's filters and order from the query string; an unknown value is ignored."""
    args = request.args
    role = args.get("role") or ""
    unit_id = _unit_ids([args.get("unit") or ""])
    status = args.get("status") or ""
    return services.PeopleFilter(
        q=(args.get("q") or "").strip()[:200],
        role=Role(role) if role in Role.__members__ else None,
        unit_id=unit_id[0] if unit_id else None,
        unit_owner=(args.get("owner") or "").strip()[:200] or None,
        unit_name=(args.get("unit_name") or "").strip()[:200],
        active={"active": True, "inactive": False}.get(status),
        sort=str(args.get("sort")) if args.get("sort") in services.PEOPLE_SORTS else "name",
        descending=args.get("dir") == "desc",
    )


@bp.get("/people")
@login_required
def people():  # type: ignore[no-untyped-def]
    """The people, filtered (role, unit, municipality, active or not) and sorted by every column in the URL;
    ``Accept: text/csv`` or ``?format=csv``: the same list as CSV (issue 16). Coordinators only."""
    access.require_role(current_user, Role.coordinator)
    filters = _people_filter()
    if csvexport.wants_csv():
        role_names = {key: str(label) for key, label in ROLE_LABELS.items()}  # translated once, not per row
        status_names = {True: _("Active"), False: _("Deactivated")}
        return csvexport.csv_response(
            "personer.csv",
            [_("Name"), _("E-mail address"), _("Roles"), _("Units"), _("Status")],
            [
                (name, email, ", ".join(role_names[r.value] for r in roles), ", ".join(units), status_names[active])
                for name, email, roles, units, active in services.people_rows(current_user, filters)
            ],
        )
    query, keys = services.people_keyset(current_user, filters)
    page = keyset_page(query, request.args, keys, count=True)  # the caption's total: one count statement
    return render_template(
        "auth/people.html",
        page=page,
        q=filters.q,
        filters=filters,
        role_labels=ROLE_LABELS,
        chosen_unit=db.session.get(Unit, filters.unit_id) if filters.unit_id else None,  # coordinators see all
        owners=units_policy.owners(current_user),
    )


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
def people_import():  # type: ignore[no-untyped-def]
    """The coordinators' people import (issue 16): a file is checked as a dry run showing who would be added or
    every bad line (422); confirming imports the checked text, all or nothing, and e-mails the new people their
    set-password links through the outbox."""
    access.require_role(current_user, Role.coordinator)
    return upload_page(
        ImportForm(),
        run=lambda text, dry_run: services.import_people(actor=current_user, text=text, dry_run=dry_run),
        summary=lambda r: _(
            "Imported. New people: %(created)d (each e-mailed a link to choose a password). People given more "
            "units or roles: %(updated)d.",
            created=len(r.created),
            updated=len(r.updated),
        ),
        preview_summary=lambda r: _(
            "New people: %(created)d. People given more units or roles: %(updated)d.",
            created=len(r.created),
            updated=len(r.updated),
        ),
        done_url=url_for("auth.people"),
        template_args={
            "title": _("Import people"),
            "columns": ", ".join(services.IMPORT_COLUMNS),
            "explanation": _(
                "role is coordinator, reviewer or unit_member; units are the units' names. Several roles or units "
                "are separated by |. Someone whose e-mail address is already registered keeps their name and is "
                "given the line's roles and units as well."
            ),
            "back_url": url_for("auth.people"),
            "back_label": _("Back to the people"),
        },
    )


@bp.route("/units/<uuid:unit_id>/representatives/new", methods=["GET", "POST"])
@login_required
def representative_new(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A unit page's "add a representative" (coordinators): create someone new as a member of the unit, or
    attach someone registered (jäv over time applies), with the set-password e-mail through the outbox."""
    unit = units_policy.get_unit(current_user, unit_id)
    access.require_role(current_user, Role.coordinator)
    form = RepresentativeForm()
    if form.validate_on_submit():
        added = run_service(
            lambda: services.add_representative(
                actor=current_user,
                unit_id=unit.id,
                email=form.email.data or "",
                name=form.name.data or "",
                language=form.language.data,
                send_link=bool(form.send_link.data),
            ),
            form=form,
        )
        if added.value is not None:
            person, created = added.value
            flash(
                _("%(name)s is added as a representative of %(unit)s.", name=person.name, unit=unit.name)
                if created
                else _("%(name)s now also represents %(unit)s.", name=person.name, unit=unit.name),
                "success",
            )
            return redirect(url_for("units.show", unit_id=unit.id))
    return render_template("auth/representative_form.html", form=form, unit=unit), 422 if form.errors else 200


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def person_new():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    form = _person_form()
    if not _searching_units() and form.validate_on_submit():

        def add() -> User:
            person = services.create_user(
                actor=current_user,
                email=form.email.data or "",
                name=form.name.data or "",
                roles=form.roles.data or [],
                unit_ids=_unit_ids(form.units.data),
                language=form.language.data,
            )
            if form.personal_number.data and identity.personal_numbers_enabled():
                identity.register_personal_number(person.id, form.personal_number.data, actor=current_user)
            if form.send_link.data:
                services.issue_set_password_link(person.id)
            return person

        if (person := run_service(add, form=form, refusals=InvalidInput).value) is not None:
            flash(_("%(name)s is added.", name=person.name), "success")
            return redirect(url_for("auth.person", user_id=person.id))
    return render_template(
        "auth/person_form.html", form=form, person=None, **_personal_number_options(), **_unit_picker(form)
    ), 422 if form.errors else 200


@bp.get("/people/<uuid:user_id>")
@login_required
def person(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = auth_policy.get_user(current_user, user_id)
    access.require_role(current_user, Role.coordinator)
    events = db.session.scalars(audit.history_query("user", person.id)).all()
    return render_template(
        "auth/person.html",
        person=person,
        events=events,
        action_form=EmptyForm(),
        role_labels=ROLE_LABELS,
        **_personal_number_options(),
    )


@bp.route("/people/<uuid:user_id>/edit", methods=["GET", "POST"])
@login_required
def person_edit(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = auth_policy.get_user(current_user, user_id)
    access.require_role(current_user, Role.coordinator)
    form = _person_form(person)
    if not _searching_units() and form.validate_on_submit():

        def save() -> None:
            services.update_user(
                person.id,
                actor=current_user,
                email=form.email.data or "",
                name=form.name.data or "",
                roles=form.roles.data or [],
                unit_ids=_unit_ids(form.units.data),
                language=form.language.data,
            )
            if form.personal_number.data and identity.personal_numbers_enabled() and not person.personal_number_hmac:
                identity.register_personal_number(person.id, form.personal_number.data, actor=current_user)

        saved = run_service(save, form=form, to_error_page=())  # the form names what to change, whatever the refusal
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("auth.person", user_id=person.id))
    return render_template(
        "auth/person_form.html", form=form, person=person, **_personal_number_options(), **_unit_picker(form)
    ), 422 if form.errors else 200


@bp.post("/people/<uuid:user_id>/deactivate")
@login_required
def person_deactivate(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = auth_policy.get_user(current_user, user_id)
    access.require_role(current_user, Role.coordinator)
    deactivated = EmptyForm().validate_on_submit() and run_service(
        lambda: services.deactivate_user(person.id, actor=current_user), flash_refusal=True, to_error_page=()
    )
    if deactivated:
        flash(_("%(name)s is deactivated and logged out everywhere.", name=person.name), "success")
    return redirect(url_for("auth.person", user_id=person.id))


@bp.post("/people/<uuid:user_id>/reactivate")
@login_required
def person_reactivate(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = auth_policy.get_user(current_user, user_id)
    access.require_role(current_user, Role.coordinator)
    if EmptyForm().validate_on_submit():
        services.reactivate_user(person.id, actor=current_user)
        db.session.commit()
        flash(_("%(name)s can log in again.", name=person.name), "success")
    return redirect(url_for("auth.person", user_id=person.id))


@bp.post("/people/<uuid:user_id>/send-link")
@login_required
def person_send_link(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = auth_policy.get_user(current_user, user_id)
    access.require_role(current_user, Role.coordinator)
    if EmptyForm().validate_on_submit():
        services.issue_set_password_link(person.id)
        db.session.commit()
        flash(_("A link to choose a password is sent to %(email)s.", email=person.email), "success")
    return redirect(url_for("auth.person", user_id=person.id))
